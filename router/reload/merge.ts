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
import { ITEMS_PER_PAUSE, runSync, type Steps } from '../compile/slices.ts';

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
  return runSync(mergeSteps(snapshots));
}

/** merge, pausing every few items (router/compile/slices.ts): a provider may hold 100,000s of routers. */
export function* mergeSteps(snapshots: Iterable<Snapshot>): Steps<MergedConfig> {
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
    let n = 0;
    // Object.keys, not entries: for 500,000 routers the pairs alone took over a second in one go.
    const own = http.routers ?? {};
    for (const name of Object.keys(own)) {
      routers.set(joinName(name, p), { provider: p, config: own[name] as RouterConfig });
      if (++n % ITEMS_PER_PAUSE === 0) yield;
    }
    for (const [name, config] of Object.entries(http.services ?? {})) {
      services.set(joinName(name, p), config);
      if (++n % ITEMS_PER_PAUSE === 0) yield;
    }
    for (const [name, config] of Object.entries(http.middlewares ?? {})) {
      middlewares.set(joinName(name, p), config);
      if (++n % ITEMS_PER_PAUSE === 0) yield;
    }
    for (const [name, config] of Object.entries(http.serversTransports ?? {}))
      serversTransports.set(joinName(name, p), config);
    if (snap.config.tls) tls.push({ provider: p, config: snap.config.tls });
    for (const d of snap.diagnostics) {
      diagnostics.push(d);
      if (++n % ITEMS_PER_PAUSE === 0) yield;
    }
  }
  return { routers, services, middlewares, serversTransports, tls, diagnostics };
}
