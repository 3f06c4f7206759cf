import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';

/** The facts of a request that rule matchers look at, extracted once per request. */
export interface MatchRequest {
  /** Lower-case host without port (IPv6 without brackets, e.g. '::1'); '' when the request names none. */
  host: string;
  /** URL path as received, without the query, percent-encoded as on the wire. */
  path: string;
  /** The text after '?', '' if none. */
  rawQuery: string;
  /** Upper-case method. */
  method: string;
  /** Lower-case header names, as Node gives them. */
  headers: IncomingHttpHeaders;
  /** Socket peer address, IPv4-mapped IPv6 (::ffff:1.2.3.4) unwrapped to 1.2.3.4. */
  clientIp: string;
  /**
   * The Node request, for the values of a repeated header line one by one (`headersDistinct`, built by
   * Node on first access only); absent in tests and for HTTP/2 requests, whose `headers` keep lists.
   */
  source?: Pick<IncomingMessage, 'headersDistinct'>;
}

const SLASH = 47;
const COLON = 58;
const OPEN_BRACKET = 91;

/** Builds a MatchRequest from a Node request (one URL split, no URL object; cheap: this is the hot path). */
export function toMatchRequest(req: IncomingMessage, clientIp: string): MatchRequest {
  let target = req.url ?? '/';
  let authority: string | undefined;
  if (target.charCodeAt(0) !== SLASH && target !== '*') {
    // Absolute-form request target (proxy style): like Go, its authority wins over the Host header.
    const scheme = target.indexOf('://');
    if (scheme > 0) {
      const start = scheme + 3;
      let end = start;
      while (end < target.length) {
        const c = target.charCodeAt(end);
        if (c === SLASH || c === 63 /* ? */ || c === 35 /* # */) break;
        end++;
      }
      const at = target.lastIndexOf('@', end);
      authority = target.slice(at >= start ? at + 1 : start, end);
      const rest = target.slice(end);
      target = rest.charCodeAt(0) === SLASH ? rest : `/${rest}`;
    }
  }
  const q = target.indexOf('?');
  const headers = req.headers;
  const hostHeader = authority || headers.host || headers[':authority'];
  const method = req.method ?? 'GET';
  return {
    host: canonicalHost(typeof hostHeader === 'string' ? hostHeader : undefined),
    path: q < 0 ? target : target.slice(0, q),
    rawQuery: q < 0 ? '' : target.slice(q + 1),
    method: method.toUpperCase(),
    headers,
    clientIp: normalizeIp(clientIp),
    source: req,
  };
}

/**
 * The values of a request header one per header line, as Go's Header holds them (Node joins repeated lines
 * with ", " in `headers`): Traefik's Header and HeaderRegexp match each of them separately.
 */
export function headerValues(r: MatchRequest, key: string): readonly string[] | undefined {
  // HTTP/2 requests (router/tls/http2-compat.ts) have no headersDistinct: their values are lists already.
  const distinct = (r.source?.headersDistinct as IncomingMessage['headersDistinct'] | undefined)?.[key];
  if (distinct !== undefined) return distinct;
  const v = r.headers[key];
  return v === undefined ? undefined : typeof v === 'string' ? [v] : v;
}

/** Lower-cases a Host header value and drops its port and IPv6 brackets. */
function canonicalHost(value: string | undefined): string {
  if (!value) return '';
  let host = value;
  if (value.charCodeAt(0) === OPEN_BRACKET) {
    const end = value.indexOf(']');
    if (end > 0) host = value.slice(1, end);
  } else {
    const colon = value.indexOf(':');
    // More than one colon is a bare IPv6 literal (not valid in Host, but kept whole as Go does).
    if (colon >= 0 && value.indexOf(':', colon + 1) < 0) host = value.slice(0, colon);
  }
  return host.toLowerCase();
}

/** Unwraps ::ffff:a.b.c.d to a.b.c.d. */
export function normalizeIp(ip: string): string {
  if (ip.length > 7 && ip.charCodeAt(0) === COLON && ip.charCodeAt(1) === COLON && ip.indexOf('.') > 0) {
    const prefix = ip.slice(0, 7).toLowerCase();
    if (prefix === '::ffff:') return ip.slice(7);
  }
  return ip;
}

// Traefik (>= 3.4.1) routes on a path whose percent-escapes are decoded, except reserved characters
// (RFC 3986 gen-delims and sub-delims, and '%'), which stay encoded so `/a%2Fb` never matches `/a/b`.
const RESERVED = new Set([
  '3A',
  '2F',
  '3F',
  '23',
  '5B',
  '5D',
  '40',
  '21',
  '24',
  '26',
  '27',
  '28',
  '29',
  '2A',
  '2B',
]);
for (const hex of ['2C', '3B', '3D', '25']) RESERVED.add(hex);
let lastRaw = '';
let lastRouting = '';

/**
 * The path that Path, PathPrefix and PathRegexp compare against: percent-escapes decoded except reserved
 * characters (kept encoded, hex upper-cased); a malformed escape leaves the raw path. Cached for the last path.
 */
export function routingPath(path: string): string {
  if (path.indexOf('%') < 0) return path;
  if (path === lastRaw) return lastRouting;
  let routing: string;
  try {
    const keep = path.replace(/%([0-9a-fA-F]{2})/g, (m, hex: string) => {
      const upper = hex.toUpperCase();
      return RESERVED.has(upper) ? `%25${upper}` : m;
    });
    routing = decodeURIComponent(keep);
  } catch {
    routing = path; // malformed escape or invalid UTF-8: Go would answer 400; we route on the raw path
  }
  lastRaw = path;
  lastRouting = routing;
  return routing;
}

/**
 * Whether the raw query has `key` with a value accepted by `test`, parsed like Go's url.ParseQuery:
 * '&' separates pairs, '+' is a space, pairs containing ';' or a malformed escape are ignored.
 */
export function queryHas(raw: string, key: string, test: (value: string) => boolean): boolean {
  let start = 0;
  while (start < raw.length) {
    let end = raw.indexOf('&', start);
    if (end < 0) end = raw.length;
    const semi = raw.indexOf(';', start);
    if (end > start && (semi < 0 || semi >= end)) {
      let eq = raw.indexOf('=', start);
      if (eq < 0 || eq > end) eq = end;
      if (unescapeQuery(raw, start, eq, key) === key) {
        const value = eq < end ? unescapeQuery(raw, eq + 1, end, undefined) : '';
        if (value !== undefined && test(value)) return true;
      }
    }
    start = end + 1;
  }
  return false;
}

/** Decodes raw[from, to) as a query component; `plain` short-cuts the common unescaped case without allocating. */
function unescapeQuery(raw: string, from: number, to: number, plain: string | undefined): string | undefined {
  let escaped = false;
  for (let i = from; i < to && !escaped; i++) {
    const c = raw.charCodeAt(i);
    escaped = c === 37 /* % */ || c === 43; /* + */
  }
  if (!escaped) {
    if (plain !== undefined)
      return to - from === plain.length && raw.startsWith(plain, from) ? plain : undefined;
    return raw.slice(from, to);
  }
  try {
    return decodeURIComponent(raw.slice(from, to).replaceAll('+', ' '));
  } catch {
    return undefined;
  }
}
