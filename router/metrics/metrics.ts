import type { IncomingMessage, ServerResponse } from 'node:http';
import type { PushMetricExporter } from '@opentelemetry/sdk-metrics';
import { collectDefaultMetrics, Registry } from 'prom-client';
import {
  type EntryPointObservability,
  entryPointObservability,
} from '../../config/static/entry-point-observability.ts';
import type { MetricsConfig } from '../../config/static/metrics.ts';
import type { Logger } from '../../core/log.ts';
import type { RoutingTable } from '../compile/compile.ts';
import { OtlpMetricsPush } from './otlp-metrics.ts';
import type { HeaderLabels } from './request-cells.ts';
import { registerRequestFamilies, registerRetries } from './request-families.ts';
import { RequestMetrics } from './request-metrics.ts';
import { type MetricsSources, registerWharfMetrics } from './wharf-metrics.ts';

const ENTRYPOINT = { prefix: 'wharf_entrypoint_', what: 'an entrypoint' };
const ROUTER = { prefix: 'wharf_router_', what: 'a router' };
const SERVICE = { prefix: 'wharf_service_', what: 'a service' };

/** The path Prometheus scrapes (Traefik's router: PathPrefix(`/metrics`)). */
export const METRICS_PATH = '/metrics';

/** `headerLabels` as the request path reads them (header names lower case, as Node gives them). */
export function resolveHeaderLabels(labels: Record<string, string> | undefined): HeaderLabels | undefined {
  const entries = Object.entries(labels ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (entries.length === 0) return undefined;
  return { names: entries.map(([n]) => n), headers: entries.map(([, h]) => h.toLowerCase()) };
}

/** The request levels a registry exports (an exporter's addEntryPointsLabels, ...). */
interface Levels {
  readonly addEntryPointsLabels: boolean;
  readonly addRoutersLabels: boolean;
  readonly addServicesLabels: boolean;
}

/**
 * Wharf's metrics: requests counted once (one call per finished request, `requests`) and exported by a
 * Prometheus registry (Node's process metrics, Traefik's metric set named wharf_* and Wharf's own,
 * docs/observability/metrics.md) scraped at /metrics, and/or pushed over OTLP (`metrics.otlp`). Each
 * exporter shows the levels and buckets of its own options; everything but the request counts is read
 * from Wharf's state when exported.
 */
export class Metrics {
  /** The Prometheus registry, when `metrics.prometheus` is set. */
  readonly registry: Registry | undefined;
  readonly requests: RequestMetrics;
  /** The OTLP push, when `metrics.otlp` is set. */
  readonly otlp: OtlpMetricsPush | undefined;
  private readonly logger: Logger;
  private readonly entryPointNames: readonly string[];

  constructor(
    metrics: MetricsConfig,
    sources: MetricsSources,
    entryPoints: Readonly<Record<string, { observability?: EntryPointObservability | undefined }>>,
    logger: Logger,
    otlpExporter?: PushMetricExporter,
  ) {
    const p = metrics.prometheus;
    const o = metrics.otlp;
    this.logger = logger;
    this.entryPointNames = Object.keys(entryPoints);
    const headerLabels = resolveHeaderLabels(p?.headerLabels);
    const either = (key: keyof Levels) => p?.[key] === true || o?.[key] === true;
    const cells = [...new Set([...(p?.buckets ?? []), ...(o?.explicitBoundaries ?? [])])].sort(
      (a, b) => a - b,
    );
    const quiet = [...entryPointObservability(entryPoints, 'metrics')].filter(([, on]) => !on);
    this.requests = new RequestMetrics({
      entryPoints: either('addEntryPointsLabels'),
      routers: either('addRoutersLabels'),
      services: either('addServicesLabels'),
      internals: metrics.addInternals,
      bounds: cells,
      ...(headerLabels ? { headerLabels } : {}),
      ...(quiet.length > 0 ? { quietEntryPoints: new Set(quiet.map(([name]) => name)) } : {}),
    });
    const register = (
      registry: Registry,
      levels: Levels,
      exported: readonly number[],
      headers?: HeaderLabels,
    ) => {
      registerWharfMetrics(registry, sources);
      const r = this.requests;
      const bounds = { exported, cells };
      if (levels.addEntryPointsLabels)
        registerRequestFamilies(registry, r.entryPoints, ENTRYPOINT, bounds, headers);
      if (levels.addRoutersLabels) registerRequestFamilies(registry, r.routers, ROUTER, bounds, headers);
      if (levels.addServicesLabels) {
        registerRequestFamilies(registry, r.services, SERVICE, bounds, headers);
        registerRetries(registry, r.services, 'wharf_service_retries_total');
      }
    };
    if (p) {
      this.registry = new Registry();
      collectDefaultMetrics({ register: this.registry });
      register(this.registry, p, p.buckets, headerLabels);
    }
    if (o) {
      // Items gone from the configuration are dropped after the Prometheus scrape when there is one,
      // else after a push.
      this.otlp = new OtlpMetricsPush(o, logger, {
        ...(otlpExporter ? { exporter: otlpExporter } : {}),
        ...(p ? {} : { afterPush: () => this.sweep() }),
      });
      register(this.otlp.registry, o, o.explicitBoundaries);
      this.otlp.start();
    }
  }

  /** A new table is in service (Reloader.subscribe). */
  onTable(table: RoutingTable): void {
    this.requests.onTable(table, this.entryPointNames);
  }

  /** The exposition text; items gone from the configuration are dropped once it is taken. */
  async scrape(): Promise<string> {
    if (!this.registry) throw new Error('metrics.prometheus is not configured');
    const text = await this.registry.metrics();
    this.sweep();
    return text;
  }

  private sweep(): void {
    this.requests.entryPoints.sweep();
    this.requests.routers.sweep();
    this.requests.services.sweep();
  }

  /** Stops pushing after a last push of what was counted since the previous one, waited for 5 s at most. */
  async close(): Promise<void> {
    let bound: NodeJS.Timeout | undefined;
    await Promise.race([
      this.otlp?.close(),
      new Promise((r) => {
        bound = setTimeout(r, 5_000).unref();
      }),
    ]).finally(() => clearTimeout(bound));
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
      'content-type': (this.registry as Registry).contentType,
      'content-length': Buffer.byteLength(text),
    });
    res.end(text);
  };
}
