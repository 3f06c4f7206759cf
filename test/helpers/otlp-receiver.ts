import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import {
  Server as GrpcServer,
  type Metadata,
  ServerCredentials,
  type ServerUnaryCall,
  type sendUnaryData,
} from '@grpc/grpc-js';
import { until } from './backends.ts';
import { type DecodedSpan, decodeTraceJson, decodeTraceRequest } from './otlp-decode.ts';
import { type DecodedMetric, decodeMetricsRequest } from './otlp-metrics-decode.ts';

// OTLP receivers on loopback for tests: HTTP (protobuf or JSON, gzip or not, optionally over TLS) and
// gRPC (TraceService/Export, MetricsService/Export). Each decodes every export and keeps the spans, the
// metrics (protobuf only) and the request headers.

/** What a receiver got, and a way to wait for it. */
export interface OtlpReceiver {
  /** HTTP: the base URL (http(s)://127.0.0.1:PORT); gRPC: host:port. */
  readonly endpoint: string;
  readonly spans: DecodedSpan[];
  /** Every metric of every metrics export, in arrival order (a metric appears once per push). */
  readonly metrics: DecodedMetric[];
  /** One entry per export: the HTTP headers, or the gRPC metadata as an object. */
  readonly exports: { path: string; headers: IncomingHttpHeaders | Record<string, unknown> }[];
  /** Polls (no fixed sleep) until `condition` holds for the spans received, or fails after `timeoutMs`. */
  waitFor(
    condition: (spans: readonly DecodedSpan[]) => boolean,
    what: string,
    timeoutMs?: number,
  ): Promise<void>;
  /** Polls (no fixed sleep) until `condition` holds for the metrics received, or fails after `timeoutMs`. */
  waitForMetrics(
    condition: (metrics: readonly DecodedMetric[]) => boolean,
    what: string,
    timeoutMs?: number,
  ): Promise<void>;
  close(): Promise<void>;
}

function receiver(
  endpoint: string,
  spans: DecodedSpan[],
  metrics: DecodedMetric[],
  exports: OtlpReceiver['exports'],
  close: () => Promise<void>,
): OtlpReceiver {
  return {
    endpoint,
    spans,
    metrics,
    exports,
    waitFor: (condition, what, timeoutMs = 10_000) => until(() => condition(spans), what, timeoutMs),
    waitForMetrics: (condition, what, timeoutMs = 10_000) => until(() => condition(metrics), what, timeoutMs),
    close,
  };
}

/** Starts an OTLP/HTTP receiver on 127.0.0.1 (port 0); with `tls`, over HTTPS with that certificate. */
export async function startOtlpHttpReceiver(tls?: { cert: string; key: string }): Promise<OtlpReceiver> {
  const spans: DecodedSpan[] = [];
  const metrics: DecodedMetric[] = [];
  const exports: OtlpReceiver['exports'] = [];
  const server: Server = (tls ? createHttpsServer(tls) : createServer()).on('request', (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        let body = Buffer.concat(chunks);
        if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
        const json = (req.headers['content-type'] ?? '').startsWith('application/json');
        if (req.url === '/v1/metrics') metrics.push(...decodeMetricsRequest(body));
        else
          spans.push(
            ...(json ? decodeTraceJson(JSON.parse(body.toString('utf8'))) : decodeTraceRequest(body)),
          );
        exports.push({ path: req.url ?? '', headers: req.headers });
        // An empty ExportTraceServiceResponse: zero bytes in protobuf, {} in JSON.
        res.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' });
        res.end(json ? '{}' : '');
      } catch (err) {
        res.writeHead(400).end(String(err));
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return receiver(`${tls ? 'https' : 'http'}://127.0.0.1:${port}`, spans, metrics, exports, async () => {
    server.closeAllConnections();
    server.close();
    await once(server, 'close');
  });
}

const EXPORT_PATH = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';
const METRICS_EXPORT_PATH = '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export';

/** A unary gRPC method taking and returning raw protobuf bytes. */
function rawMethod(path: string) {
  const raw = (b: Buffer) => b;
  return {
    path,
    requestStream: false,
    responseStream: false,
    requestSerialize: raw,
    requestDeserialize: raw,
    responseSerialize: raw,
    responseDeserialize: raw,
    originalName: 'Export',
  };
}

/** Starts an OTLP/gRPC receiver (plain text) on 127.0.0.1 (port 0). */
export async function startOtlpGrpcReceiver(): Promise<OtlpReceiver> {
  const spans: DecodedSpan[] = [];
  const metrics: DecodedMetric[] = [];
  const exports: OtlpReceiver['exports'] = [];
  const server = new GrpcServer();
  const handler =
    (path: string, decode: (b: Buffer) => void) =>
    (call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>) => {
      try {
        decode(call.request);
        exports.push({ path, headers: (call.metadata as Metadata).getMap() });
        callback(null, Buffer.alloc(0));
      } catch (err) {
        callback(err as Error, null);
      }
    };
  server.addService(
    { Export: rawMethod(EXPORT_PATH) },
    { Export: handler(EXPORT_PATH, (b) => spans.push(...decodeTraceRequest(b))) },
  );
  server.addService(
    { Export: rawMethod(METRICS_EXPORT_PATH) },
    { Export: handler(METRICS_EXPORT_PATH, (b) => metrics.push(...decodeMetricsRequest(b))) },
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  return receiver(`127.0.0.1:${port}`, spans, metrics, exports, async () => {
    server.forceShutdown();
  });
}
