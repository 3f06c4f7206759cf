import { type HrTime, ValueType } from '@opentelemetry/api';
import { AggregationTemporality, DataPointType, type MetricData } from '@opentelemetry/sdk-metrics';

// Converts the metrics of a prom-client registry (its getMetricsAsJSON) into OpenTelemetry's metric data,
// so the same families Prometheus scrapes are pushed over OTLP: counters as cumulative monotonic sums,
// gauges as gauges, histograms as cumulative explicit-bucket histograms, names and labels unchanged (as
// Traefik's OTLP registry names them like its Prometheus one).

/** One metric as prom-client's getMetricsAsJSON gives it. */
export interface PromJsonMetric {
  readonly name: string;
  readonly help: string;
  readonly type: string;
  readonly values: ReadonlyArray<{
    readonly labels: Readonly<Record<string, string | number | undefined>>;
    readonly value: number;
    readonly metricName?: string | undefined;
  }>;
}

type Labels = Record<string, string>;

function attributes(labels: PromJsonMetric['values'][number]['labels'], skip?: string): Labels {
  const out: Labels = {};
  for (const [k, v] of Object.entries(labels)) if (k !== skip && v !== undefined) out[k] = String(v);
  return out;
}

/** The unit of a metric from its name's suffix (Prometheus naming): s, By or none. */
export function unitOf(name: string): string {
  if (/_seconds(?:_total)?$/.test(name)) return 's';
  if (/_bytes(?:_total)?$/.test(name)) return 'By';
  return '';
}

interface HistogramGroup {
  attributes: Labels;
  buckets: { le: number; cumulative: number }[];
  sum: number;
  count: number;
}

function histogramGroups(m: PromJsonMetric): HistogramGroup[] {
  const groups = new Map<string, HistogramGroup>();
  for (const v of m.values) {
    const attrs = attributes(v.labels, 'le');
    const key = JSON.stringify(Object.entries(attrs).sort(([a], [b]) => (a < b ? -1 : 1)));
    let g = groups.get(key);
    if (g === undefined) {
      g = { attributes: attrs, buckets: [], sum: 0, count: 0 };
      groups.set(key, g);
    }
    const which = v.metricName ?? m.name;
    if (which.endsWith('_bucket')) {
      const le = v.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(v.labels.le);
      g.buckets.push({ le, cumulative: v.value });
    } else if (which.endsWith('_sum')) g.sum = v.value;
    else if (which.endsWith('_count')) g.count = v.value;
  }
  return [...groups.values()];
}

/**
 * The OTLP metric data of a registry's metrics, every point stamped [startTime, endTime]: cumulative since
 * `startTime` (when the exporter started). Summaries, which Wharf does not export, are left out.
 */
export function toMetricData(
  metrics: readonly PromJsonMetric[],
  startTime: HrTime,
  endTime: HrTime,
): MetricData[] {
  const out: MetricData[] = [];
  for (const m of metrics) {
    const descriptor = {
      name: m.name,
      description: m.help,
      unit: unitOf(m.name),
      valueType: ValueType.DOUBLE,
    };
    const point = <T>(attrs: Labels, value: T) => ({ startTime, endTime, attributes: attrs, value });
    if (m.type === 'counter' || m.type === 'gauge') {
      const dataPoints = m.values.map((v) => point(attributes(v.labels), v.value));
      out.push(
        m.type === 'counter'
          ? {
              descriptor,
              aggregationTemporality: AggregationTemporality.CUMULATIVE,
              dataPointType: DataPointType.SUM,
              isMonotonic: true,
              dataPoints,
            }
          : {
              descriptor,
              aggregationTemporality: AggregationTemporality.CUMULATIVE,
              dataPointType: DataPointType.GAUGE,
              dataPoints,
            },
      );
    } else if (m.type === 'histogram') {
      const dataPoints = histogramGroups(m).map((g) => {
        const buckets = [...g.buckets].sort((a, b) => a.le - b.le);
        const boundaries = buckets.filter((b) => Number.isFinite(b.le)).map((b) => b.le);
        const counts = buckets.map(
          (b, i) => b.cumulative - (i === 0 ? 0 : (buckets[i - 1]?.cumulative ?? 0)),
        );
        // Without a +Inf bucket the overflow bucket is what the count has beyond the last bound.
        if (buckets.at(-1)?.le !== Number.POSITIVE_INFINITY)
          counts.push(g.count - (buckets.at(-1)?.cumulative ?? 0));
        return point(g.attributes, { buckets: { boundaries, counts }, sum: g.sum, count: g.count });
      });
      out.push({
        descriptor,
        aggregationTemporality: AggregationTemporality.CUMULATIVE,
        dataPointType: DataPointType.HISTOGRAM,
        dataPoints,
      });
    }
  }
  return out;
}
