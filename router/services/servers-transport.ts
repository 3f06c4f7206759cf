import type { Diagnostic } from '../../config/diagnostics.ts';
import type { ServersTransportConfig } from '../../config/dynamic.ts';
import { joinName, qualifyName } from '../../config/names.ts';
import type { PoolSettings } from '../proxy/upstream-pools.ts';

/** The name of the static `serversTransport`, which services use when they name none (Traefik's name). */
export const DEFAULT_TRANSPORT = 'default@internal';

/** What a load balancer takes from its servers transport, defaults applied (ms; 0 means none). */
export interface TransportSettings extends PoolSettings {
  /** Longest wait for response headers once the request is sent (Traefik `responseHeaderTimeout`). */
  readonly responseHeaderTimeoutMs: number;
  /** HTTP/2 to https servers that offer it by ALPN (false with `disableHTTP2`); h2c:// servers always. */
  readonly http2: boolean;
  /** HTTP/2: PING a connection silent this long (Traefik `readIdleTimeout`; 0: never). */
  readonly readIdleTimeoutMs: number;
  /** HTTP/2: close a connection whose PING is not answered within this (Traefik `pingTimeout`, 15s). */
  readonly pingTimeoutMs: number;
}

/**
 * Settings of a servers transport (dynamic, or the static one, which has fewer keys) with Traefik's
 * defaults: dialTimeout 30s, no responseHeaderTimeout, idleConnTimeout 90s, pingTimeout 15s, HTTP/2 on.
 * Pure: CA and certificate files are read when a pool is made (router/proxy/transport-tls.ts).
 */
export function transportSettings(config: ServersTransportConfig | undefined): TransportSettings {
  const timeouts = config?.forwardingTimeouts;
  const positive = (ms: number | undefined, def: number) => Math.max(0, ms ?? def);
  const { forwardingTimeouts: _t, maxIdleConnsPerHost, disableHTTP2, ...tls } = config ?? {};
  return {
    connectTimeoutMs: positive(timeouts?.dialTimeout, 30_000),
    responseHeaderTimeoutMs: positive(timeouts?.responseHeaderTimeout, 0),
    idleTimeoutMs: positive(timeouts?.idleConnTimeout, 90_000),
    http2: disableHTTP2 !== true,
    readIdleTimeoutMs: positive(timeouts?.readIdleTimeout, 0),
    pingTimeoutMs: positive(timeouts?.pingTimeout, 15_000),
    ...(Object.keys(tls).length > 0 ? { tls } : {}),
    ...(maxIdleConnsPerHost !== undefined && maxIdleConnsPerHost !== 0 ? { maxIdleConnsPerHost } : {}),
  };
}

/** The transports a generation's services may name. */
export interface Transports {
  /** The static serversTransport's settings (default@internal). */
  readonly defaults: TransportSettings;
  /** `http.serversTransports` of every provider, by qualified name. */
  readonly named: ReadonlyMap<string, ServersTransportConfig>;
  /** Transports a provider left out for bad input, with the reason (qualified name → message). */
  readonly leftOut?: ReadonlyMap<string, string>;
}

/** How a service's `serversTransport` reference resolved. */
export type TransportResolution =
  | { readonly ok: true; readonly settings: TransportSettings }
  | { readonly ok: false; readonly target: string; readonly reason?: string };

/**
 * Resolves `loadBalancer.serversTransport` of a service of `provider`: absent or default@internal gives
 * the static transport; an unqualified name resolves in the service's provider, as other references do.
 */
export function resolveTransport(
  reference: string | undefined,
  provider: string,
  transports: Transports,
): TransportResolution {
  if (reference === undefined || reference === '') return { ok: true, settings: transports.defaults };
  const target = qualifyName(reference, provider);
  if (target === DEFAULT_TRANSPORT) return { ok: true, settings: transports.defaults };
  const config = transports.named.get(target);
  if (config) return { ok: true, settings: transportSettings(config) };
  const reason = transports.leftOut?.get(target);
  return reason === undefined ? { ok: false, target } : { ok: false, target, reason };
}

/**
 * The named transports of a generation: `http.serversTransports` of every provider, and those the
 * providers left out for bad input (qualified name → their first error, from the diagnostics).
 */
export function namedTransports(
  named: ReadonlyMap<string, ServersTransportConfig> | undefined,
  diagnostics: readonly Diagnostic[],
): Omit<Transports, 'defaults'> {
  const leftOut = new Map<string, string>();
  for (const d of diagnostics) {
    if (d.severity !== 'error' || d.item?.kind !== 'serversTransport') continue;
    const q = joinName(d.item.name, d.source);
    if (!leftOut.has(q)) leftOut.set(q, d.message);
  }
  return { named: named ?? new Map(), leftOut };
}
