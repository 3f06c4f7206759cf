import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import { type Http2ServerRequest, Http2ServerResponse } from 'node:http2';

/**
 * Connection-specific headers HTTP/2 forbids (RFC 9113 §8.2.2). Node throws on most of them in a response
 * and warns on `connection`; the request path was written for HTTP/1.1 and may set them (a middleware's
 * customResponseHeaders, `connection: close` on errors), so HTTP/2 responses drop them instead.
 */
const CONNECTION_HEADERS = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
]);

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
    for (let i = 0; i + 1 < headers.length; i += 2)
      if (allowed(headers[i]!, headers[i + 1])) out.push(headers[i]!, headers[i + 1]!);
    return out;
  }
  const out: OutgoingHttpHeaders = {};
  for (const name in headers) if (allowed(name, headers[name])) out[name] = headers[name];
  return out;
}

/**
 * The HTTP/2 response class Wharf's HTTP/2 server uses, so the HTTP/1.1 request path (middlewares, proxy,
 * error rendering) runs unchanged over HTTP/2: connection-specific headers are dropped, and `destroyed`
 * tells whether the stream is gone (as ServerResponse's does).
 */
export class WharfHttp2Response extends Http2ServerResponse {
  override setHeader(name: string, value: number | string | readonly string[]): this {
    if (allowed(name, value)) super.setHeader(name, value);
    return this;
  }

  override writeHead(
    statusCode: number,
    reasonOrHeaders?: string | OutgoingHttpHeaders | readonly string[],
    headers?: OutgoingHttpHeaders | readonly string[],
  ): this {
    // HTTP/2 has no reason phrase; Node would ignore it with a warning.
    const list = typeof reasonOrHeaders === 'string' ? headers : reasonOrHeaders;
    return super.writeHead(statusCode, filterHeaders(list));
  }
}

// Node's compat response has no `destroyed` (its typings claim one); the proxy reads it to tell a client
// that went away. A stream that is closed or reset is.
Object.defineProperty(WharfHttp2Response.prototype, 'destroyed', {
  get(this: WharfHttp2Response): boolean {
    return this.stream.destroyed;
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
