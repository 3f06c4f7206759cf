import type { IncomingMessage, ServerResponse } from 'node:http';
import { Transform } from 'node:stream';
import type { z } from 'zod';
import type { GrpcWebSchema } from '../../config/middlewares/grpc-web.ts';
import type { Middleware } from '../middleware.ts';
import { requestState } from '../request-state.ts';
import { beforeResponseHead } from '../response-head.ts';

type Options = z.infer<typeof GrpcWebSchema>;

const GRPC_WEB = 'application/grpc-web';
const GRPC_WEB_TEXT = 'application/grpc-web-text';
// How long browsers may cache a preflight answer (improbable-eng's grpc-web wrapper, which Traefik uses).
const MAX_AGE = '600';

/** Whether `origin` may call (Traefik: an exact entry, or "*"). */
export function originAllowed(allow: readonly string[], origin: string | undefined): boolean {
  return origin !== undefined && allow.some((o) => o === '*' || o === origin);
}

/** A CORS preflight for a gRPC-Web call: OPTIONS, asking for a method, with x-grpc-web among the headers. */
function isPreflight(req: IncomingMessage): boolean {
  if (req.method !== 'OPTIONS' || req.headers['access-control-request-method'] === undefined) return false;
  const asked = String(req.headers['access-control-request-headers'] ?? '').toLowerCase();
  return asked.split(',').some((h) => h.trim() === 'x-grpc-web');
}

/**
 * Base64 of a gRPC-Web text body, decoded as it streams. Clients may pad each message on its own, so the
 * text is cut after every padding run and each part decoded apart; an incomplete group waits for more.
 */
export function base64Decoder(): Transform {
  let pending = '';
  const decode = (text: string) =>
    Buffer.concat(text.split(/(?<==)(?=[^=])/).map((part) => Buffer.from(part, 'base64')));
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      const text = pending + chunk.toString('latin1').replace(/\s+/g, '');
      const cut = text.length - (text.length % 4);
      pending = text.slice(cut);
      cb(null, cut > 0 ? decode(text.slice(0, cut)) : undefined);
    },
    flush(cb) {
      cb(null, pending.length > 0 ? decode(pending) : undefined);
    },
  });
}

/** The gRPC-Web trailer frame: flag 0x80, a 4-byte length, and `name: value\r\n` lines. */
export function trailerFrame(trailers: Readonly<Record<string, string>>): Buffer {
  const text = Object.entries(trailers)
    .map(([k, v]) => `${k.toLowerCase()}: ${v}\r\n`)
    .join('');
  const body = Buffer.from(text, 'utf8');
  const head = Buffer.alloc(5);
  head[0] = 0x80;
  head.writeUInt32BE(body.length, 1);
  return Buffer.concat([head, body]);
}

/**
 * Turns the response of the gRPC service back into gRPC-Web: the content type, every header exposed to
 * the browser, the body (base64 for the text format, each write on its own) and the trailers as the last
 * frame of the body, since browsers cannot read HTTP trailers.
 */
function toGrpcWebResponse(res: ServerResponse, contentType: string, text: boolean): void {
  const { write, end } = res;
  const trailers: Record<string, string> = {};
  beforeResponseHead(res, (r) => {
    const ct = String(r.getHeader('content-type') ?? 'application/grpc');
    r.setHeader(
      'content-type',
      ct.startsWith('application/grpc') ? ct.replace('application/grpc', contentType) : contentType,
    );
    r.removeHeader('content-length');
    // Trailers-only answers carry grpc-status in the head: it also goes in the trailer frame.
    for (const name of ['grpc-status', 'grpc-message']) {
      const v = r.getHeader(name);
      if (v !== undefined) trailers[name] = String(v);
    }
    const names = r.getHeaderNames().filter((n) => !n.startsWith('access-control-'));
    r.setHeader('access-control-expose-headers', names.join(', '));
  });
  const encode = (chunk: unknown, encoding?: unknown): Buffer => {
    const b = Buffer.isBuffer(chunk)
      ? chunk
      : Buffer.from(chunk as string, (typeof encoding === 'string' ? encoding : 'utf8') as BufferEncoding);
    return text ? Buffer.from(b.toString('base64'), 'latin1') : b;
  };
  res.addTrailers = (headers) => {
    const entries = Array.isArray(headers) ? headers : Object.entries(headers);
    for (const [k, v] of entries as Array<[string, string | string[] | undefined]>)
      if (v !== undefined) trailers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : String(v);
  };
  res.write = function (this: ServerResponse, chunk: unknown, encoding?: unknown, cb?: unknown) {
    if (typeof encoding === 'function')
      return (write as (...a: unknown[]) => boolean).call(this, encode(chunk), encoding);
    return (write as (...a: unknown[]) => boolean).call(this, encode(chunk, encoding), cb);
  } as ServerResponse['write'];
  res.end = function (this: ServerResponse, chunk?: unknown, encoding?: unknown, cb?: unknown) {
    const callback = [chunk, encoding, cb].find((a) => typeof a === 'function') as (() => void) | undefined;
    if (chunk !== undefined && chunk !== null && typeof chunk !== 'function')
      (write as (b: Buffer) => boolean).call(this, encode(chunk, encoding));
    if (!this.headersSent) this.writeHead(this.statusCode);
    if (Object.keys(trailers).length > 0)
      (write as (b: Buffer) => boolean).call(this, encode(trailerFrame(trailers)));
    return (end as (cb?: () => void) => ServerResponse).call(this, callback);
  } as ServerResponse['end'];
}

/**
 * Traefik's grpcWeb middleware: a gRPC-Web request (POST, application/grpc-web[+proto] or
 * application/grpc-web-text[+proto]) goes to the service as gRPC (application/grpc, `te: trailers`, the
 * text body base64-decoded, no Content-Length) and its answer comes back as gRPC-Web. CORS preflights for
 * gRPC-Web answer 204, with the CORS headers when the Origin is allowed; allowed origins get the CORS
 * headers on the call too. Other requests pass through unchanged.
 */
export function grpcWeb(options: Options): Middleware {
  const allow = options.allowOrigins ?? [];
  const cors = (res: ServerResponse, origin: string) => {
    res.setHeader('access-control-allow-origin', origin);
    res.setHeader('access-control-allow-credentials', 'true');
  };
  return (next) => async (req, res) => {
    const origin = req.headers.origin;
    if (isPreflight(req)) {
      res.setHeader('vary', 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers');
      const method = String(req.headers['access-control-request-method']).toUpperCase();
      if (originAllowed(allow, origin) && method === 'POST') {
        cors(res, origin as string);
        res.setHeader('access-control-allow-methods', 'POST');
        const asked = req.headers['access-control-request-headers'];
        if (asked) res.setHeader('access-control-allow-headers', asked);
        res.setHeader('access-control-max-age', MAX_AGE);
      }
      res.writeHead(204).end();
      return;
    }
    const type = String(req.headers['content-type'] ?? '');
    if (req.method !== 'POST' || !type.startsWith(GRPC_WEB)) return next(req, res);
    const text = type.startsWith(GRPC_WEB_TEXT);
    const responseType = text ? GRPC_WEB_TEXT : GRPC_WEB;
    req.headers['content-type'] = type.replace(responseType, 'application/grpc');
    // The HTTP/1.1 length is not the gRPC one (text is base64): the body streams (chunked for HTTP/1.1).
    delete req.headers['content-length'];
    req.headers['transfer-encoding'] = 'chunked';
    req.headers.te = 'trailers';
    if (text) requestState(req).replayBody = req.pipe(base64Decoder());
    res.setHeader('vary', 'Origin');
    if (originAllowed(allow, origin)) cors(res, origin as string);
    toGrpcWebResponse(res, responseType, text);
    return next(req, res);
  };
}
