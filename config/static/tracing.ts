import { z } from 'zod';

// `tracing` (Traefik v3.7 `static.Tracing` and `types.OTelTracing`): the same keys and defaults, except
// serviceName, whose default names this program. Descriptions are user documentation
// (docs/reference/static.md, docs/observability/tracing.md).

const headerMap = (what: string) =>
  z.record(z.string(), z.string()).optional().describe(`Headers sent with each export to the ${what}`);

/** TLS towards the collector (Traefik's `ClientTLS`): each of ca, cert, key is a file path or PEM text. */
export const TracingTlsSchema = z.strictObject({
  ca: z
    .string()
    .min(1)
    .optional()
    .describe('CA certificates (PEM file, or the PEM text itself) that sign the collector certificate'),
  cert: z
    .string()
    .min(1)
    .optional()
    .describe('Client certificate (PEM file, or the PEM text itself) sent to the collector; needs key'),
  key: z
    .string()
    .min(1)
    .optional()
    .describe('Private key of the client certificate (PEM file, or the PEM text itself); needs cert'),
  insecureSkipVerify: z
    .boolean()
    .optional()
    .describe('Accept any certificate from the collector (no chain or name check); for tests only'),
});

/** `otlp.http` of tracing or metrics: OTLP over HTTP (protobuf, gzip), Traefik's default exporter. */
export function otlpHttpSchema(defaultPath: string) {
  return z.strictObject({
    endpoint: z
      .string()
      .default('https://localhost:4318')
      .describe(
        `Collector URL, scheme://host:port/path (default https://localhost:4318; without a path: ${defaultPath})`,
      ),
    headers: headerMap('collector'),
    tls: TracingTlsSchema.optional().describe('TLS towards the collector (https endpoints)'),
  });
}

/** `tracing.otlp.http`: OTLP over HTTP (protobuf, gzip), Traefik's default exporter. */
export const TracingOtlpHttpSchema = otlpHttpSchema('/v1/traces');

/** `tracing.otlp.grpc`: OTLP over gRPC (gzip); chosen over http when both are set. */
export const TracingOtlpGrpcSchema = z.strictObject({
  endpoint: z
    .string()
    .default('localhost:4317')
    .describe('Collector address, host:port (default localhost:4317)'),
  insecure: z
    .boolean()
    .default(false)
    .describe('Plain-text gRPC (no TLS) to the collector (default false); not with tls'),
  headers: headerMap('collector (gRPC metadata)'),
  tls: TracingTlsSchema.optional().describe('TLS towards the collector; not with insecure'),
});

/** The `tracing` section: OpenTelemetry spans for each request, exported with OTLP. */
export const TracingSchema = z.strictObject({
  serviceName: z
    .string()
    .default('wharf')
    .describe('The service.name resource attribute (default wharf; Traefik: traefik)'),
  resourceAttributes: z
    .record(z.string(), z.string())
    .optional()
    .describe('More resource attributes (key: value); OTEL_RESOURCE_ATTRIBUTES overrides them'),
  globalAttributes: z
    .record(z.string(), z.string())
    .optional()
    .describe('Deprecated in Traefik: resourceAttributes, used when resourceAttributes is not set'),
  capturedRequestHeaders: z
    .array(z.string())
    .optional()
    .describe('Request headers recorded on the server and client spans (http.request.header.<name>)'),
  capturedResponseHeaders: z
    .array(z.string())
    .optional()
    .describe('Response headers recorded on the server and client spans (http.response.header.<name>)'),
  safeQueryParams: z
    .array(z.string())
    .optional()
    .describe('Query parameters shown as they are; the values of all others read REDACTED'),
  sampleRate: z
    .number()
    .default(1)
    .describe('Share of new traces recorded, 0.0 to 1.0 (default 1.0); a caller’s sampled flag wins'),
  addInternals: z
    .boolean()
    .default(false)
    .describe('Also trace requests Wharf answers itself: API, ping, ACME challenges, redirections'),
  otlp: z
    .strictObject({
      http: TracingOtlpHttpSchema.optional().describe('Export over HTTP (the default)'),
      grpc: TracingOtlpGrpcSchema.optional().describe('Export over gRPC instead of HTTP'),
    })
    .optional()
    .describe('OTLP export (default: http to https://localhost:4318)'),
});

/** The validated tracing options. */
export type TracingConfig = z.infer<typeof TracingSchema>;
