import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Diagnostic } from '../../config/diagnostics.ts';
import { joinName } from '../../config/names.ts';
import type { StaticConfig } from '../../config/static.ts';
import { isSecretName, REDACTED, redactSecrets, redactUrls } from '../../core/redact.ts';
import { VERSION } from '../../core/version.ts';
import type { ItemStatus } from '../compile/runtime-info.ts';
import type { InternalHandler } from '../http/entrypoint.ts';
import type { TableRef } from '../reload/table-ref.ts';

/** What the API reads: the serving generation, diagnostics, static config and lifecycle. */
export interface ApiSources {
  readonly tableRef: TableRef;
  readonly diagnostics: () => readonly Diagnostic[];
  readonly staticConfig: StaticConfig;
  readonly api: boolean;
  readonly ping: boolean;
  readonly terminatingStatusCode: number;
  readonly shuttingDown: () => boolean;
  readonly startDate: Date;
}

type Item = { name: string; provider: string; status: ItemStatus; error?: string[] } & Record<
  string,
  unknown
>;
type Kind = 'routers' | 'services' | 'middlewares';
const KIND_OF: Record<
  Kind,
  Diagnostic['item'] extends infer T ? (T extends { kind: infer K } ? K : never) : never
> = {
  routers: 'router',
  services: 'service',
  middlewares: 'middleware',
};

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/**
 * The items of one kind as the API shows them: compiled ones with their status, plus items a provider
 * left out for bad input, shown disabled with their errors (Traefik hides those; Wharf shows them).
 */
function items(src: ApiSources, kind: Kind): Map<string, Item> {
  const info = src.tableRef.current().table.info[kind] as unknown as Map<string, Item>;
  const out = new Map<string, Item>(info);
  for (const d of src.diagnostics()) {
    if (d.severity !== 'error' || d.item?.kind !== KIND_OF[kind] || d.source === 'compile') continue;
    const provider = d.source;
    const name = joinName(d.item.name, provider);
    // Never mutate the serving table's objects: copy, then add the provider's error.
    const existing = out.get(name);
    const entry: Item = existing ? { ...existing } : { name, provider, status: 'disabled', error: [] };
    entry.error = [...(entry.error ?? []), d.message];
    out.set(name, entry);
  }
  for (const [name, entry] of out) {
    let shown = entry;
    if (kind === 'services' && entry.type === 'loadbalancer') {
      const runtime = src.tableRef.current().table.services.get(name);
      if (runtime) shown = { ...entry, serverStatus: runtime.serverStatus() };
    }
    if (kind === 'middlewares') {
      const state = middlewareState(src, name);
      if (state) shown = { ...entry, state };
    }
    // Passwords in server URLs and credential headers (Authorization, X-Api-Key, ...) are not shown.
    shown = redactSecrets(shown);
    out.set(name, shown);
  }
  return out;
}

/**
 * The live state of a middleware's instances in the serving generation (a circuit breaker's state): the
 * shared instance's, or per router for middlewares built once per router; undefined when none has any.
 */
function middlewareState(src: ApiSources, name: string): Record<string, unknown> | undefined {
  let out: Record<string, unknown> | undefined;
  for (const instance of src.tableRef.current().table.middlewareCache?.values() ?? []) {
    if (instance.name !== name || !instance.status) continue;
    if (instance.router === undefined) return instance.status();
    out ??= {};
    out[instance.router] = instance.status();
  }
  return out;
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
    return {
      ...d,
      message: redactUrls(d.message),
      ...(value !== undefined && { value }),
    };
  });
}

function section(list: Map<string, Item>) {
  let warnings = 0;
  let errors = 0;
  for (const i of list.values()) {
    if (i.status === 'warning') warnings++;
    if (i.status === 'disabled') errors++;
  }
  return { total: list.size, warnings, errors };
}

function listing(list: Map<string, Item>, query: URLSearchParams): Item[] {
  const status = query.get('status');
  const search = query.get('search')?.toLowerCase();
  const provider = query.get('provider');
  return [...list.values()]
    .filter(
      (i) =>
        (!status || i.status === status) &&
        (!provider || i.provider === provider) &&
        (!search || i.name.toLowerCase().includes(search)),
    )
    .sort((a, b) => (a.name < b.name ? -1 : 1));
}

function entryPoints(src: ApiSources) {
  return Object.entries(src.staticConfig.entryPoints ?? {}).map(([name, ep]) => ({ ...ep, name }));
}

/**
 * Serves /ping and, with api.insecure, Traefik's read-only API: /api/rawdata, /api/overview,
 * /api/entrypoints[/{name}], /api/http/{routers,services,middlewares}[/{name}], /api/version, and
 * Wharf's /api/diagnostics. Returns false for paths it does not own.
 */
export function createInternalHandler(src: ApiSources): InternalHandler {
  return (req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    if (src.ping && path === '/ping') {
      const down = src.shuttingDown();
      res.writeHead(down ? src.terminatingStatusCode : 200, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(req.method === 'HEAD' ? undefined : down ? 'Service Unavailable' : 'OK');
      return true;
    }
    if (!src.api || !(path === '/api' || path.startsWith('/api/'))) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(res, 405, { message: 'the API is read-only: use GET' });
      return true;
    }
    const query = new URLSearchParams(q === -1 ? '' : url.slice(q + 1));
    let parts: string[];
    try {
      parts = path.split('/').filter(Boolean).map(decodeURIComponent);
    } catch {
      send(res, 400, { message: `malformed percent-encoding in ${path}` });
      return true;
    }
    if (parts[1] === 'version' && parts.length === 2) {
      send(res, 200, { Version: VERSION, Codename: 'wharf', startDate: src.startDate.toISOString() });
    } else if (parts[1] === 'rawdata' && parts.length === 2) {
      const obj = (k: Kind) => Object.fromEntries(items(src, k));
      send(res, 200, { routers: obj('routers'), services: obj('services'), middlewares: obj('middlewares') });
    } else if (parts[1] === 'overview' && parts.length === 2) {
      send(res, 200, {
        http: {
          routers: section(items(src, 'routers')),
          services: section(items(src, 'services')),
          middlewares: section(items(src, 'middlewares')),
        },
        features: { tracing: '', metrics: '', accessLog: src.staticConfig.accessLog !== undefined },
        providers: Object.keys(src.staticConfig.providers).filter((k) => k !== 'providersThrottleDuration'),
      });
    } else if (parts[1] === 'entrypoints' && parts.length <= 3) {
      const eps = entryPoints(src);
      if (parts.length === 2) send(res, 200, eps);
      else {
        const ep = eps.find((e) => e.name === parts[2]);
        send(res, ep ? 200 : 404, ep ?? { message: `entryPoint "${parts[2]}" does not exist` });
      }
    } else if (parts[1] === 'diagnostics' && parts.length === 2) {
      send(res, 200, shownDiagnostics(src.diagnostics()));
    } else if (
      parts[1] === 'http' &&
      (parts[2] === 'routers' || parts[2] === 'services' || parts[2] === 'middlewares') &&
      parts.length <= 4
    ) {
      const list = items(src, parts[2]);
      if (parts.length === 3) send(res, 200, listing(list, query));
      else {
        const item = list.get(parts[3] as string);
        send(res, item ? 200 : 404, item ?? { message: `${KIND_OF[parts[2]]} "${parts[3]}" does not exist` });
      }
    } else {
      send(res, 404, { message: `unknown API path ${path}` });
    }
    return true;
  };
}
