import { SpanStatusCode } from '@opentelemetry/api';

// Span attributes as Traefik v3.7 sets them (pkg/observability/tracing/tracing.go), following the OTel HTTP
// semantic conventions. Pure functions: the request path calls them for sampled requests only.

/** OTel's `network.protocol.version` from Node's httpVersion: `1.1`, `2` (Go's proto names). */
export function protocolVersion(httpVersion: string): string {
  if (httpVersion === '2.0') return '2';
  if (httpVersion === '3.0') return '3';
  return httpVersion;
}

/** Go's url.QueryEscape: everything but letters, digits and `-_.~` escaped, a space as `+`. */
function queryEscape(s: string): string {
  return encodeURIComponent(s)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}

/**
 * The query as Traefik's safeURL shows it: parsed, every parameter not in `safe` set to one `REDACTED`
 * value, safe ones kept with all their values, keys sorted and re-encoded (Go's `url.Values.Encode`).
 * An empty or parameterless query gives ''.
 */
export function redactQuery(rawQuery: string, safe: ReadonlySet<string>): string {
  if (rawQuery === '') return '';
  const values = new Map<string, string[]>();
  for (const pair of rawQuery.split('&')) {
    // Go (since 1.17) refuses a pair holding `;` and leaves it out; an empty pair is skipped.
    if (pair === '' || pair.includes(';')) continue;
    const eq = pair.indexOf('=');
    const key = decodeQueryPart(eq < 0 ? pair : pair.slice(0, eq));
    const value = eq < 0 ? '' : decodeQueryPart(pair.slice(eq + 1));
    if (key === undefined || value === undefined) continue;
    const list = values.get(key);
    if (list) list.push(value);
    else values.set(key, [value]);
  }
  const keys = [...values.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const out: string[] = [];
  for (const k of keys) {
    const list = safe.has(k) ? (values.get(k) as string[]) : ['REDACTED'];
    for (const v of list) out.push(`${queryEscape(k)}=${queryEscape(v)}`);
  }
  return out.join('&');
}

/** Go's QueryUnescape: `+` is a space; a malformed escape drops the pair (undefined). */
function decodeQueryPart(s: string): string | undefined {
  try {
    return decodeURIComponent(s.replaceAll('+', ' '));
  } catch {
    return undefined;
  }
}

/** A request target split into its path and raw query. */
export function splitTarget(target: string): { path: string; query: string } {
  const q = target.indexOf('?');
  return q < 0 ? { path: target, query: '' } : { path: target.slice(0, q), query: target.slice(q + 1) };
}

/** Go's URL.Path: the path with its escapes decoded (kept raw when an escape is malformed). */
export function decodedPath(path: string): string {
  if (!path.includes('%')) return path;
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

/**
 * `url.full` of a client span: the server's origin, the path as sent and the redacted query (Traefik's
 * safeURL); the `?` only when a parameter is left.
 */
export function safeUrl(origin: string, target: string, safe: ReadonlySet<string>): string {
  const { path, query } = splitTarget(target);
  const redacted = redactQuery(query, safe);
  return redacted === '' ? origin + path : `${origin}${path}?${redacted}`;
}

/** A span's status from an HTTP status: errors from 500 (server) or 400 (client), and invalid codes. */
export function spanStatus(
  code: number,
  kind: 'server' | 'client',
): { code: SpanStatusCode; message?: string } | undefined {
  if (code < 100 || code >= 600)
    return { code: SpanStatusCode.ERROR, message: `Invalid HTTP status code ${code}` };
  if (code >= (kind === 'client' ? 400 : 500)) return { code: SpanStatusCode.ERROR };
  return undefined;
}

/** Go's Request.ContentLength: the Content-Length, -1 for a body of unknown length, 0 for none. */
export function requestBodySize(headers: {
  'content-length'?: string | undefined;
  'transfer-encoding'?: string | undefined;
}): number {
  const length = headers['content-length'];
  if (length !== undefined) {
    const n = Number(length);
    return Number.isSafeInteger(n) && n >= 0 ? n : -1;
  }
  return headers['transfer-encoding'] !== undefined ? -1 : 0;
}

/** A header's values as a list (Traefik records header attributes as string slices). */
export function headerValues(value: string | number | readonly string[] | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'number') return [String(value)];
  return typeof value === 'string' ? [value] : [...value];
}

/** The values of `name` (lower case) in undici's flat `[name, value, ...]` header list. */
export function flatHeaderValues(flat: readonly string[], name: string): string[] | undefined {
  let out: string[] | undefined;
  for (let i = 0; i < flat.length; i += 2) {
    if ((flat[i] as string).toLowerCase() !== name) continue;
    if (out === undefined) out = [];
    out.push(flat[i + 1] as string);
  }
  return out;
}

/** Host and port of a URL authority, with the scheme's default port when none is written. */
export function hostPort(url: URL): { host: string; port: number | undefined } {
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  if (url.port !== '') return { host, port: Number(url.port) };
  if (url.protocol === 'http:') return { host, port: 80 };
  if (url.protocol === 'https:') return { host, port: 443 };
  return { host, port: undefined };
}
