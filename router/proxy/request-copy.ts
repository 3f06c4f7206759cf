import type { OutgoingHttpHeaders } from 'node:http';
import type { ClientHttp2Session } from 'node:http2';
import type { Dispatcher } from 'undici';

/**
 * A copy of a request for a mirror (the `mirroring` service): sent to one server through that server's
 * own transport (its pool, or its HTTP/2 session for h2c:// and https:// servers that chose h2), the
 * answer read and discarded.
 */
export interface RequestCopy {
  readonly method: string;
  /** Path and query as the request has them after the middlewares. */
  readonly url: string;
  /** Upstream request headers as a flat name/value list, hop-by-hop ones and Host left out. */
  readonly headers: readonly string[];
  /** The client's Host header, sent when the mirror service passes it (passHostHeader). */
  readonly host: string | undefined;
  /** Whether the request asked for trailers (`TE: trailers`, which gRPC servers need over HTTP/2). */
  readonly teTrailers: boolean;
  readonly body: Buffer | null;
  readonly signal: AbortSignal;
}

/** What a mirroring service sends its copies to: one server of the mirror service. */
export interface CopyTarget {
  /** Sends the copy and discards the answer; rejects when the server cannot be reached. */
  copy(copy: RequestCopy): Promise<void>;
}

/** The server path of a request: the server URL's path (preservePath) joined with exactly one slash. */
export function joinServerPath(prefix: string, url: string): string {
  if (prefix === '') return url;
  return url.charCodeAt(0) === 47 ? prefix + url : `${prefix}/${url}`;
}

/** Whether a TE header value lists `trailers` (gRPC needs `te: trailers` to reach the server). */
export function wantsTrailers(te: string | string[] | undefined): boolean {
  return (
    te !== undefined &&
    String(te)
      .split(',')
      .some((t) => t.trim().toLowerCase() === 'trailers')
  );
}

/** HTTP/2 request headers: the pseudo-headers, then a flat name/value list (repeated names kept). */
export function h2RequestHeaders(pseudo: OutgoingHttpHeaders, list: readonly string[]): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = { ...pseudo };
  for (let i = 0; i + 1 < list.length; i += 2) {
    const name = list[i] as string;
    const value = list[i + 1] as string;
    const had = headers[name];
    headers[name] = had === undefined ? value : Array.isArray(had) ? [...had, value] : [String(had), value];
  }
  return headers;
}

/** Sends a copy over HTTP/1.1 through a server's undici pool, as the forwarder does. */
export async function copyOverPool(
  pool: Dispatcher,
  copy: RequestCopy,
  target: { path: string; host: string; servername: string | undefined; reset: boolean | undefined },
): Promise<void> {
  // undici's Request takes `servername` (the TLS name, never the Host header); its types lack it.
  const options: Dispatcher.RequestOptions & { servername: string | undefined } = {
    path: target.path,
    method: copy.method as Dispatcher.HttpMethod,
    headers: [...copy.headers, 'host', target.host],
    body: copy.body,
    signal: copy.signal,
    servername: target.servername,
    ...(target.reset === undefined ? {} : { reset: target.reset }),
  };
  const res = await pool.request(options);
  await res.body.dump();
}

/** Sends a copy as one stream of an HTTP/2 session; resolves when the server has answered (or reset it). */
export function copyOverSession(
  session: ClientHttp2Session,
  copy: RequestCopy,
  target: { path: string; scheme: string; authority: string },
): Promise<void> {
  return new Promise((resolve, reject) => {
    const headers = h2RequestHeaders(
      {
        ':method': copy.method,
        ':path': target.path,
        ':scheme': target.scheme,
        ':authority': target.authority,
      },
      copy.headers,
    );
    if (copy.teTrailers) headers.te = 'trailers';
    const stream = session.request(headers, { endStream: copy.body === null, signal: copy.signal });
    stream.on('error', reject);
    stream.on('close', () => resolve());
    stream.resume();
    if (copy.body !== null) stream.end(copy.body);
  });
}
