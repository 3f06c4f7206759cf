import { credentials, Metadata } from '@grpc/grpc-js';
import { OTLPTraceExporter as GrpcTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as HttpTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import type { SpanExporter } from '@opentelemetry/sdk-trace';
import type { TracingConfig } from '../../config/static/tracing.ts';
import { clientTls } from '../../middleware/forward-auth/client-tls.ts';

// Traefik's OTLP exporters (pkg/observability/types/tracing.go): HTTP with protobuf bodies, or gRPC when
// `otlp.grpc` is set; both gzip-compressed, with the configured headers and client TLS.

/** Where spans go, resolved from `tracing.otlp`; `problem` says why it cannot work. */
export type ExportTarget =
  | { kind: 'http'; url: string }
  | { kind: 'grpc'; address: string; secure: boolean }
  | { kind: 'invalid'; option: string; problem: string };

/**
 * The collector `tracing.otlp` names: gRPC when `grpc` is set, else HTTP (default https://localhost:4318).
 * An HTTP endpoint without a path gets `/v1/traces`, as Go's otlptracehttp adds it.
 */
export function exportTarget(otlp: TracingConfig['otlp']): ExportTarget {
  const grpc = otlp?.grpc;
  if (grpc) {
    const option = 'tracing.otlp.grpc';
    if (grpc.insecure && grpc.tls)
      return { kind: 'invalid', option, problem: 'tls and insecure cannot both be set; keep one' };
    const m = /^(?:\[([^\]]+)\]|([^:/\s]+)):(\d{1,5})$/.exec(grpc.endpoint);
    if (!m)
      return {
        kind: 'invalid',
        option: `${option}.endpoint`,
        problem: `"${grpc.endpoint}" is not host:port; write e.g. "collector:4317"`,
      };
    return { kind: 'grpc', address: grpc.endpoint, secure: !grpc.insecure };
  }
  const endpoint = otlp?.http?.endpoint ?? 'https://localhost:4318';
  const m = /^(https?):\/\/([^/?#]+)([^?#]*)$/i.exec(endpoint);
  if (!m)
    return {
      kind: 'invalid',
      option: 'tracing.otlp.http.endpoint',
      problem: `"${endpoint}" is not an http(s) URL; write e.g. "https://collector:4318/v1/traces"`,
    };
  return { kind: 'http', url: m[3] === '' ? `${endpoint}/v1/traces` : endpoint };
}

/** Problems of `tracing` that stop the start: a bad endpoint, or client TLS files that cannot be used. */
export function tracingProblems(config: TracingConfig): { option: string; problem: string }[] {
  const target = exportTarget(config.otlp);
  if (target.kind === 'invalid') return [{ option: target.option, problem: target.problem }];
  const tls = target.kind === 'grpc' ? config.otlp?.grpc?.tls : config.otlp?.http?.tls;
  if (!tls) return [];
  try {
    clientTls(tls);
    return [];
  } catch (err) {
    return [{ option: `tracing.otlp.${target.kind}.tls`, problem: (err as Error).message }];
  }
}

/** The OTLP exporter `tracing.otlp` asks for; throws when tracingProblems has any. */
export function createExporter(config: TracingConfig): SpanExporter {
  const target = exportTarget(config.otlp);
  if (target.kind === 'invalid') throw new Error(`${target.option}: ${target.problem}`);
  if (target.kind === 'grpc') {
    const grpc = config.otlp?.grpc;
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
    return new GrpcTraceExporter({
      url: `${target.secure ? 'https' : 'http'}://${target.address}`,
      credentials: creds,
      metadata,
      // The exporter's own enum (otlp-exporter-base), which it does not re-export; the value is its text.
      compression: 'gzip' as NonNullable<ConstructorParameters<typeof GrpcTraceExporter>[0]>['compression'],
    });
  }
  const http = config.otlp?.http;
  return new HttpTraceExporter({
    url: target.url,
    headers: { ...http?.headers },
    compression: 'gzip' as NonNullable<ConstructorParameters<typeof HttpTraceExporter>[0]>['compression'],
    ...(http?.tls ? { httpAgentOptions: { keepAlive: true, ...clientTls(http.tls) } } : {}),
  });
}
