import { z } from 'zod';

// The static `metrics` section: Traefik v3's keys (pkg/observability/types/metrics.go) for what Wharf
// exports. Datadog, StatsD and InfluxDB2 are accepted with a start-up warning (config/load-static.ts).

/** Traefik's default latency buckets, in seconds. */
export const DEFAULT_BUCKETS: readonly number[] = [0.1, 0.3, 1.2, 5];

/** A Prometheus label name that is not one of the labels the request counters already have. */
const HeaderLabelName = z
  .string()
  .regex(
    /^[a-zA-Z_][a-zA-Z0-9_]*$/,
    'a Prometheus label name is letters, digits and _, not starting with a digit',
  )
  .refine((name) => !name.startsWith('__'), 'names starting with __ are reserved by Prometheus')
  .refine(
    (name) => !['code', 'method', 'protocol', 'entrypoint', 'router', 'service'].includes(name),
    'the request counters already have this label',
  );

/** `metrics.prometheus`: the Prometheus exporter, scraped at `/metrics`. */
export const PrometheusMetricsSchema = z.strictObject({
  buckets: z
    .array(z.number().finite().positive())
    .min(1)
    .default([...DEFAULT_BUCKETS])
    .transform((b) => [...new Set(b)].sort((x, y) => x - y))
    .describe('Upper bounds of the request duration histograms, in seconds (default 0.1, 0.3, 1.2, 5)'),
  addEntryPointsLabels: z
    .boolean()
    .default(true)
    .describe('Export the wharf_entrypoint_* request metrics (default true)'),
  addRoutersLabels: z
    .boolean()
    .default(false)
    .describe('Export the wharf_router_* request metrics (default false: one series set per router)'),
  addServicesLabels: z
    .boolean()
    .default(true)
    .describe('Export the wharf_service_* request metrics (default true)'),
  entryPoint: z
    .string()
    .default('wharf')
    .describe('EntryPoint that serves /metrics (default wharf, the internal entryPoint on :8080)'),
  manualRouting: z
    .boolean()
    .default(false)
    .describe(
      'Do not serve /metrics on the entryPoint; route the prometheus@internal service with a router of your own',
    ),
  headerLabels: z
    .record(HeaderLabelName, z.string().min(1))
    .optional()
    .describe(
      'Extra labels of the *_requests_total counters: label name -> request header whose value it takes (empty when absent)',
    ),
});

/** `metrics`: which exporters run, and whether Wharf's internal services are counted. */
export const MetricsSchema = z.strictObject({
  addInternals: z
    .boolean()
    .default(false)
    .describe(
      'Count requests answered by Wharf itself (API, ping, metrics) on their entryPoint (default false)',
    ),
  prometheus: PrometheusMetricsSchema.optional().describe('Export metrics for Prometheus to scrape'),
});

export type MetricsConfig = z.infer<typeof MetricsSchema>;
export type PrometheusMetricsConfig = z.infer<typeof PrometheusMetricsSchema>;
