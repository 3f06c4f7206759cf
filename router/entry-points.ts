import {
  type EntryPointConfig,
  INTERNAL_ENTRYPOINT,
  INTERNAL_ENTRYPOINT_ADDRESS,
  type StaticConfig,
} from '../config/static.ts';
import type { EntryPointSpec } from './compile/compile.ts';

// The entryPoints a static configuration gives, as the router listens on them and compile sees them.

/** Entry points after defaults: the user's, or `http` on :80, plus the internal one when the API or ping needs it. */
export function resolveEntryPoints(config: StaticConfig): Record<string, EntryPointConfig> {
  const eps: Record<string, EntryPointConfig> = { ...(config.entryPoints ?? { http: { address: ':80' } }) };
  const prom = config.metrics?.prometheus;
  const needsInternal =
    config.api?.insecure === true ||
    (config.ping !== undefined && config.ping.entryPoint === INTERNAL_ENTRYPOINT) ||
    (prom !== undefined && !prom.manualRouting && prom.entryPoint === INTERNAL_ENTRYPOINT);
  if (needsInternal && !eps[INTERNAL_ENTRYPOINT])
    eps[INTERNAL_ENTRYPOINT] = { address: INTERNAL_ENTRYPOINT_ADDRESS };
  return eps;
}

/**
 * EntryPoints as compile sees them: routers without entryPoints attach to the `asDefault` ones, or to all
 * but the internal one when none is marked.
 */
export function entryPointSpecs(eps: Record<string, EntryPointConfig>): EntryPointSpec[] {
  const anyDefault = Object.values(eps).some((e) => e.asDefault);
  return Object.entries(eps).map(([name, ep]) => ({
    name,
    middlewares: ep.http?.middlewares ?? [],
    isDefault: name !== INTERNAL_ENTRYPOINT && (ep.asDefault === true || !anyDefault),
    ...(ep.http?.tls ? { tls: ep.http.tls } : {}),
  }));
}
