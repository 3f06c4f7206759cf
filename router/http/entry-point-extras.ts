import type { EntryPointConfig } from '../../config/static.ts';
import { compileIpMatcher } from '../../core/net/ip-matcher.ts';
import type { EntryPointOptions } from './entrypoint.ts';
import { KeepAlive } from './keep-alive.ts';

/**
 * The EntryPoint options of Traefik's entryPoint keys added in issue 18 (config/static/entry-point-options.ts):
 * proxyProtocol, reusePort, keep-alive limits, maxHeaderBytes, encodeQuerySemicolons, notAppendXForwardedFor.
 */
export function entryPointExtraOptions(ep: EntryPointConfig): Partial<EntryPointOptions> {
  const out: {
    -readonly [K in keyof EntryPointOptions]?: EntryPointOptions[K];
  } = {};
  const pp = ep.proxyProtocol;
  if (pp) out.proxyProtocol = { trusted: pp.insecure ? () => true : compileIpMatcher(pp.trustedIPs ?? []) };
  if (ep.reusePort) out.reusePort = true;
  const maxRequests = ep.transport?.keepAliveMaxRequests ?? 0;
  const maxTimeMs = ep.transport?.keepAliveMaxTime ?? 0;
  if (maxRequests > 0 || maxTimeMs > 0) out.keepAlive = new KeepAlive({ maxRequests, maxTimeMs });
  if (ep.http?.maxHeaderBytes !== undefined) out.maxHeaderBytes = ep.http.maxHeaderBytes;
  if (ep.http?.encodeQuerySemicolons) out.encodeQuerySemicolons = true;
  if (ep.forwardedHeaders?.notAppendXForwardedFor) out.notAppendXForwardedFor = true;
  return out;
}
