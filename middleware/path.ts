import type { IncomingMessage } from 'node:http';

/** Splits req.url into path and query suffix (including '?'), without allocating a URL object. */
export function splitUrl(url: string): { path: string; query: string } {
  const q = url.indexOf('?');
  return q === -1 ? { path: url, query: '' } : { path: url.slice(0, q), query: url.slice(q) };
}

/** Replaces the request path, keeping the query string. */
export function setPath(req: IncomingMessage, path: string): void {
  const { query } = splitUrl(req.url ?? '/');
  req.url = path + query;
}

/**
 * Removes `.` and `..` segments and duplicate slashes from a path starting with '/' (RFC 3986 §6.2.2.3, Go's
 * path.Clean as Traefik's `sanitizePath` applies it): `..` never climbs above the root, and a trailing
 * slash is kept. Escaped slashes (`%2F`) are not separators, so they are left alone.
 */
export function cleanPath(path: string): string {
  const out: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') out.pop();
    else out.push(segment);
  }
  const cleaned = `/${out.join('/')}`;
  return cleaned !== '/' && path.endsWith('/') ? `${cleaned}/` : cleaned;
}

/**
 * Adds a request header value after any already there, as Go's Header.Add does (Traefik adds
 * X-Forwarded-Prefix and X-Replaced-Path this way): a second value makes a second header line.
 */
export function addRequestHeader(req: IncomingMessage, name: string, value: string): void {
  const current = req.headers[name];
  if (current === undefined) req.headers[name] = value;
  else req.headers[name] = [...(Array.isArray(current) ? current : [current]), value];
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const lower = c | 0x20;
  return lower >= 97 && lower <= 102 ? lower - 87 : -1;
}

/**
 * Decodes the escapes of a path as Go's url.PathUnescape does (UTF-8; `+` stays `+`), or gives the first
 * malformed escape (`%zz`, a `%` at the end) as `problem`.
 */
export function unescapePath(path: string): { path: string } | { problem: string } {
  if (!path.includes('%')) return { path };
  const raw = Buffer.from(path, 'utf8');
  const out = Buffer.alloc(raw.length);
  let n = 0;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i] as number;
    if (c !== 37) {
      out[n++] = c;
      continue;
    }
    const hi = hexValue(raw[i + 1] ?? -1);
    const lo = hexValue(raw[i + 2] ?? -1);
    if (hi < 0 || lo < 0) {
      const bad = raw.subarray(i, i + 3).toString('latin1');
      return { problem: `invalid URL escape "${bad}"` };
    }
    out[n++] = hi * 16 + lo;
    i += 2;
  }
  return { path: out.subarray(0, n).toString('utf8') };
}

/**
 * Whether cleaning a path (Go's URL.JoinPath, as Traefik applies it after a rewrite) leaves it unchanged:
 * no empty, `.` or `..` segment. A path without a leading slash is cleaned as if it had one.
 */
export function isCleanPath(path: string): boolean {
  if (path === '') return true;
  const rooted = path.startsWith('/') ? path : `/${path}`;
  return cleanPath(rooted) === rooted;
}
