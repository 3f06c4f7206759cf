import { type IncomingMessage, type ServerResponse, STATUS_CODES } from 'node:http';
import type { StaticConfig } from '../../config/static.ts';
import type { Handler } from '../../middleware/middleware.ts';
import { requestState } from '../../middleware/request-state.ts';
import { INTERNAL_PROVIDER } from '../compile/resolve-routing.ts';
import type { InternalService } from '../compile/table-types.ts';

// Wharf's own services, which any router of any provider may name as `<name>@internal` (Traefik's
// pkg/server/service/internalhandler.go). Compile resolves a router's `service: api@internal` through the
// map built here; a name that is not enabled gives the router Traefik's reason ("api is not enabled").

/** The handlers of Wharf's internal services; a feature without one is not enabled. */
export interface InternalHandlers {
  /** The API (and, with api.dashboard, the dashboard under {basePath}/dashboard/): api@internal. */
  readonly api?: Handler | undefined;
  /** The dashboard alone, serving `/` and its assets (Traefik's insecure-mode router strips /dashboard/). */
  readonly dashboard?: Handler | undefined;
  readonly ping?: Handler | undefined;
  /** /metrics: the metrics helper's handler, wired in router/wharf.ts when metrics.prometheus is set. */
  readonly prometheus?: Handler | undefined;
}

/** Why each internal service may be missing, in Traefik's words. */
const NOT_ENABLED: Record<keyof InternalHandlers, string> = {
  api: 'api is not enabled; add an api section to the static configuration (api: {})',
  dashboard: 'dashboard is not enabled; enable api and api.dashboard in the static configuration',
  ping: 'ping is not enabled; add a ping section to the static configuration (ping: {})',
  prometheus: 'prometheus is not enabled; add metrics.prometheus to the static configuration',
};

/**
 * The map compile resolves `name@internal` services through: every internal service Wharf knows, with its
 * handler when enabled and Traefik's reason otherwise. `noop@internal` (418, no body) is always there.
 * A new internal service is one entry in InternalHandlers and NOT_ENABLED.
 */
export function internalServices(handlers: InternalHandlers): Map<string, InternalService> {
  const out = new Map<string, InternalService>();
  out.set(`noop@${INTERNAL_PROVIDER}`, { handler: internal('noop@internal', noop) });
  for (const name of Object.keys(NOT_ENABLED) as Array<keyof InternalHandlers>) {
    const q = `${name}@${INTERNAL_PROVIDER}`;
    const handler = handlers[name];
    out.set(q, handler ? { handler: internal(q, handler) } : { disabled: NOT_ENABLED[name] });
  }
  return out;
}

/**
 * Which internal services a static configuration enables, with a placeholder handler each: what
 * `wharf check` resolves routers against, where nothing is served.
 */
export function enabledInternalServices(config: StaticConfig): Map<string, InternalService> {
  const placeholder: Handler = async (_req, res) => {
    res.writeHead(501).end();
  };
  const metrics = (config as { metrics?: { prometheus?: unknown } }).metrics;
  return internalServices({
    api: config.api ? placeholder : undefined,
    dashboard: config.api?.dashboard ? placeholder : undefined,
    ping: config.ping ? placeholder : undefined,
    prometheus: metrics?.prometheus ? placeholder : undefined,
  });
}

/** Marks requests an internal service answers (the access log leaves them out unless told otherwise). */
function internal(name: string, handler: Handler): Handler {
  return (req, res) => {
    const state = requestState(req);
    state.service = name;
    state.internal = true;
    return handler(req, res);
  };
}

/** noop@internal: Traefik's service for routers that only redirect; 418 I'm a teapot, no body. */
async function noop(_req: IncomingMessage, res: ServerResponse): Promise<void> {
  res.writeHead(418, { 'content-length': '0' });
  res.end();
}

/** ping@internal: 200 OK, or `terminatingStatusCode` with its reason phrase once Wharf is stopping. */
export function pingHandler(terminatingStatusCode: number, stopping: () => boolean): Handler {
  return async (req, res) => {
    const status = stopping() ? terminatingStatusCode : 200;
    const text = STATUS_CODES[status] ?? String(status);
    res.writeHead(status, {
      'content-type': 'text/plain; charset=utf-8',
      'content-length': Buffer.byteLength(text),
    });
    res.end(req.method === 'HEAD' ? undefined : text);
  };
}
