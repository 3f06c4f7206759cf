import { z } from 'zod';
import { DurationSchema } from '../duration.ts';
import { otlpHttpSchema, TracingOtlpGrpcSchema } from './tracing.ts';

// The static `metrics` section: Traefik v3's keys (pkg/observability/types/metrics.go) for what Wharf
// exports (Prometheus, OTLP). Datadog, StatsD and InfluxDB2 are accepted with a start-up warning (config/load-static.ts).

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

/** Traefik's default `explicitBoundaries` of the OTLP duration histograms, in seconds. */
export const DEFAULT_OTLP_BOUNDARIES: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
];

/** `metrics.otlp`: the same metrics pushed to an OpenTelemetry collector (Traefik's types.OTLP). */
export const OtlpMetricsSchema = z.strictObject({
  http: otlpHttpSchema('/v1/metrics')
    .optional()
    .describe('Push over HTTP (the default, to https://localhost:4318/v1/metrics)'),
  grpc: TracingOtlpGrpcSchema.optional().describe('Push over gRPC instead of HTTP'),
  addEntryPointsLabels: z
    .boolean()
    .default(true)
    .describe('Push the wharf_entrypoint_* request metrics (default true)'),
  addRoutersLabels: z
    .boolean()
    .default(false)
    .describe('Push the wharf_router_* request metrics (default false)'),
  addServicesLabels: z
    .boolean()
    .default(true)
    .describe('Push the wharf_service_* request metrics (default true)'),
  explicitBoundaries: z
    .array(z.number().finite().positive())
    .min(1)
    .default([...DEFAULT_OTLP_BOUNDARIES])
    .transform((b) => [...new Set(b)].sort((x, y) => x - y))
    .describe('Upper bounds of the request duration histograms, in seconds (default 0.005 to 10, 14 bounds)'),
  pushInterval: DurationSchema.default(10_000)
    .refine((ms) => ms > 0, 'the push interval must be more than 0')
    .describe('Time between two pushes (default 10s)'),
  serviceName: z
    .string()
    .default('wharf')
    .describe('The service.name resource attribute (default wharf; Traefik: traefik)'),
  resourceAttributes: z
    .record(z.string(), z.string())
    .optional()
    .describe('More resource attributes (key: value); OTEL_RESOURCE_ATTRIBUTES overrides them'),
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
  otlp: OtlpMetricsSchema.optional().describe(
    'Push metrics to an OpenTelemetry collector with OTLP (default: http to https://localhost:4318)',
  ),
});

export type MetricsConfig = z.infer<typeof MetricsSchema>;
export type PrometheusMetricsConfig = z.infer<typeof PrometheusMetricsSchema>;
export type OtlpMetricsConfig = z.infer<typeof OtlpMetricsSchema>;
