import { type ChannelCredentials, credentials, Metadata } from '@grpc/grpc-js';
import { OTLPTraceExporter as GrpcTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import {
  defaultResource,
  detectResources,
  envDetector,
  hostDetector,
  osDetector,
  processDetector,
  type Resource,
  resourceFromAttributes,
} from '@opentelemetry/resources';
import type { SpanExporter } from '@opentelemetry/sdk-trace';
import type { TracingConfig } from '../../config/static/tracing.ts';
import { VERSION } from '../../core/version.ts';
import { clientTls } from '../../middleware/forward-auth/client-tls.ts';
import { OtlpHttpExporter } from './otlp-http-exporter.ts';

// Traefik's OTLP exporters (pkg/observability/types/tracing.go, metrics.go): HTTP with protobuf bodies, or
// gRPC when `otlp.grpc` is set; both gzip-compressed, with the configured headers and client TLS. Tracing
// and metrics (router/metrics/otlp-metrics.ts) read the same `otlp` keys; `OtlpSignal` says which.

/** Which OTLP signal an `otlp` section is for: its option path in messages, its default URL path. */
export interface OtlpSignal {
  readonly option: string;
  readonly path: string;
}

/** `tracing.otlp`: spans, to /v1/traces. */
export const TRACES: OtlpSignal = { option: 'tracing.otlp', path: '/v1/traces' };

/** An `otlp` section of tracing or metrics. */
export type OtlpSection = TracingConfig['otlp'];

/** Where spans go, resolved from `tracing.otlp`; `problem` says why it cannot work. */
export type ExportTarget =
  | { kind: 'http'; url: string }
  | { kind: 'grpc'; address: string; secure: boolean }
  | { kind: 'invalid'; option: string; problem: string };

/**
 * The collector an `otlp` section names: gRPC when `grpc` is set, else HTTP (default
 * https://localhost:4318). An HTTP endpoint without a path gets the signal's (`/v1/traces`,
 * `/v1/metrics`), as Go's otlptracehttp and otlpmetrichttp add it.
 */
export function exportTarget(otlp: OtlpSection, signal: OtlpSignal = TRACES): ExportTarget {
  const grpc = otlp?.grpc;
  if (grpc) {
    const option = `${signal.option}.grpc`;
    const m = /^(?:\[([^\]]+)\]|([^:/\s]+)):(\d{1,5})$/.exec(grpc.endpoint);
    if (!m)
      return {
        kind: 'invalid',
        option: `${option}.endpoint`,
        problem: `"${grpc.endpoint}" is not host:port; write e.g. "collector:4317"`,
      };
    // Both insecure and tls: TLS, as in Traefik (its WithTLSCredentials option comes after WithInsecure);
    // static-checks warns.
    return { kind: 'grpc', address: grpc.endpoint, secure: !grpc.insecure || grpc.tls !== undefined };
  }
  const endpoint = otlp?.http?.endpoint ?? 'https://localhost:4318';
  const m = /^(https?):\/\/([^/?#]+)([^?#]*)$/i.exec(endpoint);
  if (!m)
    return {
      kind: 'invalid',
      option: `${signal.option}.http.endpoint`,
      problem: `"${endpoint}" is not an http(s) URL; write e.g. "https://collector:4318${signal.path}"`,
    };
  return { kind: 'http', url: m[3] === '' ? `${endpoint}${signal.path}` : endpoint };
}

/** Problems of an `otlp` section that stop the start: a bad endpoint, or client TLS files that cannot be used. */
export function otlpProblems(otlp: OtlpSection, signal: OtlpSignal): { option: string; problem: string }[] {
  const target = exportTarget(otlp, signal);
  if (target.kind === 'invalid') return [{ option: target.option, problem: target.problem }];
  const tls = target.kind === 'grpc' ? otlp?.grpc?.tls : otlp?.http?.tls;
  if (!tls) return [];
  try {
    clientTls(tls);
    return [];
  } catch (err) {
    return [{ option: `${signal.option}.${target.kind}.tls`, problem: (err as Error).message }];
  }
}

/** Problems of `tracing` that stop the start: a bad endpoint, or client TLS files that cannot be used. */
export function tracingProblems(config: TracingConfig): { option: string; problem: string }[] {
  return otlpProblems(config.otlp, TRACES);
}

/** The options of an OTLP exporter (trace or metric, http or grpc) for an `otlp` section. */
export type ExporterOptions =
  | { kind: 'grpc'; url: string; credentials: ChannelCredentials; metadata: Metadata; compression: 'gzip' }
  | {
      kind: 'http';
      url: string;
      headers: Record<string, string>;
      compression: 'gzip';
      httpAgentOptions?: object;
    };

/** What an OTLP exporter for `otlp` is given; throws when otlpProblems has any. */
export function exporterOptions(otlp: OtlpSection, signal: OtlpSignal): ExporterOptions {
  const target = exportTarget(otlp, signal);
  if (target.kind === 'invalid') throw new Error(`${target.option}: ${target.problem}`);
  if (target.kind === 'grpc') {
    const grpc = otlp?.grpc;
    const metadata = new Metadata();
    for (const [k, v] of Object.entries(grpc?.headers ?? {})) metadata.set(k, v);
    let creds = credentials.createInsecure();
    if (target.secure) {
      const tls = clientTls(grpc?.tls);
      const pem = (v: unknown) => (v === undefined ? null : Buffer.from([v].flat().join('\n')));
      creds = credentials.createSsl(
        pem(tls.ca),
        pem(tls.key),
        pem(tls.cert),
        tls.rejectUnauthorized === false ? { rejectUnauthorized: false } : {},
      );
    }
    const url = `${target.secure ? 'https' : 'http'}://${target.address}`;
    return { kind: 'grpc', url, credentials: creds, metadata, compression: 'gzip' };
  }
  const http = otlp?.http;
  return {
    kind: 'http',
    url: target.url,
    headers: { ...http?.headers },
    compression: 'gzip',
    ...(http?.tls ? { httpAgentOptions: { keepAlive: true, ...clientTls(http.tls) } } : {}),
  };
}

/**
 * The OTLP exporter `tracing.otlp` asks for; throws when tracingProblems has any. OTLP/HTTP goes through
 * Wharf's own transport (otlp-http-exporter.ts: same bytes on the wire, without Node's http client in the
 * proxy's process); gRPC through the SDK's exporter.
 */
export function createExporter(config: TracingConfig): SpanExporter {
  const options = exporterOptions(config.otlp, TRACES);
  if (options.kind === 'http') {
    const tls = config.otlp?.http?.tls;
    return new OtlpHttpExporter({
      url: options.url,
      headers: options.headers,
      ...(tls ? { tls: clientTls(tls) } : {}),
    });
  }
  const { kind: _, ...grpc } = options;
  // `compression` is the exporter's own enum (otlp-exporter-base), which it does not re-export; its value is the text.
  type Grpc = NonNullable<ConstructorParameters<typeof GrpcTraceExporter>[0]>;
  return new GrpcTraceExporter(grpc as unknown as Grpc);
}

/**
 * The resource of spans and pushed metrics, in Traefik's order: detected attributes, then service.name and
 * service.version, then the user's, then the environment's (OTEL_RESOURCE_ATTRIBUTES, OTEL_SERVICE_NAME),
 * each overriding the ones before.
 */
export function otlpResource(serviceName: string, attributes: Readonly<Record<string, string>>): Resource {
  return defaultResource()
    .merge(detectResources({ detectors: [hostDetector, osDetector, processDetector] }))
    .merge(resourceFromAttributes({ 'service.name': serviceName, 'service.version': VERSION }))
    .merge(resourceFromAttributes(attributes))
    .merge(detectResources({ detectors: [envDetector] }));
}
