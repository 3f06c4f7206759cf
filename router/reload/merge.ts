import type { Diagnostic } from '../../config/diagnostics.ts';
import type {
  MiddlewareConfig,
  RouterConfig,
  ServersTransportConfig,
  ServiceConfig,
  TlsConfig,
} from '../../config/dynamic.ts';
import { joinName } from '../../config/names.ts';
import type { Snapshot } from '../../providers/provider.ts';

/** A router with the provider it came from, which resolves its unqualified references. */
export interface MergedRouter {
  readonly provider: string;
  readonly config: RouterConfig;
}

/** Every provider's configuration under qualified names (`name@provider`). */
export interface MergedConfig {
  readonly routers: Map<string, MergedRouter>;
  readonly services: Map<string, ServiceConfig>;
  readonly middlewares: Map<string, MiddlewareConfig>;
  /** `http.serversTransports` of every provider (absent: none). */
  readonly serversTransports?: Map<string, ServersTransportConfig>;
  readonly tls: ReadonlyArray<{ provider: string; config: TlsConfig }>;
  /** Every snapshot's diagnostics, in provider order. */
  readonly diagnostics: readonly Diagnostic[];
}

/**
 * Merges the latest snapshot of each provider by qualifying every name with its provider, so names never
 * collide across providers (Traefik's model). Providers are visited in name order: deterministic output.
 */
export function merge(snapshots: Iterable<Snapshot>): MergedConfig {
  const routers = new Map<string, MergedRouter>();
  const services = new Map<string, ServiceConfig>();
  const middlewares = new Map<string, MiddlewareConfig>();
  const serversTransports = new Map<string, ServersTransportConfig>();
  const tls: Array<{ provider: string; config: TlsConfig }> = [];
  const diagnostics: Diagnostic[] = [];
  const ordered = [...snapshots].sort((a, b) =>
    a.provider < b.provider ? -1 : a.provider > b.provider ? 1 : 0,
  );
  for (const snap of ordered) {
    const p = snap.provider;
    const http = snap.config.http ?? {};
    for (const [name, config] of Object.entries(http.routers ?? {}))
      routers.set(joinName(name, p), { provider: p, config });
    for (const [name, config] of Object.entries(http.services ?? {})) services.set(joinName(name, p), config);
    for (const [name, config] of Object.entries(http.middlewares ?? {}))
      middlewares.set(joinName(name, p), config);
    for (const [name, config] of Object.entries(http.serversTransports ?? {}))
      serversTransports.set(joinName(name, p), config);
    if (snap.config.tls) tls.push({ provider: p, config: snap.config.tls });
    diagnostics.push(...snap.diagnostics);
  }
  return { routers, services, middlewares, serversTransports, tls, diagnostics };
}
