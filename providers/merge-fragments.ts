import type { Diagnostic } from '../config/diagnostics.ts';
import type { DynamicConfig, LoadBalancer, Server, ServiceConfig } from '../config/dynamic.ts';
import { formatError } from '../config/errors.ts';
import { stableStringify } from '../core/stable-stringify.ts';

// Several sources of one provider (files, containers) each give a fragment of its configuration. Items
// with the same name must agree; Traefik keeps whichever it read first or deletes them silently.

/** One source's part of a provider's configuration. */
export interface ConfigFragment {
  /** The file path or container name, used in conflict messages. */
  readonly source: string;
  readonly config: DynamicConfig;
}

/** How fragments merge. */
export interface MergeFragmentsOptions {
  /** The provider, as the diagnostics' source: 'file', 'docker'. */
  readonly provider: string;
  /**
   * Load balancers that differ only in their servers are one service whose servers are the union
   * (deduplicated by URL, in fragment order): replicas of a container.
   */
  readonly unionServers?: boolean;
}

type Section = 'routers' | 'services' | 'middlewares' | 'serversTransports';
const SECTIONS = ['routers', 'services', 'middlewares', 'serversTransports'] as const;
const KIND = {
  routers: 'router',
  services: 'service',
  middlewares: 'middleware',
  serversTransports: 'serversTransport',
} as const;
const CODE = {
  routers: 'ROUTER_CONFLICT',
  services: 'SERVICE_CONFLICT',
  middlewares: 'MIDDLEWARE_CONFLICT',
  serversTransports: 'SERVERS_TRANSPORT_CONFLICT',
} as const;

/**
 * Merges fragments of one provider. An item defined identically in several fragments is kept once;
 * defined differently, it is left out with an error naming every source that defines it.
 */
export function mergeFragments(
  parts: readonly ConfigFragment[],
  opts: MergeFragmentsOptions,
): { config: DynamicConfig; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const http: Record<Section, Record<string, unknown>> = {
    routers: {},
    services: {},
    middlewares: {},
    serversTransports: {},
  };
  const tls: NonNullable<DynamicConfig['tls']> = {};
  for (const section of SECTIONS) {
    if (parts.length === 1) {
      // One fragment: its items as they are (a 500,000-router file needs no copy).
      http[section] = parts[0]?.config.http?.[section] ?? {};
      continue;
    }
    const seen = new Map<string, { sources: string[]; values: unknown[] }>();
    for (const { source, config } of parts) {
      for (const [name, value] of Object.entries(config.http?.[section] ?? {})) {
        const entry = seen.get(name) ?? { sources: [] as string[], values: [] as unknown[] };
        entry.sources.push(source);
        entry.values.push(value);
        seen.set(name, entry);
      }
    }
    for (const [name, { sources, values }] of seen) {
      // One source (nearly every item): nothing to compare, and stringifying 500,000 routers took 10 s.
      const same = values.length === 1 || new Set(values.map((v) => stableStringify(v))).size === 1;
      const union =
        !same && section === 'services' && opts.unionServers ? unionOf(values as ServiceConfig[]) : undefined;
      if (same || union) {
        http[section][name] = union ?? values[0];
        continue;
      }
      const kind = KIND[section];
      diagnostics.push({
        source: opts.provider,
        subject: sources.join(', '),
        code: CODE[section],
        message: formatError(CODE[section], { [kind]: name, sources: sources.join(' and ') }),
        severity: 'error',
        item: { kind, name },
      });
    }
  }
  for (const { config } of parts) {
    if (config.tls?.certificates)
      tls.certificates = [...(tls.certificates ?? []), ...config.tls.certificates];
    if (config.tls?.options) tls.options = { ...tls.options, ...config.tls.options };
    if (config.tls?.stores) tls.stores = { ...tls.stores, ...config.tls.stores };
  }
  // serversTransports only when some fragment has one, so configurations without stay as they were.
  const { serversTransports, ...rest } = http;
  const config: DynamicConfig = {
    http: (Object.keys(serversTransports).length > 0 ? http : rest) as DynamicConfig['http'],
  };
  if (Object.keys(tls).length > 0) config.tls = tls;
  return { config, diagnostics };
}

/** One service from load balancers equal but for their servers; undefined when they differ otherwise. */
function unionOf(values: readonly ServiceConfig[]): ServiceConfig | undefined {
  const rest = (s: ServiceConfig): string => {
    const { servers: _, ...lb } = s.loadBalancer as LoadBalancer;
    return stableStringify({ ...s, loadBalancer: lb });
  };
  if (values.some((v) => v.loadBalancer === undefined)) return undefined;
  if (new Set(values.map(rest)).size !== 1) return undefined;
  const servers = new Map<string, Server>();
  for (const v of values)
    for (const s of v.loadBalancer?.servers ?? []) if (!servers.has(s.url)) servers.set(s.url, s);
  const first = values[0] as ServiceConfig;
  return { ...first, loadBalancer: { ...first.loadBalancer, servers: [...servers.values()] } };
}
