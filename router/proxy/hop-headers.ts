import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';

/**
 * Hop-by-hop header names (lower case) that never cross the proxy: RFC 9110 §7.6.1 plus Go's
 * `httputil.ReverseProxy` list, which Traefik uses. `expect` is also kept back from upstream requests:
 * Node's server has already answered `100 Continue` to the client and undici cannot send it.
 */
export const HOP_BY_HOP_HEADERS: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/**
 * Headers that Wharf manages itself (lower case, with underscore variants); a `Connection` header can never
 * ask the proxy to drop them, so a client cannot strip the X-Forwarded-For the proxy vouches for.
 */
export const FORWARDED_HEADERS: ReadonlySet<string> = new Set(
  [
    'x-forwarded-for',
    'x-forwarded-host',
    'x-forwarded-port',
    'x-forwarded-proto',
    'x-forwarded-server',
    'x-forwarded-uri',
    'x-forwarded-method',
    'x-forwarded-prefix',
    'x-forwarded-tls-client-cert',
    'x-forwarded-tls-client-cert-info',
    'x-real-ip',
  ].flatMap((h) => [h, h.replaceAll('-', '_')]),
);

/**
 * Whether a lower-case header name is one of FORWARDED_HEADERS in any mix of `-` and `_`
 * (`x-forwarded_for`), as Traefik's isManagedXHeader reads them: servers that map both to `_` (CGI, WSGI)
 * would otherwise take a client's mixed spelling for the real header.
 */
export function isForwardedHeader(name: string): boolean {
  if (name.charCodeAt(0) !== 120 /* x */) return false;
  return FORWARDED_HEADERS.has(name.includes('_') ? name.replaceAll('_', '-') : name);
}

/**
 * Headers a `Connection` option never removes: Host (routing and the upstream Host depend on it) and the
 * framing headers (without them the request body would be lost). Go keeps these out of its header map
 * (Request.Host, ContentLength, TransferEncoding), so Traefik never removes them either.
 */
const NEVER_CONNECTION_OPTIONS: ReadonlySet<string> = new Set([
  'host',
  'content-length',
  'transfer-encoding',
]);

/** The header names listed in a Connection header value (lower case), minus the Wharf-managed ones. */
export function connectionTokens(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  const tokens: string[] = [];
  for (const part of Array.isArray(value) ? value : [value]) {
    for (const raw of part.split(',')) {
      const token = raw.trim().toLowerCase();
      if (token === '' || isForwardedHeader(token) || NEVER_CONNECTION_OPTIONS.has(token)) continue;
      if (token.charCodeAt(0) !== 58 /* ':' HTTP/2 pseudo-headers */) tokens.push(token);
    }
  }
  return tokens;
}

/**
 * Builds the upstream request headers as undici's flat `[name, value, ...]` list: drops hop-by-hop headers,
 * `Expect`, `Host` and every header named in `Connection` (Wharf-managed X-Forwarded-* excepted), sends
 * `host` as the Host header, and appends `clientIp` to X-Forwarded-For, unless `x-forwarded-for` is a key
 * without a value: the headers middleware removed it, and as in Go's ReverseProxy (a nil entry) it then
 * stays out; nor when `clientIp` is undefined (`forwardedHeaders.notAppendXForwardedFor`: the header goes
 * out as received). The other X-Forwarded-* headers are set by the entryPoint, before the middlewares, so one a
 * middleware removed stays removed without help. The Upgrade token of an upgrade
 * request is not part of the list: undici writes `Connection: upgrade` and `Upgrade` itself from its
 * `upgrade` dispatch option.
 */
export function upstreamRequestHeaders(
  headers: IncomingHttpHeaders,
  clientIp: string | undefined,
  host: string | undefined,
): string[] {
  const out: string[] = [];
  const named = headers.connection === undefined ? undefined : connectionTokens(headers.connection);
  let forwardedFor: string | undefined;
  const omitForwardedFor = 'x-forwarded-for' in headers && headers['x-forwarded-for'] === undefined;
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    if (HOP_BY_HOP_HEADERS.has(name) || name === 'expect' || name === 'host' || name.charCodeAt(0) === 58) {
      continue; // 58 is ':' (HTTP/2 pseudo-headers)
    }
    if (named?.includes(name)) continue;
    if (name === 'x-forwarded-for') {
      forwardedFor = Array.isArray(value) ? value.join(', ') : value;
      continue;
    }
    if (Array.isArray(value)) {
      for (const v of value) out.push(name, v);
    } else {
      out.push(name, value);
    }
  }
  if (clientIp === undefined) {
    if (forwardedFor !== undefined && !omitForwardedFor) out.push('x-forwarded-for', forwardedFor);
  } else if (!omitForwardedFor)
    out.push('x-forwarded-for', forwardedFor ? `${forwardedFor}, ${clientIp}` : clientIp);
  if (host !== undefined) out.push('host', host);
  return out;
}

/**
 * Drops hop-by-hop headers (and those named in `Connection`) from an upstream response before it is sent
 * to the client; returns a new object for `res.writeHead`. Node adds its own framing and keep-alive headers.
 */
export function downstreamResponseHeaders(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  const named = headers.connection === undefined ? undefined : connectionTokens(headers.connection);
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || HOP_BY_HOP_HEADERS.has(name) || named?.includes(name)) continue;
    out[name] = value;
  }
  return out;
}
