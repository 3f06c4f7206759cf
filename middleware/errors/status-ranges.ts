// The pure parts of the errors middleware: which statuses it catches, what a caught status becomes, and
// the path of the error page. Traefik v3.7: pkg/types/http_code_range.go, pkg/middlewares/customerrors.

/** Inclusive status ranges: `[[404, 404], [500, 599]]`. */
export type StatusRanges = ReadonlyArray<readonly [number, number]>;

/**
 * Parses `status` as written: each item a code (`404`) or a range (`500-599`), an item with commas being a
 * list itself. Items were validated by the schema (config/middlewares/errors.ts), so a bad one throws.
 */
export function parseStatusRanges(items: readonly string[]): StatusRanges {
  const out: Array<readonly [number, number]> = [];
  for (const item of items)
    for (const part of item.split(',')) {
      const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
      if (!m) throw new Error(`"${part}" is not a status code or a range of them`);
      const low = Number(m[1]);
      out.push([low, m[2] === undefined ? low : Number(m[2])]);
    }
  return out;
}

/** Whether `status` is in one of the ranges. */
export function inRanges(ranges: StatusRanges, status: number): boolean {
  for (const [low, high] of ranges) if (status >= low && status <= high) return true;
  return false;
}

/** One statusRewrites entry, parsed. */
export interface StatusRewrite {
  readonly low: number;
  readonly high: number;
  readonly to: number;
}

/**
 * Parses `statusRewrites`, narrowest range first: when ranges overlap the most specific one applies
 * (Traefik walks a Go map, so there the choice between overlapping entries is random).
 */
export function parseStatusRewrites(rewrites: Readonly<Record<string, number>> | undefined): StatusRewrite[] {
  const out: StatusRewrite[] = [];
  for (const [from, to] of Object.entries(rewrites ?? {})) {
    const [range] = parseStatusRanges([from]);
    if (range) out.push({ low: range[0], high: range[1], to });
  }
  return out.sort((a, b) => a.high - a.low - (b.high - b.low) || a.low - b.low);
}

/** The status sent for a caught `status`: the first (narrowest) rewrite containing it, else itself. */
export function rewriteStatus(rewrites: readonly StatusRewrite[], status: number): number {
  for (const r of rewrites) if (status >= r.low && status <= r.high) return r.to;
  return status;
}

/** Go's url.QueryEscape: unreserved bytes kept, space as `+`, everything else percent-encoded. */
export function goQueryEscape(text: string): string {
  return encodeURIComponent(text)
    .replace(/[!'()*]/g, (c) => `%${(c.codePointAt(0) as number).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}

/**
 * The request target of the error page: `query` with a leading `/`, `{status}` (the status sent),
 * `{originalStatus}` (the backend's) and `{url}` (the request's URL, query-escaped) replaced, as Traefik
 * does. Its fragment is dropped and bytes a request target cannot hold are percent-encoded, as Go's URL
 * parsing does before the request goes out. An empty `query` asks for `/`; `//x` keeps both slashes, as
 * Traefik trims one only.
 */
export function errorPagePath(
  query: string | undefined,
  status: number,
  originalStatus: number,
  url: string,
): string {
  if (!query) return '/';
  const path = `/${query.replace(/^\//, '')}`
    .replaceAll('{status}', String(status))
    .replaceAll('{originalStatus}', String(originalStatus))
    .replaceAll('{url}', goQueryEscape(url));
  const hash = path.indexOf('#');
  const target = hash === -1 ? path : path.slice(0, hash);
  return target.replace(/[^\x21-\x7e]+/g, (s) => encodeURI(s)) || '/';
}
