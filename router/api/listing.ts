// The lists of Traefik's API (pkg/api/criterion.go, sort.go): filters, sorting and paging, as pure
// functions of the items and the query string.

/** Traefik's default page size and the header that names the next page (1 on the last page). */
export const DEFAULT_PER_PAGE = 100;
export const NEXT_PAGE_HEADER = 'X-Next-Page';

/** What the list endpoints show of an item to filter and sort it. */
export interface Listed {
  readonly name: string;
  readonly provider?: string;
  readonly status?: string;
  readonly type?: unknown;
  readonly rule?: unknown;
  readonly service?: unknown;
  readonly middlewares?: unknown;
  readonly priority?: unknown;
  readonly entryPoints?: unknown;
  readonly loadBalancer?: unknown;
}

/** Which list the items belong to: filters and sort keys differ. */
export type ListKind = 'routers' | 'services' | 'middlewares' | 'entrypoints';

/**
 * Traefik's filters: `status` (case-insensitive), `search` (in the name, and a router's rule),
 * `serviceName` and `middlewareName` (routers), plus Wharf's `provider`.
 */
export function keep(item: Listed, kind: ListKind, query: URLSearchParams): boolean {
  const status = query.get('status') ?? '';
  if (status !== '' && (item.status ?? '').toLowerCase() !== status.toLowerCase()) return false;
  const provider = query.get('provider') ?? '';
  if (provider !== '' && item.provider !== provider) return false;
  const search = (query.get('search') ?? '').toLowerCase();
  if (search !== '') {
    const texts = kind === 'routers' ? [String(item.rule ?? ''), item.name] : [item.name];
    if (!texts.some((t) => t.toLowerCase().includes(search))) return false;
  }
  if (kind !== 'routers') return true;
  const serviceName = query.get('serviceName') ?? '';
  if (serviceName !== '' && !sameService(String(item.service ?? ''), serviceName)) return false;
  const middlewareName = query.get('middlewareName') ?? '';
  const mws = Array.isArray(item.middlewares) ? item.middlewares : [];
  return middlewareName === '' || mws.includes(middlewareName);
}

// Traefik compares a router's service as written: qualified, the whole name; unqualified, the name part.
function sameService(routerService: string, wanted: string): boolean {
  if (routerService.includes('@')) return routerService === wanted;
  return wanted.split('@')[0] === routerService;
}

type SortKey = (i: Listed) => string | number;

const text = (v: unknown) => (typeof v === 'string' ? v : '');
const count = (v: unknown) => (Array.isArray(v) ? v.length : 0);
const servers = (i: Listed) => count((i.loadBalancer as { servers?: unknown } | undefined)?.servers);

const SORT_KEYS: Record<ListKind, Record<string, SortKey>> = {
  routers: {
    provider: (i) => i.provider ?? '',
    priority: (i) => (typeof i.priority === 'number' ? i.priority : 0),
    status: (i) => i.status ?? '',
    rule: (i) => text(i.rule),
    service: (i) => text(i.service),
    entryPoints: (i) => count(i.entryPoints),
  },
  services: {
    type: (i) => text(i.type),
    servers,
    provider: (i) => i.provider ?? '',
    status: (i) => i.status ?? '',
  },
  middlewares: {
    type: (i) => text(i.type),
    provider: (i) => i.provider ?? '',
    status: (i) => i.status ?? '',
  },
  entrypoints: {},
};

/**
 * Sorts as Traefik: `sortBy` (name by default, or a list's own keys) and `direction` (asc, or desc);
 * equal keys fall back to the name in the same direction. Sorts in place and returns the list.
 */
export function sortListed<T extends Listed>(items: T[], kind: ListKind, query: URLSearchParams): T[] {
  const key = SORT_KEYS[kind][query.get('sortBy') ?? ''];
  const sign = query.get('direction') === 'desc' ? -1 : 1;
  const byName = (a: T, b: T) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  return items.sort((a, b) => {
    if (key) {
      const ka = key(a);
      const kb = key(b);
      if (ka !== kb) return (ka < kb ? -1 : 1) * sign;
    }
    return byName(a, b) * sign;
  });
}

/** One page of a list: its items and the number of the next page, or Traefik's 400 message. */
export type Page<T> = { ok: true; items: T[]; nextPage: number } | { ok: false; message: string };

/**
 * Traefik's paging: `page` (from 1) and `per_page` (default 100), each a positive integer; a page past the
 * end is an error, except the first (an empty list has one empty page). `nextPage` is 1 on the last page.
 */
export function paginate<T>(items: readonly T[], query: URLSearchParams): Page<T> {
  const perPage = intParam(query, 'per_page', DEFAULT_PER_PAGE);
  if (typeof perPage === 'string') return { ok: false, message: perPage };
  const page = intParam(query, 'page', 1);
  if (typeof page === 'string') return { ok: false, message: page };
  const start = (page - 1) * perPage;
  if (start !== 0 && start >= items.length)
    return { ok: false, message: `invalid request: page: ${page}, per_page: ${perPage}` };
  const nextPage = page * perPage < items.length ? page + 1 : 1;
  return { ok: true, items: items.slice(start, start + perPage), nextPage };
}

// Go's strconv.Atoi: an optional sign and decimal digits. A bad value reports 0, as Traefik's message does.
function intParam(query: URLSearchParams, key: string, fallback: number): number | string {
  const raw = query.get(key) ?? '';
  if (raw === '') return fallback;
  const value = /^[+-]?\d+$/.test(raw) ? Number(raw) : 0;
  if (!Number.isSafeInteger(value) || value <= 0)
    return `invalid request: ${key}: ${Number.isSafeInteger(value) ? value : 0}`;
  return value;
}
