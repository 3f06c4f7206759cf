import type { ServerResponse } from 'node:http';
import zlib from 'node:zlib';
import type { ClockTimer } from '../clock.ts';
import { detectContentType } from '../content-type/detect-content-type.ts';
import { adoptHeaders } from '../response-head.ts';
import { gzipEngine } from './fast-gzip.ts';
import { type MediaType, mediaTypeMatches, parseMediaType } from './media-type.ts';
import type { Encoding } from './negotiate.ts';

/** How long a body smaller than the minimum may wait for more bytes before it is sent (Traefik's default flushInterval). */
export const HOLD_MS = 100;

/**
 * Levels as Traefik v3.7's libraries use them by default, which are also Caddy's defaults: gzip 5
 * (klauspost gzip DefaultCompression), brotli quality 6 (andybalholm/brotli's default), zstd 3
 * (klauspost zstd SpeedDefault, "roughly zstd level 3"). A whole body is gzipped by libdeflate when its
 * addon is built (fast-gzip.ts: its level 1 output is 0.5% larger than klauspost's level 5, in a sixth of
 * zlib level 5's time); zlib at level 5 otherwise, and always for streams.
 */
const GZIP_OPTIONS: zlib.ZlibOptions = { level: 5 };
const BROTLI_QUALITY = 6;
const ZSTD_LEVEL = 3;

/** The compiled options one compress instance applies to every response. */
export interface CompressPolicy {
  readonly minSize: number;
  readonly excluded: readonly MediaType[];
  readonly included: readonly MediaType[];
  readonly setTimer: (fn: () => void, ms: number) => ClockTimer;
}

type WriteFn = (chunk: unknown, encoding?: unknown, cb?: unknown) => boolean;
type EndFn = (chunk?: unknown, encoding?: unknown, cb?: unknown) => ServerResponse;
type HeadFn = (status: number, message?: string) => ServerResponse;
type Callback = (err?: Error | null) => void;

const UNDECIDED = 0;
const PLAIN = 1;
const STREAM = 2;

interface State {
  readonly encoding: Encoding;
  readonly policy: CompressPolicy;
  readonly write: WriteFn;
  readonly end: EndFn;
  writeHead: HeadFn;
  mode: number;
  status: number;
  message: string | undefined;
  chunks: Buffer[];
  size: number;
  callbacks: Callback[];
  sse: boolean;
  ready: boolean;
  timer: ClockTimer | undefined;
  stream: zlib.Gzip | zlib.BrotliCompress | zlib.ZstdCompress | undefined;
  flushPending: boolean;
}

const STATE = Symbol('wharf.compress');
type Wrapped = ServerResponse & { [STATE]?: State };

function toBuffer(chunk: unknown, encoding: unknown): Buffer | undefined {
  if (chunk === undefined || chunk === null || typeof chunk === 'function') return undefined;
  if (Buffer.isBuffer(chunk)) return chunk;
  if (typeof chunk === 'string')
    return Buffer.from(chunk, (typeof encoding === 'string' ? encoding : 'utf8') as BufferEncoding);
  const u = chunk as Uint8Array;
  return Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

function callbackOf(a: unknown, b: unknown): Callback | undefined {
  if (typeof a === 'function') return a as Callback;
  if (typeof b === 'function') return b as Callback;
  return undefined;
}

/** Adds Accept-Encoding to Vary unless it (or `*`) is there: the answer depends on that request header. */
function addVary(res: ServerResponse): void {
  const vary = res.getHeader('vary');
  if (vary === undefined) {
    res.setHeader('vary', 'Accept-Encoding');
    return;
  }
  const text = (Array.isArray(vary) ? vary.join(',') : String(vary)).toLowerCase();
  if (!/(^|,)\s*(accept-encoding|\*)\s*(,|$)/.test(text)) res.appendHeader('vary', 'Accept-Encoding');
}

/**
 * Whether the response as it stands may be compressed: a status with a body, no Content-Encoding or
 * Content-Range, and a media type the lists allow (Go's sniffed type when the server sent none; an
 * unparsable Content-Type is not compressed).
 */
function compressible(res: ServerResponse, st: State, sample: Buffer | undefined): boolean {
  const status = st.status;
  if (status < 200 || status === 204 || status === 304) return false;
  if (res.getHeader('content-encoding') || res.hasHeader('content-range')) return false;
  let ct = res.getHeader('content-type');
  if (ct === undefined && sample !== undefined && sample.length > 0) {
    ct = detectContentType(sample);
    res.setHeader('content-type', ct);
  }
  if (ct === undefined || ct === '') return true;
  const media = parseMediaType(String(ct));
  if (media === undefined) return false;
  const { included, excluded } = st.policy;
  if (included.length > 0 && !included.some((m) => mediaTypeMatches(m, media))) return false;
  return !excluded.some((m) => mediaTypeMatches(m, media));
}

/** Server-sent events: compressed from the first event on and flushed per turn, as Traefik's flush does. */
function isEventStream(res: ServerResponse): boolean {
  return String(res.getHeader('content-type') ?? '')
    .toLowerCase()
    .startsWith('text/event-stream');
}

/** Sends the held head, compressed or not. */
function sendHead(res: ServerResponse, st: State, compressed: boolean, compressedLength?: number): void {
  if (st.timer !== undefined) {
    st.timer.cancel();
    st.timer = undefined;
  }
  addVary(res);
  if (compressed) {
    // Known only when the whole body was compressed in one call; a stream goes out chunked.
    if (compressedLength === undefined) res.removeHeader('content-length');
    else res.setHeader('content-length', compressedLength);
    res.removeHeader('accept-ranges');
    res.setHeader('content-encoding', st.encoding);
    // The compressed bytes are not the bytes a strong validator names; a weak one still matches If-None-Match.
    const etag = res.getHeader('etag');
    if (typeof etag === 'string' && etag.startsWith('"')) res.setHeader('etag', `W/${etag}`);
  }
  st.mode = compressed ? STREAM : PLAIN;
  if (st.message === undefined) st.writeHead.call(res, st.status);
  else st.writeHead.call(res, st.status, st.message);
}

function releaseCallbacks(st: State): void {
  if (st.callbacks.length === 0) return;
  for (const cb of st.callbacks.splice(0)) queueMicrotask(() => cb());
}

/** Sends what was held uncompressed and passes everything after it through. */
function goPlain(res: ServerResponse, st: State): void {
  sendHead(res, st, false);
  for (const c of st.chunks) st.write.call(res, c);
  st.chunks = [];
  releaseCallbacks(st);
}

function compressSync(encoding: Encoding, body: Buffer): Buffer {
  if (encoding === 'gzip') {
    const fast = gzipEngine().gzip;
    return fast !== undefined ? fast(body) : zlib.gzipSync(body, GZIP_OPTIONS);
  }
  if (encoding === 'br')
    return zlib.brotliCompressSync(body, {
      params: {
        [zlib.constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY,
        [zlib.constants.BROTLI_PARAM_SIZE_HINT]: body.length,
      },
    });
  return zlib.zstdCompressSync(body, {
    params: { [zlib.constants.ZSTD_c_compressionLevel]: ZSTD_LEVEL },
  });
}

function createStream(encoding: Encoding): NonNullable<State['stream']> {
  if (encoding === 'gzip') return zlib.createGzip(GZIP_OPTIONS);
  if (encoding === 'br')
    return zlib.createBrotliCompress({ params: { [zlib.constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY } });
  return zlib.createZstdCompress({ params: { [zlib.constants.ZSTD_c_compressionLevel]: ZSTD_LEVEL } });
}

/** Starts streaming compression: the head goes out, held bytes and later writes go through zlib. */
function goStream(res: Wrapped, st: State): void {
  sendHead(res, st, true);
  const stream = createStream(st.encoding);
  st.stream = stream;
  stream.on('data', (out: Buffer) => st.write.call(res, out));
  stream.on('end', () => st.end.call(res));
  stream.on('error', () => res.destroy());
  res.once('close', () => {
    if (!res.writableFinished) stream.destroy();
  });
  for (const c of st.chunks) stream.write(c);
  st.chunks = [];
  scheduleFlush(st);
  releaseCallbacks(st);
}

function flushNow(st: State): void {
  st.flushPending = false;
  const s = st.stream;
  if (s !== undefined && !s.writableEnded && !s.destroyed) s.flush();
}

/**
 * Flushes zlib once the writes of this event-loop turn are in: what the server sent so far reaches the
 * client (server-sent events, long polls) without a flush per write.
 */
function scheduleFlush(st: State): void {
  if (st.flushPending) return;
  st.flushPending = true;
  setImmediate(flushNow, st);
}

/** Body bytes reached the minimum during a turn: unless end came in that turn, compress as a stream. */
function decideLater(res: Wrapped): void {
  const st = res[STATE] as State;
  if (st.mode !== UNDECIDED) return;
  goStream(res, st);
}

function compressWrite(this: Wrapped, chunk: unknown, encoding?: unknown, cb?: unknown): boolean {
  const st = this[STATE] as State;
  if (st.mode === PLAIN) return st.write.call(this, chunk, encoding, cb);
  const buf = toBuffer(chunk, encoding);
  const callback = callbackOf(encoding, cb);
  if (st.mode === STREAM) {
    if (buf !== undefined && buf.length > 0) {
      (st.stream as NonNullable<State['stream']>).write(buf, callback);
      scheduleFlush(st);
    } else if (callback) queueMicrotask(() => callback());
    return !this.writableNeedDrain;
  }
  if (buf !== undefined && buf.length > 0) {
    if (st.chunks.length === 0) {
      if (!compressible(this, st, buf)) {
        goPlain(this, st);
        return st.write.call(this, buf, callback);
      }
      st.sse = isEventStream(this);
    }
    st.chunks.push(buf);
    st.size += buf.length;
  }
  if (callback) st.callbacks.push(callback);
  if (st.sse) {
    goStream(this, st);
  } else if (st.size >= st.policy.minSize) {
    if (!st.ready) {
      st.ready = true;
      setImmediate(decideLater, this);
    }
  } else if (st.size > 0 && st.timer === undefined) {
    // A slow body below the minimum: after a while send what is there compressed, as Traefik's flush does.
    st.timer = st.policy.setTimer(() => {
      st.timer = undefined;
      if (st.mode === UNDECIDED) goStream(this, st);
    }, HOLD_MS);
  }
  return true;
}

function compressEnd(this: Wrapped, chunk?: unknown, encoding?: unknown, cb?: unknown): ServerResponse {
  const st = this[STATE] as State;
  if (st.mode === PLAIN) return st.end.call(this, chunk, encoding, cb);
  const buf = toBuffer(chunk, encoding);
  const callback = callbackOf(chunk, callbackOf(encoding, cb));
  if (callback) this.once('finish', () => callback());
  if (st.mode === STREAM) {
    const s = st.stream as NonNullable<State['stream']>;
    if (buf !== undefined && buf.length > 0) s.end(buf);
    else s.end();
    return this;
  }
  if (buf !== undefined && buf.length > 0) {
    st.chunks.push(buf);
    st.size += buf.length;
  }
  const body = st.chunks.length === 1 ? (st.chunks[0] as Buffer) : Buffer.concat(st.chunks);
  st.chunks = [];
  if (st.size === 0 || st.size < st.policy.minSize || !compressible(this, st, body)) {
    sendHead(this, st, false);
    releaseCallbacks(st);
    return body.length > 0 ? st.end.call(this, body) : st.end.call(this);
  }
  // The whole body is here: one call into the compressor, no stream, and a Content-Length (not chunked).
  const compressed = compressSync(st.encoding, body);
  sendHead(this, st, true, compressed.length);
  releaseCallbacks(st);
  return st.end.call(this, compressed);
}

function holdWriteHead(this: Wrapped, status: number, ...rest: unknown[]): ServerResponse {
  const st = this[STATE] as State;
  if (st.mode !== UNDECIDED)
    return (st.writeHead as (...a: unknown[]) => ServerResponse).call(this, status, ...rest);
  if (typeof rest[0] === 'string') st.message = rest.shift() as string;
  if (rest.length > 0) adoptHeaders(this, rest[0]);
  st.status = status;
  // Known before any body byte: a status without body, an encoded or partial body, a small declared
  // length or an excluded type go out untouched right away.
  const length = Number(this.getHeader('content-length') ?? Number.NaN);
  if (!compressible(this, st, undefined) || length < st.policy.minSize) goPlain(this, st);
  else st.sse = isEventStream(this);
  return this;
}

/**
 * Compresses one response with `encoding` when it qualifies (Traefik v3.7's rules, docs/middlewares/
 * compress.md): the head is held until the body reaches `minSize` bytes or ends, so small bodies go out
 * as they are; a body that ends in the turn it reached the minimum is compressed in one call, a longer
 * one streams through zlib, flushed at the end of each event-loop turn (server-sent events included).
 * The functions put on the response are shared, the state lives on it.
 */
export function compressResponse(res: ServerResponse, encoding: Encoding, policy: CompressPolicy): void {
  const r = res as Wrapped;
  r[STATE] = {
    encoding,
    policy,
    write: r.write as WriteFn,
    end: r.end as EndFn,
    writeHead: r.writeHead as HeadFn,
    mode: UNDECIDED,
    status: 200,
    message: undefined,
    chunks: [],
    size: 0,
    callbacks: [],
    sse: false,
    ready: false,
    timer: undefined,
    stream: undefined,
    flushPending: false,
  };
  r.writeHead = holdWriteHead as ServerResponse['writeHead'];
  r.write = compressWrite as ServerResponse['write'];
  r.end = compressEnd as ServerResponse['end'];
}
