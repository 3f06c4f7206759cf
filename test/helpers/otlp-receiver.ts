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

// OTLP trace receivers on loopback for tests: HTTP (protobuf or JSON, gzip or not, optionally over TLS) and
// gRPC (TraceService/Export). Each decodes every export and keeps the spans and the request headers.

/** What a receiver got, and a way to wait for it. */
export interface OtlpReceiver {
  /** HTTP: the base URL (http(s)://127.0.0.1:PORT); gRPC: host:port. */
  readonly endpoint: string;
  readonly spans: DecodedSpan[];
  /** One entry per export: the HTTP headers, or the gRPC metadata as an object. */
  readonly exports: { path: string; headers: IncomingHttpHeaders | Record<string, unknown> }[];
  /** Polls (no fixed sleep) until `condition` holds for the spans received, or fails after `timeoutMs`. */
  waitFor(
    condition: (spans: readonly DecodedSpan[]) => boolean,
    what: string,
    timeoutMs?: number,
  ): Promise<void>;
  close(): Promise<void>;
}

function receiver(
  endpoint: string,
  spans: DecodedSpan[],
  exports: OtlpReceiver['exports'],
  close: () => Promise<void>,
): OtlpReceiver {
  return {
    endpoint,
    spans,
    exports,
    waitFor: (condition, what, timeoutMs = 10_000) => until(() => condition(spans), what, timeoutMs),
    close,
  };
}

/** Starts an OTLP/HTTP receiver on 127.0.0.1 (port 0); with `tls`, over HTTPS with that certificate. */
export async function startOtlpHttpReceiver(tls?: { cert: string; key: string }): Promise<OtlpReceiver> {
  const spans: DecodedSpan[] = [];
  const exports: OtlpReceiver['exports'] = [];
  const server: Server = (tls ? createHttpsServer(tls) : createServer()).on('request', (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        let body = Buffer.concat(chunks);
        if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
        const json = (req.headers['content-type'] ?? '').startsWith('application/json');
        spans.push(...(json ? decodeTraceJson(JSON.parse(body.toString('utf8'))) : decodeTraceRequest(body)));
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
  return receiver(`${tls ? 'https' : 'http'}://127.0.0.1:${port}`, spans, exports, async () => {
    server.closeAllConnections();
    server.close();
    await once(server, 'close');
  });
}

const EXPORT_PATH = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';

/** Starts an OTLP/gRPC receiver (plain text) on 127.0.0.1 (port 0). */
export async function startOtlpGrpcReceiver(): Promise<OtlpReceiver> {
  const spans: DecodedSpan[] = [];
  const exports: OtlpReceiver['exports'] = [];
  const server = new GrpcServer();
  const raw = (b: Buffer) => b;
  server.addService(
    {
      Export: {
        path: EXPORT_PATH,
        requestStream: false,
        responseStream: false,
        requestSerialize: raw,
        requestDeserialize: raw,
        responseSerialize: raw,
        responseDeserialize: raw,
        originalName: 'Export',
      },
    },
    {
      Export: (call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>) => {
        try {
          spans.push(...decodeTraceRequest(call.request));
          exports.push({ path: EXPORT_PATH, headers: (call.metadata as Metadata).getMap() });
          callback(null, Buffer.alloc(0));
        } catch (err) {
          callback(err as Error, null);
        }
      },
    },
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  return receiver(`127.0.0.1:${port}`, spans, exports, async () => {
    server.forceShutdown();
  });
}
