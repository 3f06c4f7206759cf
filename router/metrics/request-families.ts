import type { Metric, MetricValue, Registry } from 'prom-client';
import type { Cell, HeaderLabels, Subject, SubjectMap } from './request-cells.ts';

// The request metrics of one level (entryPoint, router or service) as prom-client metrics: objects with
// prom-client's get() contract, registered in its Registry, which formats them with the others. They read
// the cells of request-cells.ts when scraped; nothing is computed per request here.

type Labels = Record<string, string | number>;
type Values = Array<MetricValue<string> & { metricName?: string }>;

/** A metric whose values are computed from the subjects at scrape time. */
class ComputedMetric {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'histogram';
  readonly aggregator = 'sum';
  private readonly values: () => Values;

  constructor(name: string, help: string, type: 'counter' | 'histogram', values: () => Values) {
    this.name = name;
    this.help = help;
    this.type = type;
    this.values = values;
  }

  async get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: Values }> {
    return {
      name: this.name,
      help: this.help,
      type: this.type,
      aggregator: this.aggregator,
      values: this.values(),
    };
  }
}

function cellLabels(s: Subject, c: Cell): Labels {
  return { ...s.labels, code: c.code, method: c.method, protocol: c.protocol };
}

/** The duration buckets: those an exporter shows, and those the cells count (a superset, sorted). */
export interface Bounds {
  readonly exported: readonly number[];
  readonly cells: readonly number[];
}

/** What a level is called in metric names and help texts. */
export interface LevelNames {
  /** e.g. wharf_entrypoint_ */
  readonly prefix: string;
  /** e.g. "an entrypoint" */
  readonly what: string;
}

/**
 * Registers a level's request metrics, Traefik's set: requests_total (with the header labels),
 * requests_tls_total, request_duration_seconds, requests_bytes_total and responses_bytes_total.
 */
export function registerRequestFamilies(
  registry: Registry,
  level: SubjectMap,
  names: LevelNames,
  bounds: Bounds,
  headerLabels: HeaderLabels | undefined,
): void {
  // The cells count per bucket of `bounds.cells` (every exporter's bounds together); an exporter's
  // cumulative bucket at bound b is the sum of the cells' buckets up to b, exact as b is one of them.
  const upTo = bounds.exported.map((b) => bounds.cells.indexOf(b));
  const each = (f: (s: Subject, c: Cell, out: Values) => void) => (): Values => {
    const out: Values = [];
    for (const s of level.subjects.values()) for (const c of s.cells.values()) f(s, c, out);
    return out;
  };
  const add = (m: ComputedMetric) => registry.registerMetric(m as unknown as Metric<string>);
  const { prefix, what } = names;
  add(
    new ComputedMetric(
      `${prefix}requests_total`,
      `How many HTTP requests processed on ${what}, partitioned by status code, protocol, and method.`,
      'counter',
      each((s, c, out) => {
        if (!headerLabels || !c.byHeaders) {
          out.push({ labels: cellLabels(s, c), value: c.requests });
          return;
        }
        for (const [joined, n] of c.byHeaders) {
          const labels = cellLabels(s, c);
          const values = joined.split('\u0000');
          headerLabels.names.forEach((name, i) => {
            labels[name] = values[i] ?? '';
          });
          out.push({ labels, value: n });
        }
      }),
    ),
  );
  add(
    new ComputedMetric(
      `${prefix}requests_tls_total`,
      `How many HTTP requests with TLS processed on ${what}, partitioned by TLS version and TLS cipher.`,
      'counter',
      () => {
        const out: Values = [];
        for (const s of level.subjects.values())
          for (const [tls, n] of s.tls)
            out.push({ labels: { ...s.labels, tls_version: tls.version, tls_cipher: tls.cipher }, value: n });
        return out;
      },
    ),
  );
  add(
    new ComputedMetric(
      `${prefix}request_duration_seconds`,
      `How long it took to process the request on ${what}, partitioned by status code, protocol, and method.`,
      'histogram',
      each((s, c, out) => {
        const labels = cellLabels(s, c);
        let cumulative = 0;
        let cell = 0;
        bounds.exported.forEach((le, i) => {
          for (; cell <= (upTo[i] as number); cell++) cumulative += c.buckets[cell] as number;
          out.push({
            metricName: `${prefix}request_duration_seconds_bucket`,
            labels: { ...labels, le },
            value: cumulative,
          });
        });
        out.push({
          metricName: `${prefix}request_duration_seconds_bucket`,
          labels: { ...labels, le: '+Inf' },
          value: c.requests,
        });
        out.push({ metricName: `${prefix}request_duration_seconds_sum`, labels, value: c.durationSum });
        out.push({ metricName: `${prefix}request_duration_seconds_count`, labels, value: c.requests });
      }),
    ),
  );
  add(
    new ComputedMetric(
      `${prefix}requests_bytes_total`,
      `The total size of requests in bytes handled by ${what}, partitioned by status code, protocol, and method.`,
      'counter',
      each((s, c, out) => out.push({ labels: cellLabels(s, c), value: c.requestBytes })),
    ),
  );
  add(
    new ComputedMetric(
      `${prefix}responses_bytes_total`,
      `The total size of responses in bytes handled by ${what}, partitioned by status code, protocol, and method.`,
      'counter',
      each((s, c, out) => out.push({ labels: cellLabels(s, c), value: c.responseBytes })),
    ),
  );
}

/** Registers wharf_service_retries_total, read from the service subjects. */
export function registerRetries(registry: Registry, services: SubjectMap, name: string): void {
  const m = new ComputedMetric(name, 'How many request retries happened on a service.', 'counter', () =>
    [...services.subjects.values()]
      .filter((s) => s.retries > 0)
      .map((s) => ({ labels: { ...s.labels }, value: s.retries })),
  );
  registry.registerMetric(m as unknown as Metric<string>);
}
