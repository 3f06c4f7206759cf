import type { IncomingMessage } from 'node:http';
import { requestState } from './request-state.ts';

// The URL of a request as Traefik's redirect middlewares rebuild it (pkg/middlewares/redirect): they never
// see an absolute URL from the client, so they put one together from the connection, the Host header and
// the request target. The two middlewares differ on purpose, as in Traefik, and the options say how.

/** The parts of a request URL: `${scheme}://${host}${port}${uri}`. */
export interface RequestUrl {
  /** 'http' or 'https'. */
  readonly scheme: string;
  /** The Host header, with its port unless `splitPort` took it out. */
  readonly host: string;
  /** ':8080', or '' when absent or (with `splitPort`) the scheme's default. */
  readonly port: string;
  /** The request target: escaped path and query, as the routers and middlewares before saw it. */
  readonly uri: string;
}

/** How to read the URL: redirectRegex reads neither option, redirectScheme both. */
export interface RequestUrlOptions {
  /**
   * Take the scheme from X-Forwarded-Proto (http, https, ws, wss; the entryPoint set it from the connection
   * unless a trusted peer sent it). Otherwise the scheme is the connection's: https over TLS.
   */
  readonly forwardedProto?: boolean;
  /** Split the port off the host and drop it when it is the scheme's default (80 for http, 443 for https). */
  readonly splitPort?: boolean;
}

/** The request's URL as Traefik's redirect middlewares build it (see RequestUrlOptions). */
export function requestUrl(req: IncomingMessage, options: RequestUrlOptions = {}): RequestUrl {
  let scheme: string = requestState(req).scheme;
  if (options.forwardedProto) scheme = forwardedScheme(req.headers['x-forwarded-proto']) ?? scheme;
  // HTTP/2 requests carry :authority; Node's compatibility layer leaves Host unset then.
  const authority = req.headers.host ?? (req.headers[':authority'] as string | undefined) ?? '';
  const uri = req.url ?? '/';
  if (!options.splitPort) return { scheme, host: authority, port: '', uri };
  const { host, port } = splitHostPort(authority);
  const shown = (scheme === 'http' && port === '80') || (scheme === 'https' && port === '443') ? '' : port;
  return { scheme, host, port: shown === '' ? '' : `:${shown}`, uri };
}

/** Joins the parts of a request URL. */
export function formatRequestUrl(url: RequestUrl): string {
  return `${url.scheme}://${url.host}${url.port}${url.uri}`;
}

/**
 * The scheme an X-Forwarded-Proto value names, as Traefik's redirectScheme reads it: http or ws mean http,
 * https or wss mean https (case-insensitive); anything else is ignored. Node joins repeated header lines
 * with ", ", so the first element stands for Go's first line.
 */
export function forwardedScheme(value: string | string[] | undefined): 'http' | 'https' | undefined {
  const line = Array.isArray(value) ? value[0] : value;
  if (line === undefined) return undefined;
  const comma = line.indexOf(',');
  const first = (comma === -1 ? line : line.slice(0, comma)).trim().toLowerCase();
  if (first === 'http' || first === 'ws') return 'http';
  if (first === 'https' || first === 'wss') return 'https';
  return undefined;
}

/**
 * Splits a Host value into host and port ('' when it has none). IPv6 literals keep their brackets, so the
 * host can be written back into a URL as is (Go's SplitHostPort removes them, and Traefik then writes a
 * URL without them).
 */
export function splitHostPort(authority: string): { host: string; port: string } {
  const colon = authority.lastIndexOf(':');
  if (colon === -1 || colon < authority.lastIndexOf(']')) return { host: authority, port: '' };
  return { host: authority.slice(0, colon), port: authority.slice(colon + 1) };
}
