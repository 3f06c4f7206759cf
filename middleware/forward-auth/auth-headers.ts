import type { IncomingHttpHeaders } from 'node:http';

// The header rules of Traefik v3.7's forwardAuth (pkg/middlewares/auth/forward.go), on Node's lower-case
// header maps: what the auth request carries, and what a 2xx auth response changes on the request.

/** Header values keyed by lower-case name, as undici sends them (an array is one header line per value). */
export type HeaderMap = Record<string, string | string[]>;

/**
 * The X-headers Traefik manages (forwardedheaders.XHeadersSet), lower case. trustForwardHeader: false drops
 * them (and their underscore spellings) from the auth request; true lets them through authRequestHeaders.
 */
export const MANAGED_X_HEADERS: readonly string[] = [
  'x-forwarded-proto',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-port',
  'x-forwarded-server',
  'x-forwarded-uri',
  'x-forwarded-method',
  'x-forwarded-prefix',
  'x-forwarded-tls-client-cert',
  'x-forwarded-tls-client-cert-info',
  'x-real-ip',
];
const MANAGED = new Set(MANAGED_X_HEADERS);

/** Hop-by-hop headers Traefik removes from the auth request and from a non-2xx answer (oxy's list). */
export const AUTH_HOP_HEADERS: readonly string[] = [
  'connection',
  'keep-alive',
  'te',
  'trailers',
  'transfer-encoding',
  'upgrade',
];

/**
 * Request headers Go keeps out of its header map or never writes from it (Host, framing, Trailer), and
 * `expect`, which undici cannot send: none of them reaches the auth server from the client's request.
 */
const NOT_COPIED = new Set(['host', 'content-length', 'transfer-encoding', 'trailer', 'expect']);

/**
 * Headers a 2xx auth response never sets or removes on the request: Go keeps Host and the framing out of the
 * header map its proxy writes, and the proxy drops hop-by-hop headers anyway.
 */
const NEVER_ON_REQUEST = new Set([
  'host',
  'content-length',
  ...AUTH_HOP_HEADERS,
  'trailer',
  'proxy-connection',
]);

/** Go's http.CanonicalHeaderKey for a valid header name: `x-auth-user` → `X-Auth-User` (`_` is no separator). */
export function canonicalHeaderKey(name: string): string {
  let out = '';
  let upper = true;
  for (const ch of name) {
    out += upper ? ch.toUpperCase() : ch.toLowerCase();
    upper = ch === '-';
  }
  return out;
}

/** What the auth request is built from: the request as the middleware sees it. */
export interface AuthRequestSource {
  readonly headers: IncomingHttpHeaders;
  readonly method: string;
  /** The request target after earlier middlewares (Go's req.URL.RequestURI()). */
  readonly url: string;
  readonly clientIp: string;
  readonly scheme: 'http' | 'https';
}

/** The forwardAuth options that shape the auth request's headers. */
export interface AuthRequestHeaderOptions {
  /** undefined: Traefik's legacy behaviour (trustForwardHeader not set). */
  readonly trustForwardHeader: boolean | undefined;
  /** Lower-case names; empty: every header. */
  readonly authRequestHeaders: readonly string[];
}

function isManaged(name: string): boolean {
  return name.charCodeAt(0) === 120 /* x */ && MANAGED.has(name.replaceAll('_', '-'));
}

function copyValue(value: string | string[]): string | string[] {
  return Array.isArray(value) ? [...value] : value;
}

/** The port of a Host header value (`a.test:8080`, `[::1]:8080`), or undefined. */
function hostPort(host: string): string | undefined {
  const colon = host.lastIndexOf(':');
  if (colon === -1 || colon < host.lastIndexOf(']')) return undefined;
  const port = host.slice(colon + 1);
  return port === '' ? undefined : port;
}

function joined(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

/**
 * The headers of the auth request, as Traefik's writeHeader (trustForwardHeader set) or oldWriteHeader
 * (unset) builds them: the client's headers minus hop-by-hop ones and those its Connection header names,
 * minus X-Forwarded-* unless trusted, filtered by authRequestHeaders, then X-Forwarded-For (appended to when
 * trusted), -Method, -Proto, -Port (trusted or not set), -Host and -Uri.
 */
export function authRequestHeaders(src: AuthRequestSource, options: AuthRequestHeaderOptions): HeaderMap {
  const trust = options.trustForwardHeader;
  let out: HeaderMap = {};
  for (const name in src.headers) {
    const value = src.headers[name];
    if (value === undefined || NOT_COPIED.has(name) || name.charCodeAt(0) === 58 /* ':' */) continue;
    out[name] = copyValue(value);
  }
  const connection = joined(src.headers.connection);
  if (connection !== undefined) {
    for (const token of connection.split(',')) delete out[token.trim().toLowerCase()];
  }
  for (const name of AUTH_HOP_HEADERS) delete out[name];
  if (trust === false) for (const name in out) if (isManaged(name)) delete out[name];

  if (options.authRequestHeaders.length > 0) {
    const allowed =
      trust === true ? [...options.authRequestHeaders, ...MANAGED_X_HEADERS] : options.authRequestHeaders;
    const filtered: HeaderMap = {};
    for (const name of allowed) {
      const value = out[name];
      if (value !== undefined) filtered[name] = value;
    }
    out = filtered;
  }

  const host = joined(src.headers.host) ?? '';
  if (trust === undefined) {
    out['x-forwarded-for'] = src.clientIp;
    out['x-forwarded-proto'] = src.scheme;
    out['x-forwarded-method'] = src.method;
    out['x-forwarded-host'] = host;
    out['x-forwarded-uri'] = src.url;
    return out;
  }
  const prior = joined(out['x-forwarded-for']);
  out['x-forwarded-for'] = prior === undefined ? src.clientIp : `${prior}, ${src.clientIp}`;
  out['x-forwarded-method'] ??= src.method;
  out['x-forwarded-proto'] ??= src.scheme;
  if (out['x-forwarded-port'] === undefined) {
    const proto = joined(out['x-forwarded-proto']);
    out['x-forwarded-port'] =
      hostPort(host) ?? (proto === 'https' || proto === 'wss' || src.scheme === 'https' ? '443' : '80');
  }
  out['x-forwarded-host'] ??= host;
  out['x-forwarded-uri'] ??= src.url;
  return out;
}

/** Which auth response headers replace request headers after a 2xx answer. */
export interface AuthResponseHeaderOptions {
  /** Lower-case names (authResponseHeaders). */
  readonly names: readonly string[];
  /** authResponseHeadersRegex, tested against Go's canonical spelling of each name. */
  readonly regexp: { test(input: string): boolean } | undefined;
}

/**
 * Applies a 2xx auth response to the request headers (in place), as Traefik does: each authResponseHeaders
 * name is removed and set to the auth response's values when it has any; with authResponseHeadersRegex,
 * every request header matching it is removed, then every auth response header matching it is copied.
 * Host, the framing and hop-by-hop headers are never touched (Go's proxy ignores them on the request).
 */
export function applyAuthResponseHeaders(
  request: IncomingHttpHeaders,
  response: Readonly<Record<string, string | string[] | undefined>>,
  options: AuthResponseHeaderOptions,
): void {
  const target = request as Record<string, string | string[] | undefined>;
  for (const name of options.names) {
    if (NEVER_ON_REQUEST.has(name)) continue;
    delete target[name];
    const value = response[name];
    if (value !== undefined) target[name] = copyValue(value);
  }
  const re = options.regexp;
  if (re === undefined) return;
  for (const name of Object.keys(target)) {
    if (!NEVER_ON_REQUEST.has(name) && name.charCodeAt(0) !== 58 && re.test(canonicalHeaderKey(name))) {
      delete target[name];
    }
  }
  for (const name in response) {
    const value = response[name];
    if (value !== undefined && !NEVER_ON_REQUEST.has(name) && re.test(canonicalHeaderKey(name))) {
      target[name] = copyValue(value);
    }
  }
}

/**
 * The headers sent to the client with a non-2xx auth answer: the auth server's, minus hop-by-hop ones and
 * Content-Length (Node frames the body it writes).
 */
export function deniedResponseHeaders(
  response: Readonly<Record<string, string | string[] | undefined>>,
): HeaderMap {
  const out: HeaderMap = {};
  for (const name in response) {
    const value = response[name];
    if (value === undefined || name === 'content-length' || AUTH_HOP_HEADERS.includes(name)) continue;
    out[name] = copyValue(value);
  }
  return out;
}

/**
 * The Location sent with a non-2xx answer: with preserveLocationHeader the auth server's value as is;
 * otherwise a relative one is resolved against the auth server address (Go's Response.Location()). An
 * absolute one is kept as written. Undefined when there is none; throws when it cannot be resolved.
 */
export function deniedLocation(
  location: string | undefined,
  address: string,
  preserve: boolean,
): string | undefined {
  if (location === undefined || location === '') return undefined;
  if (preserve || /^[a-z][a-z0-9+.-]*:/i.test(location)) return location;
  return new URL(location, address).href;
}

/** The name of a Set-Cookie value (before the first `=`), or undefined when it has none. */
export function cookieName(setCookie: string): string | undefined {
  const eq = setCookie.indexOf('=');
  if (eq <= 0) return undefined;
  const name = setCookie.slice(0, eq).trim();
  return name === '' ? undefined : name;
}

/**
 * The backend's Set-Cookie values merged with the auth server's, as Traefik's addAuthCookiesToResponse
 * does: the backend's cookies named in the list are dropped, and the auth server's cookies named in it are
 * added after the backend's others.
 */
export function mergeAuthCookies(
  backend: readonly string[],
  auth: readonly string[],
  names: ReadonlySet<string>,
): string[] {
  const keep = (c: string) => {
    const n = cookieName(c);
    return n !== undefined && names.has(n);
  };
  return [...backend.filter((c) => cookieName(c) !== undefined && !keep(c)), ...auth.filter(keep)];
}
