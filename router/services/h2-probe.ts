import { connect, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http2';
import type { ConnectionOptions } from 'node:tls';

/** An HTTP/2 health probe's request: one connection, one stream, closed after the answer. */
export interface H2ProbeRequest {
  /** `https:` (TLS, ALPN h2) or `http:` (h2c, prior knowledge) URL of the probe, with path and query. */
  readonly url: URL;
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
  /** :authority (the health check's `hostname`, else the URL's host). */
  readonly authority: string;
  /** TLS options of the service's servers transport. */
  readonly tls?: ConnectionOptions | undefined;
  readonly body?: Buffer | undefined;
  readonly signal: AbortSignal;
}

/** The answer: status, headers, trailers and body. */
export interface H2ProbeResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly trailers: IncomingHttpHeaders;
  readonly body: Buffer;
}

// A probe answer larger than this is cut (a health endpoint's answer is small; the probe only judges it).
const MAX_BODY = 64 * 1024;

/** Sends one HTTP/2 request on a connection of its own (h2c:// servers, gRPC health checks). */
export function h2Probe(probe: H2ProbeRequest): Promise<H2ProbeResponse> {
  return new Promise((resolve, reject) => {
    const origin = `${probe.url.protocol}//${probe.url.host}`;
    const session = connect(origin, probe.url.protocol === 'https:' ? { ...probe.tls } : {});
    const fail = (err: unknown) => {
      session.destroy();
      reject(err instanceof Error ? err : new Error(String(err)));
    };
    const onAbort = () => fail(probe.signal.reason ?? new Error('aborted'));
    if (probe.signal.aborted) return onAbort();
    probe.signal.addEventListener('abort', onAbort, { once: true });
    session.on('error', fail);
    const headers: OutgoingHttpHeaders = {
      ...probe.headers,
      ':method': probe.method,
      ':path': `${probe.url.pathname}${probe.url.search}`,
      ':scheme': probe.url.protocol === 'https:' ? 'https' : 'http',
      ':authority': probe.authority,
    };
    const stream = session.request(headers, { endStream: probe.body === undefined });
    if (probe.body !== undefined) stream.end(probe.body);
    let status = 0;
    let head: IncomingHttpHeaders = {};
    let trailers: IncomingHttpHeaders = {};
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on('response', (h) => {
      status = Number(h[':status']);
      head = h;
    });
    stream.on('trailers', (t) => {
      trailers = t;
    });
    stream.on('data', (c: Buffer) => {
      if (size < MAX_BODY) chunks.push(c);
      size += c.length;
    });
    stream.on('error', fail);
    stream.on('close', () => {
      probe.signal.removeEventListener('abort', onAbort);
      session.close();
      if (status === 0) reject(new Error(`stream closed without a response (code ${stream.rstCode})`));
      else resolve({ status, headers: head, trailers, body: Buffer.concat(chunks) });
    });
  });
}

/** The gRPC Health Checking Protocol v1 statuses (grpc.health.v1.HealthCheckResponse.ServingStatus). */
const SERVING_STATUS = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'];

/** An empty HealthCheckRequest (service ""), as Traefik sends it, in gRPC's length-prefixed framing. */
const HEALTH_REQUEST = Buffer.from([0, 0, 0, 0, 0]);

/**
 * Judges a grpc.health.v1.Health/Check answer: undefined when the server is SERVING, else why not (the
 * grpc-status of a failed call, or the serving status). The message is decoded by hand: it has one
 * varint field (1: status), so no protobuf library is needed on the router.
 */
export function grpcHealthVerdict(res: H2ProbeResponse): string | undefined {
  if (res.status !== 200) return `HTTP status ${res.status}`;
  const grpcStatus = res.trailers['grpc-status'] ?? res.headers['grpc-status'];
  if (grpcStatus !== undefined && String(grpcStatus) !== '0') {
    const message = res.trailers['grpc-message'] ?? res.headers['grpc-message'] ?? '';
    const why = String(grpcStatus) === '12' ? ' (the server does not implement the health protocol)' : '';
    return `gRPC status ${String(grpcStatus)}${why}${message ? `: ${decodeURIComponent(String(message))}` : ''}`;
  }
  if (grpcStatus === undefined) return 'no grpc-status in the answer';
  const body = res.body;
  if (body.length < 5 || body[0] !== 0) return 'no health response message';
  const length = body.readUInt32BE(1);
  const message = body.subarray(5, 5 + length);
  let status = 0;
  for (let i = 0; i < message.length; ) {
    const tag = message[i++] as number;
    let value = 0;
    let shift = 0;
    let byte: number;
    do {
      byte = message[i++] ?? 0;
      value |= (byte & 0x7f) << shift;
      shift += 7;
    } while (byte & 0x80 && i < message.length);
    if (tag === 0x08) status = value;
    else if ((tag & 7) !== 0) break; // not a varint: nothing else the response defines
  }
  return status === 1 ? undefined : `serving status ${SERVING_STATUS[status] ?? status}`;
}

/** The request of a gRPC health check: path, headers and body. */
export const GRPC_HEALTH = {
  path: '/grpc.health.v1.Health/Check',
  headers: { 'content-type': 'application/grpc', te: 'trailers' },
  body: HEALTH_REQUEST,
} as const;
