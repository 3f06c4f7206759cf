import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EntryPointConfig } from '../../config/static.ts';
import { compileIpMatcher } from '../../core/net/ip-matcher.ts';
import { toMatchRequest } from '../../core/rules/match-request.ts';
import type { RequestState } from '../../middleware/request-state.ts';
import type { TableRef } from '../reload/table-ref.ts';
import { KeepAlive } from './keep-alive.ts';
import type { ProxyProtocolPolicy } from './proxy-protocol.ts';
import { querySemicolons } from './query-semicolons.ts';
import type { RequestRefusal } from './request-checks.ts';

// Traefik's entryPoint keys added in issue 18 (config/static/entry-point-options.ts), resolved for the
// EntryPoint (router/http/entrypoint.ts), which reads them through its one `extras` option.

/** What an entryPoint does with proxyProtocol, keep-alive limits, header size, query semicolons, XFF. */
export interface EntryPointExtras {
  /** `proxyProtocol`: read a PROXY v1/v2 header first; whose is believed. */
  readonly proxyProtocol?: ProxyProtocolPolicy;
  /** `http.maxHeaderBytes` (Traefik's default: 1 MiB). */
  readonly maxHeaderBytes?: number;
  /** `transport.keepAliveMaxRequests` / `keepAliveMaxTime`. */
  readonly keepAlive?: KeepAlive;
  /** `http.encodeQuerySemicolons`: `;` in queries forwarded as %3B (true) or as `&` (false, default). */
  readonly encodeQuerySemicolons?: boolean;
  /** `forwardedHeaders.notAppendXForwardedFor`. */
  readonly notAppendXForwardedFor?: boolean;
  /** `reusePort`: SO_REUSEPORT on the listening socket. */
  readonly reusePort?: boolean;
  /** `http.underscoreHeadersStrategy` other than keep. */
  readonly underscoreHeaders?: 'delete' | 'reject';
}

/** The extras of one entryPoint's static configuration. */
export function entryPointExtraOptions(ep: EntryPointConfig): { extras: EntryPointExtras } {
  const out: { -readonly [K in keyof EntryPointExtras]?: EntryPointExtras[K] } = {};
  const pp = ep.proxyProtocol;
  if (pp) out.proxyProtocol = { trusted: pp.insecure ? () => true : compileIpMatcher(pp.trustedIPs ?? []) };
  if (ep.reusePort) out.reusePort = true;
  const maxRequests = ep.transport?.keepAliveMaxRequests ?? 0;
  const maxTimeMs = ep.transport?.keepAliveMaxTime ?? 0;
  if (maxRequests > 0 || maxTimeMs > 0) out.keepAlive = new KeepAlive({ maxRequests, maxTimeMs });
  if (ep.http?.maxHeaderBytes !== undefined) out.maxHeaderBytes = ep.http.maxHeaderBytes;
  if (ep.http?.encodeQuerySemicolons) out.encodeQuerySemicolons = true;
  if (ep.forwardedHeaders?.notAppendXForwardedFor) out.notAppendXForwardedFor = true;
  const underscore = ep.http?.underscoreHeadersStrategy;
  if (underscore === 'delete' || underscore === 'reject') out.underscoreHeaders = underscore;
  return { extras: out };
}

/**
 * Whether a plain-HTTP router of the entryPoint with a higher priority than the redirection's matches:
 * Traefik's redirection is a router (priority MaxInt-1 unless `priority` says otherwise), so such a router
 * is served instead. Absent `priority`, never: the redirection outranks every router.
 */
export function outranksRedirect(
  tableRef: TableRef,
  entryPoint: string,
  req: IncomingMessage,
  clientIp: string,
  priority: number | undefined,
): boolean {
  if (priority === undefined) return false;
  const route = tableRef.current().table.entryPoints?.get(entryPoint)?.match(toMatchRequest(req, clientIp));
  return route !== undefined && route.priority > priority;
}

/** What the extras do to each request before routing: keep-alive limits, query semicolons, XFF policy. */
export function applyRequestExtras(
  extras: EntryPointExtras | undefined,
  req: IncomingMessage,
  res: ServerResponse,
  state: RequestState,
): void {
  extras?.keepAlive?.onRequest(req, res);
  // Always: by default `;` becomes `&` (Go's AllowQuerySemicolons, which Traefik applies).
  if (req.url) req.url = querySemicolons(req.url, extras?.encodeQuerySemicolons === true);
  if (extras?.notAppendXForwardedFor) state.notAppendXForwardedFor = true;
}

/**
 * `http.underscoreHeadersStrategy` (Traefik v3.7): `delete` removes request headers whose name holds `_`
 * before routing (a server that reads `X_User` as `X-User`, as CGI and PHP do, cannot be fed one a
 * middleware never saw); `reject` refuses the request with 400. Runs with the other checks before routing.
 */
export function underscoreHeaders(
  req: IncomingMessage,
  extras: EntryPointExtras | undefined,
): RequestRefusal | undefined {
  const strategy = extras?.underscoreHeaders;
  if (strategy === undefined) return undefined;
  for (const name of Object.keys(req.headers)) {
    if (!name.includes('_')) continue;
    if (strategy === 'reject') return { status: 400, problem: `header ${name} has an underscore` };
    delete req.headers[name];
  }
  return undefined;
}
