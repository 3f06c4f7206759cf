import type { Diagnostic } from '../../config/diagnostics.ts';
import type { ForwardingTimeouts, ServersTransportConfig } from '../../config/dynamic.ts';
import { joinName, qualifyName } from '../../config/names.ts';
import type { PoolSettings } from '../proxy/upstream-pools.ts';

/** The name of the static `serversTransport`, which services use when they name none (Traefik's name). */
export const DEFAULT_TRANSPORT = 'default@internal';

/** What a load balancer takes from its servers transport, defaults applied (ms; 0 means none). */
export interface TransportSettings extends PoolSettings {
  /** Longest wait for response headers once the request is sent (Traefik `responseHeaderTimeout`). */
  readonly responseHeaderTimeoutMs: number;
}

/** Settings from `forwardingTimeouts` with Traefik's defaults: dialTimeout 30s, none, idleConnTimeout 90s. */
export function transportSettings(timeouts: ForwardingTimeouts | undefined): TransportSettings {
  const positive = (ms: number | undefined, def: number) => Math.max(0, ms ?? def);
  return {
    connectTimeoutMs: positive(timeouts?.dialTimeout, 30_000),
    responseHeaderTimeoutMs: positive(timeouts?.responseHeaderTimeout, 0),
    idleTimeoutMs: positive(timeouts?.idleConnTimeout, 90_000),
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
  if (config) return { ok: true, settings: transportSettings(config.forwardingTimeouts) };
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
