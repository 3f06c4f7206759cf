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
