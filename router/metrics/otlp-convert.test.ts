import { AggregationTemporality, DataPointType } from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { type PromJsonMetric, toMetricData, unitOf } from './otlp-convert.ts';

const START: [number, number] = [100, 0];
const END: [number, number] = [110, 0];

describe('unitOf: the unit from a Prometheus name', () => {
  it.each([
    ['wharf_entrypoint_request_duration_seconds', 's'],
    ['wharf_entrypoint_requests_bytes_total', 'By'],
    ['wharf_config_reloads_total', ''],
    ['wharf_tls_certs_not_after', ''],
  ])('%s → %j', (name, unit) => expect(unitOf(name)).toBe(unit));
});

describe('toMetricData: prom-client JSON as OTLP metric data', () => {
  it.each<[string, PromJsonMetric, unknown]>([
    [
      'a counter: cumulative monotonic sum, labels as attributes',
      {
        name: 'x_requests_total',
        help: 'h',
        type: 'counter',
        values: [{ labels: { code: 200, method: 'GET' }, value: 3 }],
      },
      {
        descriptor: { name: 'x_requests_total', description: 'h', unit: '' },
        dataPointType: DataPointType.SUM,
        aggregationTemporality: AggregationTemporality.CUMULATIVE,
        isMonotonic: true,
        dataPoints: [
          { startTime: START, endTime: END, attributes: { code: '200', method: 'GET' }, value: 3 },
        ],
      },
    ],
    [
      'a gauge',
      { name: 'x_open_connections', help: 'h', type: 'gauge', values: [{ labels: {}, value: 7 }] },
      {
        dataPointType: DataPointType.GAUGE,
        dataPoints: [{ attributes: {}, value: 7 }],
      },
    ],
    [
      'a histogram: cumulative buckets become per-bucket counts, +Inf the overflow bucket',
      {
        name: 'x_duration_seconds',
        help: 'h',
        type: 'histogram',
        values: [
          { metricName: 'x_duration_seconds_bucket', labels: { code: 200, le: 0.1 }, value: 2 },
          { metricName: 'x_duration_seconds_bucket', labels: { code: 200, le: 1 }, value: 5 },
          { metricName: 'x_duration_seconds_bucket', labels: { code: 200, le: '+Inf' }, value: 6 },
          { metricName: 'x_duration_seconds_sum', labels: { code: 200 }, value: 4.5 },
          { metricName: 'x_duration_seconds_count', labels: { code: 200 }, value: 6 },
          { metricName: 'x_duration_seconds_bucket', labels: { code: 500, le: 0.1 }, value: 0 },
          { metricName: 'x_duration_seconds_bucket', labels: { code: 500, le: 1 }, value: 1 },
          { metricName: 'x_duration_seconds_bucket', labels: { code: 500, le: '+Inf' }, value: 1 },
          { metricName: 'x_duration_seconds_sum', labels: { code: 500 }, value: 0.5 },
          { metricName: 'x_duration_seconds_count', labels: { code: 500 }, value: 1 },
        ],
      },
      {
        descriptor: { unit: 's' },
        dataPointType: DataPointType.HISTOGRAM,
        dataPoints: [
          {
            attributes: { code: '200' },
            value: { buckets: { boundaries: [0.1, 1], counts: [2, 3, 1] }, sum: 4.5, count: 6 },
          },
          {
            attributes: { code: '500' },
            value: { buckets: { boundaries: [0.1, 1], counts: [0, 1, 0] }, sum: 0.5, count: 1 },
          },
        ],
      },
    ],
  ])('%s', (_name, input, expected) => {
    const [out] = toMetricData([input], START, END);
    expect(out).toMatchObject(expected as object);
  });

  it('leaves summaries out', () => {
    expect(toMetricData([{ name: 's', help: 'h', type: 'summary', values: [] }], START, END)).toEqual([]);
  });
});
