import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Diagnostic } from '../../config/diagnostics.ts';
import { EntryPointSchema, type StaticConfig } from '../../config/static.ts';
import { isSecretName, REDACTED, redactUrls } from '../../core/redact.ts';
import { VERSION } from '../../core/version.ts';
import type { Handler } from '../../middleware/middleware.ts';
import { type BanApi, serveBanApi } from '../ban/ban-api.ts';
import {
  collectItems,
  type Item,
  type ItemSources,
  KIND_OF,
  type Kind,
  rawItem,
  renderItem,
} from './api-items.ts';
import { serveDebug } from './debug.ts';
import { withGoDurations } from './go-durations.ts';
import { basePrefix } from './internal-config.ts';
import { keep, type Listed, type ListKind, NEXT_PAGE_HEADER, paginate, sortListed } from './listing.ts';
import { overview } from './overview.ts';
import { sendJson } from './send-json.ts';

/** What the API reads: the serving generation, diagnostics, the static configuration and the dashboard. */
export interface ApiSources extends ItemSources {
  /** The static configuration, with the entryPoints after defaults (the internal one included). */
  readonly staticConfig: StaticConfig;
  readonly startDate: Date;
  /** The dashboard (dashboard@internal), served under {basePath}/dashboard/ when api.dashboard is on. */
  readonly dashboard?: Handler | undefined;
  /** The ban middleware's bans (issue 17): listed and lifted under /api/wharf/bans. */
  readonly bans?: BanApi | undefined;
}

/** Diagnostics as the API shows them: URL passwords and values of credential keys redacted. */
function shownDiagnostics(list: readonly Diagnostic[]): Diagnostic[] {
  return list.map((d) => {
    const last = d.key?.split(/[.=/]/).pop() ?? '';
    const value =
      d.value === undefined
        ? undefined
        : isSecretName(last) && d.value !== ''
          ? REDACTED
          : redactUrls(d.value);
    return { ...d, message: redactUrls(d.message), ...(value !== undefined && { value }) };
  });
}

/** A list endpoint's answer: filtered, sorted, one page, with X-Next-Page; or Traefik's 400. */
function sendList<T extends Listed>(
  res: ServerResponse,
  items: T[],
  kind: ListKind,
  query: URLSearchParams,
  render: (item: T) => unknown,
): void {
  const page = paginate(sortListed(items, kind, query), query);
  if (!page.ok) sendJson(res, 400, { message: page.message });
  else sendJson(res, 200, page.items.map(render), { [NEXT_PAGE_HEADER]: String(page.nextPage) });
}

function entryPoints(src: ApiSources) {
  return Object.entries(src.staticConfig.entryPoints ?? {}).map(([name, ep]) => ({
    ...withGoDurations(ep, EntryPointSchema),
    name,
  }));
}

/** Serves `/api/...` (the path below basePath). */
function serveApi(src: ApiSources, path: string, query: URLSearchParams, res: ServerResponse): void {
  let parts: string[];
  try {
    parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  } catch {
    sendJson(res, 400, { message: `malformed percent-encoding in ${path}` });
    return;
  }
  const [, section, kind, name, ...extra] = parts;
  const api = src.staticConfig.api;
  if (extra.length > 0) sendJson(res, 404, { message: `unknown API path ${path}` });
  else if (section === 'version' && kind === undefined) {
    sendJson(res, 200, {
      Version: VERSION,
      Codename: 'wharf',
      startDate: src.startDate.toISOString(),
      ...(api?.disableDashboardAd ? { disableDashboardAd: true } : {}),
      ...(api?.dashboardName ? { dashboardName: api.dashboardName } : {}),
    });
  } else if (section === 'rawdata' && kind === undefined) {
    const out: Record<string, Record<string, unknown>> = {};
    for (const k of ['routers', 'middlewares', 'services'] as const) {
      const items = collectItems(src, k);
      // Go's omitempty: an empty kind is left out.
      if (items.size > 0)
        out[k] = Object.fromEntries([...items].map(([q, item]) => [q, rawItem(src, k, item)]));
    }
    sendJson(res, 200, out);
  } else if (section === 'overview' && kind === undefined) {
    const items = (k: Kind) => collectItems(src, k).values();
    const body = {
      routers: items('routers'),
      services: items('services'),
      middlewares: items('middlewares'),
    };
    sendJson(res, 200, overview(body, src.staticConfig));
  } else if (section === 'entrypoints' && name === undefined) {
    const eps = entryPoints(src);
    if (kind === undefined) sendList(res, eps, 'entrypoints', query, (ep) => ep);
    else {
      const ep = eps.find((e) => e.name === kind);
      if (ep) sendJson(res, 200, ep);
      else sendJson(res, 404, { message: `entry point not found: ${kind}` });
    }
  } else if (section === 'diagnostics' && kind === undefined) {
    sendJson(res, 200, shownDiagnostics(src.diagnostics()));
  } else if (section === 'http' && (kind === 'routers' || kind === 'services' || kind === 'middlewares')) {
    const list = collectItems(src, kind);
    if (name === undefined) {
      const kept = [...list.values()].filter((i) => keep(i as Listed & Item, kind, query));
      sendList(res, kept as Array<Listed & Item>, kind, query, (i) => renderItem(src, kind, i));
    } else {
      const item = list.get(name);
      if (item) sendJson(res, 200, renderItem(src, kind, item));
      else sendJson(res, 404, { message: `${KIND_OF[kind]} not found: ${name}` });
    }
  } else if (
    (section === 'tcp' && (kind === 'routers' || kind === 'services' || kind === 'middlewares')) ||
    (section === 'udp' && (kind === 'routers' || kind === 'services'))
  ) {
    // Wharf routes HTTP only: Traefik's TCP and UDP lists are empty, their items never found.
    if (name === undefined) sendList(res, [], 'routers', query, (i) => i);
    else sendJson(res, 404, { message: `${KIND_OF[kind]} not found: ${name}` });
  } else sendJson(res, 404, { message: `unknown API path ${path}` });
}

/**
 * api@internal: Traefik's read-only API under `{basePath}/api/` (rawdata, overview, entrypoints, version,
 * http/tcp/udp lists with filters, sorting and paging, and Wharf's /api/diagnostics); with api.dashboard,
 * the dashboard under `{basePath}/dashboard/` and a redirect from `{basePath}` to it; with api.debug,
 * `{basePath}/debug/`. GET and HEAD only.
 */
export function createApiHandler(src: ApiSources): Handler {
  const api = src.staticConfig.api;
  const base = basePrefix(api?.basePath ?? '/');
  const dashboardPath = `${base}/dashboard/`;
  return async (req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    // issue 17: the bans (router/ban/ban-api.ts), whose DELETE is the API's one write.
    const belowBase = base === '' ? path : path.startsWith(`${base}/`) ? path.slice(base.length) : undefined;
    if (src.bans && belowBase !== undefined && (await serveBanApi(src.bans, belowBase, req, res))) return;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendJson(res, 405, { message: 'the API is read-only: use GET' }, { allow: 'GET, HEAD' });
      return;
    }
    if (src.dashboard && path === (api?.basePath ?? '/')) {
      redirectToDashboard(req, res, dashboardPath);
      return;
    }
    if (src.dashboard && path === `${base}/dashboard`) {
      redirectToDashboard(req, res, dashboardPath);
      return;
    }
    if (src.dashboard && (path === dashboardPath || path.startsWith(dashboardPath))) {
      // The dashboard sees paths below /dashboard/ (`/` is its page), as Traefik's StripPrefix gives them.
      req.url = url.slice(dashboardPath.length - 1);
      await src.dashboard(req, res);
      return;
    }
    const below = base === '' ? path : path.startsWith(`${base}/`) ? path.slice(base.length) : undefined;
    if (below !== undefined && api?.debug && serveDebug(below, req, res)) return;
    if (below === '/api' || below?.startsWith('/api/')) {
      serveApi(src, below, new URLSearchParams(q === -1 ? '' : url.slice(q + 1)), res);
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
    res.end('404 page not found\n');
  };
}

/**
 * `{basePath}` → `{X-Forwarded-Prefix}{basePath}/dashboard/` (302), as Traefik: the prefix a trusted proxy
 * set is kept, unless it is an absolute URL (which would send the browser elsewhere).
 */
function redirectToDashboard(req: IncomingMessage, res: ServerResponse, dashboardPath: string): void {
  let prefix = req.headers['x-forwarded-prefix'];
  if (Array.isArray(prefix)) prefix = prefix[0];
  if (prefix === undefined || /^[a-z][a-z0-9+.-]*:|^[/\\]{2}/i.test(prefix)) prefix = '';
  const location = `${prefix.replace(/\/$/, '')}${dashboardPath}`;
  res.writeHead(302, { location, 'content-type': 'text/html; charset=utf-8' });
  res.end(req.method === 'HEAD' ? undefined : `<a href="${encodeURI(location)}">Found</a>.\n\n`);
}
