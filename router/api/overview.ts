import type { StaticConfig } from '../../config/static.ts';

// /api/overview as Traefik v3.7 serves it (pkg/api/handler_overview.go): counts by status per kind, the
// observability features in use and the providers configured.

/** The totals of one kind: every item, those with warnings, those disabled (errors). */
export interface Section {
  total: number;
  warnings: number;
  errors: number;
}

/** Counts items by status as Traefik does: `warning` are warnings, `disabled` are errors. */
export function countSection(items: Iterable<{ readonly status: string }>): Section {
  const out: Section = { total: 0, warnings: 0, errors: 0 };
  for (const i of items) {
    out.total++;
    if (i.status === 'warning') out.warnings++;
    else if (i.status === 'disabled') out.errors++;
  }
  return out;
}

// Traefik names features and providers by their Go field names, in its struct's field order.
const PROVIDER_NAMES: ReadonlyArray<readonly [string, string]> = [
  ['docker', 'Docker'],
  ['swarm', 'Swarm'],
  ['file', 'File'],
  ['kubernetesIngress', 'KubernetesIngress'],
  ['kubernetesIngressNGINX', 'KubernetesIngressNGINX'],
  ['kubernetesCRD', 'KubernetesCRD'],
  ['kubernetesGateway', 'KubernetesGateway'],
  ['knative', 'Knative'],
  ['rest', 'Rest'],
  ['consulCatalog', 'ConsulCatalog'],
  ['nomad', 'Nomad'],
  ['ecs', 'Ecs'],
  ['consul', 'Consul'],
  ['etcd', 'Etcd'],
  ['zooKeeper', 'ZooKeeper'],
  ['redis', 'Redis'],
  ['http', 'HTTP'],
];
const METRICS_NAMES: ReadonlyArray<readonly [string, string]> = [
  ['prometheus', 'Prometheus'],
  ['datadog', 'Datadog'],
  ['statsD', 'StatsD'],
  ['influxDB2', 'InfluxDB2'],
  ['otlp', 'OTLP'],
];
const TRACING_NAMES: ReadonlyArray<readonly [string, string]> = [['otlp', 'OTLP']];

/** The first configured backend of a section (`metrics.prometheus` → "Prometheus"), or ''. */
function firstOf(section: unknown, names: ReadonlyArray<readonly [string, string]>): string {
  if (typeof section !== 'object' || section === null) return '';
  const s = section as Record<string, unknown>;
  return names.find(([key]) => s[key] !== undefined && s[key] !== null)?.[1] ?? '';
}

/** The overview's kinds: HTTP items from the API's lists; Wharf routes no TCP or UDP, so those are zero. */
export interface OverviewItems {
  readonly routers: Iterable<{ readonly status: string }>;
  readonly services: Iterable<{ readonly status: string }>;
  readonly middlewares: Iterable<{ readonly status: string }>;
}

/** The /api/overview document. */
export function overview(items: OverviewItems, config: StaticConfig) {
  const none = (): Section => ({ total: 0, warnings: 0, errors: 0 });
  const c = config as StaticConfig & { metrics?: unknown; tracing?: unknown };
  const providers = PROVIDER_NAMES.filter(
    ([key]) => (config.providers as Record<string, unknown>)[key] !== undefined,
  ).map(([, name]) => name);
  return {
    http: {
      routers: countSection(items.routers),
      services: countSection(items.services),
      middlewares: countSection(items.middlewares),
    },
    tcp: { routers: none(), services: none(), middlewares: none() },
    udp: { routers: none(), services: none() },
    features: {
      tracing: firstOf(c.tracing, TRACING_NAMES),
      metrics: firstOf(c.metrics, METRICS_NAMES),
      accessLog: config.accessLog !== undefined,
    },
    // Go's omitempty: no providers, no key.
    ...(providers.length > 0 ? { providers } : {}),
  };
}
