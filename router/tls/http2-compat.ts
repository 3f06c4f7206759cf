import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { type Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import { BODY_BYTES, countBody } from '../access-log/counting-response.ts';

/**
 * Connection-specific headers HTTP/2 forbids (RFC 9113 §8.2.2). Node throws on most of them in a response
 * and warns on `connection`; the request path was written for HTTP/1.1 and may set them (a middleware's
 * customResponseHeaders, `connection: close` on errors), so HTTP/2 responses drop them instead.
 */
const CONNECTION_HEADERS = new Set([
  'connection',
  'http2-settings',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
]);

/**
 * Headers Node's HTTP/2 layer accepts only once (its kSingleValueHeaders); it throws on a repeated one.
 * An upstream may repeat them (two Location headers); HTTP/1.1 passes that through, HTTP/2 keeps the first.
 */
const SINGLE_VALUE = new Set(
  (
    'access-control-allow-credentials access-control-max-age access-control-request-method age ' +
    'authorization content-encoding content-language content-length content-location content-md5 ' +
    'content-range content-type date dnt etag expires from host if-match if-modified-since if-none-match ' +
    'if-range if-unmodified-since last-modified location max-forwards proxy-authorization range referer ' +
    'retry-after tk upgrade-insecure-requests user-agent x-content-type-options'
  ).split(' '),
);

/** The value HTTP/2 accepts: the first of a repeated single-value header. */
function single<T>(name: string, value: T): T | string {
  return Array.isArray(value) && value.length > 0 && SINGLE_VALUE.has(name.toLowerCase())
    ? String(value[0])
    : value;
}

const allowed = (name: string, value: unknown) => {
  const lower = name.toLowerCase();
  if (CONNECTION_HEADERS.has(lower)) return false;
  return lower !== 'te' || String(value).trim().toLowerCase() === 'trailers';
};

const isList = (h: OutgoingHttpHeaders | readonly string[]): h is readonly string[] => Array.isArray(h);

function filterHeaders(
  headers: OutgoingHttpHeaders | readonly string[] | undefined,
): OutgoingHttpHeaders | readonly string[] | undefined {
  if (headers === undefined) return headers;
  if (isList(headers)) {
    const out: string[] = [];
    const seen = new Set<string>();
    for (let i = 0; i + 1 < headers.length; i += 2) {
      const name = headers[i] as string;
      const lower = name.toLowerCase();
      if (!allowed(name, headers[i + 1])) continue;
      if (SINGLE_VALUE.has(lower)) {
        if (seen.has(lower)) continue;
        seen.add(lower);
      }
      out.push(name, headers[i + 1] as string);
    }
    return out;
  }
  const out: OutgoingHttpHeaders = {};
  for (const name in headers)
    if (allowed(name, headers[name])) out[name] = single(name, headers[name]) as OutgoingHttpHeaders[string];
  return out;
}

/**
 * The HTTP/2 response class Wharf's HTTP/2 server uses, so the HTTP/1.1 request path (middlewares, proxy,
 * error rendering) runs unchanged over HTTP/2: connection-specific headers are dropped, and `destroyed`
 * tells whether the stream is gone (as ServerResponse's does).
 */
export class WharfHttp2Response extends Http2ServerResponse {
  [BODY_BYTES] = 0;

  // Counts body bytes for the access log (end() writes its chunk through write()).
  override write(chunk: unknown, encoding?: unknown, cb?: unknown): boolean {
    countBody(this as unknown as ServerResponse, chunk, encoding);
    // biome-ignore lint/suspicious/noExplicitAny: forwards Node's overloads unchanged
    return (super.write as any)(chunk, encoding, cb);
  }

  override setHeader(name: string, value: number | string | readonly string[]): this {
    if (allowed(name, value)) super.setHeader(name, single(name, value));
    return this;
  }

  override writeHead(
    statusCode: number,
    reasonOrHeaders?: string | OutgoingHttpHeaders | readonly string[],
    headers?: OutgoingHttpHeaders | readonly string[],
  ): this {
    // HTTP/2 has no reason phrase; Node would ignore it with a warning.
    const list = typeof reasonOrHeaders === 'string' ? headers : reasonOrHeaders;
    try {
      return super.writeHead(statusCode, filterHeaders(list));
    } catch (err) {
      // Headers HTTP/2 refused stay stored on a compat response and would fail the error page too.
      for (const name of this.getHeaderNames()) this.removeHeader(name);
      throw err;
    }
  }
}

// Node's compat response has no `destroyed` (its typings claim one); the proxy reads it to tell a client
// that went away. A stream that is closed or reset is.
Object.defineProperty(WharfHttp2Response.prototype, 'destroyed', {
  get(this: WharfHttp2Response): boolean {
    return this.stream.destroyed;
  },
});

// On a client's RST_STREAM the compat response emits 'finish' and reports writableFinished, as if it had
// been sent: the proxy would then not abort the upstream request. Finished means ended and not reset.
Object.defineProperty(WharfHttp2Response.prototype, 'writableFinished', {
  get(this: WharfHttp2Response): boolean {
    const stream = this.stream;
    return this.writableEnded && !stream.aborted && (stream.rstCode === undefined || stream.rstCode === 0);
  },
});

/**
 * Gives an HTTP/2 request the HTTP/1.1 shape the request path reads: `Host` from `:authority` (HTTP/2
 * clients send no Host; Go's server does the same), and for a body of unknown length (no content-length,
 * more DATA to come) the `transfer-encoding: chunked` its HTTP/1.1 forwarding uses. Returns it as an
 * IncomingMessage, which the compat request mirrors for everything the request path uses.
 */
export function asHttp1Request(req: Http2ServerRequest): IncomingMessage {
  const headers = req.headers;
  const authority = headers[':authority'];
  if (typeof authority === 'string' && authority !== '') headers.host = authority;
  if (headers['content-length'] === undefined && !req.stream.endAfterHeaders)
    headers['transfer-encoding'] = 'chunked';
  return req as unknown as IncomingMessage;
}
