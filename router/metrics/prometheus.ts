import type { IncomingMessage, ServerResponse } from 'node:http';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { MetricsConfig, PrometheusMetricsConfig } from '../../config/static/metrics.ts';
import type { Logger } from '../../core/log.ts';
import type { RoutingTable } from '../compile/compile.ts';
import type { HeaderLabels } from './request-cells.ts';
import { registerRequestFamilies, registerRetries } from './request-families.ts';
import { RequestMetrics } from './request-metrics.ts';
import { type MetricsSources, registerWharfMetrics } from './wharf-metrics.ts';

/** The path Prometheus scrapes (Traefik's router: PathPrefix(`/metrics`)). */
export const METRICS_PATH = '/metrics';

/** `headerLabels` as the request path reads them (header names lower case, as Node gives them). */
export function resolveHeaderLabels(labels: Record<string, string> | undefined): HeaderLabels | undefined {
  const entries = Object.entries(labels ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (entries.length === 0) return undefined;
  return { names: entries.map(([n]) => n), headers: entries.map(([, h]) => h.toLowerCase()) };
}

/**
 * The Prometheus exporter: a prom-client registry holding Node's process metrics, Traefik's metric set
 * named wharf_* and Wharf's own metrics (docs/observability/metrics.md). Requests are counted by
 * `requests` (one call per finished request); everything else is read when scraped.
 */
export class PrometheusMetrics {
  readonly registry = new Registry();
  readonly requests: RequestMetrics;
  readonly config: PrometheusMetricsConfig;
  private readonly logger: Logger;
  private readonly entryPointNames: readonly string[];

  constructor(
    metrics: MetricsConfig & { prometheus: PrometheusMetricsConfig },
    sources: MetricsSources,
    entryPoints: readonly string[],
    logger: Logger,
  ) {
    const p = metrics.prometheus;
    this.config = p;
    this.logger = logger;
    this.entryPointNames = entryPoints;
    const headerLabels = resolveHeaderLabels(p.headerLabels);
    this.requests = new RequestMetrics({
      entryPoints: p.addEntryPointsLabels,
      routers: p.addRoutersLabels,
      services: p.addServicesLabels,
      internals: metrics.addInternals,
      bounds: p.buckets,
      ...(headerLabels ? { headerLabels } : {}),
    });
    collectDefaultMetrics({ register: this.registry });
    registerWharfMetrics(this.registry, sources);
    const r = this.requests;
    if (p.addEntryPointsLabels)
      registerRequestFamilies(
        this.registry,
        r.entryPoints,
        { prefix: 'wharf_entrypoint_', what: 'an entrypoint' },
        p.buckets,
        headerLabels,
      );
    if (p.addRoutersLabels)
      registerRequestFamilies(
        this.registry,
        r.routers,
        { prefix: 'wharf_router_', what: 'a router' },
        p.buckets,
        headerLabels,
      );
    if (p.addServicesLabels) {
      registerRequestFamilies(
        this.registry,
        r.services,
        { prefix: 'wharf_service_', what: 'a service' },
        p.buckets,
        headerLabels,
      );
      registerRetries(this.registry, r.services, 'wharf_service_retries_total');
    }
  }

  /** A new table is in service (Reloader.subscribe). */
  onTable(table: RoutingTable): void {
    this.requests.onTable(table, this.entryPointNames);
  }

  /** The exposition text; items gone from the configuration are dropped once it is taken. */
  async scrape(): Promise<string> {
    const text = await this.registry.metrics();
    this.requests.entryPoints.sweep();
    this.requests.routers.sweep();
    this.requests.services.sweep();
    return text;
  }

  /**
   * The handler of the `prometheus@internal` service: answers every request with the exposition text, as
   * Traefik's promhttp handler does. Route it with a router of your own when `manualRouting` is true.
   */
  readonly serve = async (_req: IncomingMessage, res: ServerResponse): Promise<void> => {
    let text: string;
    try {
      text = await this.scrape();
    } catch (err) {
      this.logger.error({ err }, 'cannot collect the metrics');
      res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('500 Internal Server Error: the metrics could not be collected\n');
      return;
    }
    res.writeHead(200, {
      'content-type': this.registry.contentType,
      'content-length': Buffer.byteLength(text),
    });
    res.end(text);
  };
}
