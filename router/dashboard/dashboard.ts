import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join } from 'node:path';
import type { StaticConfig } from '../../config/static.ts';
import { VERSION } from '../../core/version.ts';
import type { InternalHandler } from '../http/entry-point-options.ts';
import { FIXES } from './fixes.ts';

/** The page's files: plain ES modules, a stylesheet and the HTML shell, served as written (no build step). */
const UI_DIR = join(import.meta.dirname, 'ui');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/**
 * The page loads only its own files and talks only to its own origin: data from labels and KV keys is
 * shown as text, and even a script that slipped in could not load or send anything elsewhere.
 */
export const DASHBOARD_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'self'";

interface Asset {
  readonly body: Buffer;
  readonly type: string;
  readonly etag: string;
}

function asset(body: Buffer, type: string): Asset {
  return { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` };
}

/** Reads the page's files once: served from memory, and a request can only name a file of this list. */
function loadAssets(): Map<string, Asset> {
  const out = new Map<string, Asset>();
  for (const name of readdirSync(UI_DIR)) {
    const type = TYPES[extname(name)];
    if (!type || name.includes('.test.')) continue;
    out.set(name, asset(readFileSync(join(UI_DIR, name)), type));
  }
  return out;
}

/** What the page needs besides the API: the fixes and how each provider spells a key. */
export function dashboardMeta(config: Pick<StaticConfig, 'providers'>): Record<string, unknown> {
  return {
    version: VERSION,
    labelPrefix: config.providers.docker?.labelPrefix ?? 'wharf',
    rootKey: config.providers.consul?.rootKey ?? 'wharf',
    fixes: FIXES,
  };
}

/** Options of the dashboard handler. */
export interface DashboardOptions {
  /** The static configuration (the provider settings the page names keys with). */
  readonly staticConfig: Pick<StaticConfig, 'providers'>;
  /** Where the API and the dashboard are mounted (api.basePath; default `/`). */
  readonly basePath?: string;
}

/** A path: segments of URL path characters, at most one leading slash (so never `//host`). */
const PATH = /^\/?[\w.~!$&'()*+,;=:@%-]+(?:\/[\w.~!$&'()*+,;=:@%-]*)*$/;

/**
 * X-Forwarded-Prefix as Traefik takes it for the redirect (a trusted proxy's path prefix), but only a
 * path: a value with a scheme, a host (`//host`) or a backslash is dropped, so the redirect stays on
 * this origin.
 */
export function forwardedPrefix(value: string | string[] | undefined): string {
  const v = Array.isArray(value) ? value[0] : value;
  if (!v || /^[a-z][a-z0-9+.-]*:/i.test(v) || !PATH.test(v)) return '';
  return `/${v.replace(/^\/+/, '')}`.replace(/\/+$/, '');
}

function redirect(res: ServerResponse, location: string): void {
  res.writeHead(302, { location, 'content-type': 'text/plain; charset=utf-8', 'content-length': 0 });
  res.end();
}

/**
 * Serves the dashboard: `<basePath>` and `<basePath>dashboard` redirect (302) to `<basePath>dashboard/`,
 * which serves the page; `dashboard/meta.json` gives the fixes and key spellings. Returns false for
 * other paths. The page reads everything else from the API with relative URLs (`../api/...`), so it also
 * works behind a proxy that adds a path prefix.
 */
export function createDashboardHandler(options: DashboardOptions): InternalHandler {
  const assets = loadAssets();
  assets.set(
    'meta.json',
    asset(Buffer.from(JSON.stringify(dashboardMeta(options.staticConfig))), 'application/json'),
  );
  const base = (options.basePath ?? '/').replace(/\/+$/, '');
  const home = `${base}/dashboard/`;
  return (req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const isRoot = path === (base === '' ? '/' : base) || path === `${base}/`;
    if (!isRoot && path !== `${base}/dashboard` && !path.startsWith(home)) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
      res.end('the dashboard is read-only: use GET\n');
      return true;
    }
    if (!path.startsWith(home)) {
      redirect(
        res,
        forwardedPrefix(req.headers['x-forwarded-prefix']) + home + (q === -1 ? '' : url.slice(q)),
      );
      return true;
    }
    const file = assets.get(path.slice(home.length) || 'index.html');
    const headers = {
      'content-security-policy': DASHBOARD_CSP,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
    };
    if (!file) {
      res.writeHead(404, { ...headers, 'content-type': 'text/plain; charset=utf-8' });
      res.end(`${path} is not a file of the dashboard\n`);
      return true;
    }
    // Revalidated on every load (ETag): a new Wharf version's page is never mixed with cached old modules.
    const common = { ...headers, etag: file.etag, 'cache-control': 'no-cache' };
    if (req.headers['if-none-match'] === file.etag) {
      res.writeHead(304, common);
      res.end();
      return true;
    }
    res.writeHead(200, { ...common, 'content-type': file.type, 'content-length': file.body.length });
    res.end(req.method === 'HEAD' ? undefined : file.body);
    return true;
  };
}
