import { IncomingMessage, type OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import type { Handler, Middleware } from '../../middleware/middleware.ts';
import { type RequestState, setRequestState } from '../../middleware/request-state.ts';

/** What a request in a middleware test looks like; everything has a default. */
export interface FakeRequestOptions {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  /** The scheme the client reached the entryPoint with (default http). */
  readonly scheme?: RequestState['scheme'];
  /** The connection peer's address (default 127.0.0.1). */
  readonly clientIp?: string;
}

/** A request as an entryPoint hands it to a router: url, headers and Wharf's request state, no peer. */
export function fakeRequest(url: string, options: FakeRequestOptions = {}): IncomingMessage {
  const req = new IncomingMessage(new Socket());
  req.method = options.method ?? 'GET';
  req.url = url;
  req.headers = { ...options.headers };
  setRequestState(req, {
    entryPoint: 'web',
    scheme: options.scheme ?? 'http',
    clientIp: options.clientIp ?? '127.0.0.1',
    start: 0n,
    originalUrl: url,
  });
  return req;
}

/** What one request through a middleware did: what the next handler saw (absent: never called) and the response head. */
export interface MiddlewareRun {
  readonly next?: { readonly url: string; readonly headers: Record<string, unknown> };
  readonly response: { readonly status: number; readonly headers: OutgoingHttpHeaders };
}

/**
 * Runs one request through `m` in memory (no socket). The next handler records what it saw and answers
 * 200 with `backendHeaders`, as a backend would, so response-side edits can be asserted.
 */
export async function runMiddleware(
  m: Middleware,
  req: IncomingMessage,
  backendHeaders: OutgoingHttpHeaders = {},
): Promise<MiddlewareRun> {
  const res = new ServerResponse(req);
  // Headers given to writeHead skip getHeaders() when none were set before; record the head as sent.
  let head: MiddlewareRun['response'] | undefined;
  const writeHead = res.writeHead;
  res.writeHead = function (this: ServerResponse, status: number, ...rest: unknown[]) {
    const given = (typeof rest[0] === 'string' ? rest[1] : rest[0]) as OutgoingHttpHeaders | undefined;
    const headers: OutgoingHttpHeaders = { ...this.getHeaders() };
    for (const [k, v] of Object.entries(given ?? {})) if (v !== undefined) headers[k.toLowerCase()] = v;
    head = { status, headers };
    return (writeHead as (...a: unknown[]) => ServerResponse).call(this, status, ...rest);
  } as ServerResponse['writeHead'];
  let next: MiddlewareRun['next'];
  const last: Handler = async (r, s) => {
    next = { url: r.url ?? '', headers: { ...r.headers } };
    s.writeHead(200, backendHeaders);
    s.end();
  };
  await m(last)(req, res);
  const response = head ?? { status: res.statusCode, headers: { ...res.getHeaders() } };
  return next ? { next, response } : { response };
}
