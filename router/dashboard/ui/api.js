// Reading Wharf's API. URLs are relative to the page (…/dashboard/), so the page works wherever the API
// is mounted and behind a proxy that adds a path prefix.

/** @typedef {import('./types.js').Kind} Kind */

export const API = '../api';

/** An API answer other than 200. */
export class ApiError extends Error {
  /** @param {string} path @param {number} status @param {string} message */
  constructor(path, status, message) {
    super(`${path}: ${status} ${message}`);
    this.status = status;
  }
}

/**
 * GETs an API path (`/overview`) and parses its JSON.
 * @template T
 * @param {string} path
 * @returns {Promise<{ body: T, headers: Headers }>}
 */
export async function getJson(path) {
  const res = await fetch(API + path, { headers: { accept: 'application/json' }, cache: 'no-store' });
  if (!res.ok) {
    let message = res.statusText;
    try {
      message = (await res.json()).message ?? message;
    } catch {
      // Not JSON (a proxy's error page): the status text says enough.
    }
    throw new ApiError(path, res.status, message);
  }
  return { body: /** @type {T} */ (await res.json()), headers: res.headers };
}

/** Items per page, as Traefik's dashboard asks. */
export const PER_PAGE = 100;

/**
 * One page of routers, services or middlewares, filtered by the API (Traefik's `search`, `status`,
 * `page` and `per_page`); `next` is the following page when the API says there is one (X-Next-Page).
 * @template T
 * @param {Kind} kind
 * @param {{ search?: string, status?: string, page?: number }} query
 * @returns {Promise<{ items: T[], next: number | undefined }>}
 */
export async function listPage(kind, query) {
  const page = query.page ?? 1;
  const params = new URLSearchParams({ page: String(page), per_page: String(PER_PAGE) });
  if (query.search) params.set('search', query.search);
  if (query.status) params.set('status', query.status);
  const { body, headers } = await getJson(`/http/${kind}?${params}`);
  const next = Number(headers.get('x-next-page'));
  return { items: /** @type {T[]} */ (body), next: next > page ? next : undefined };
}

/**
 * One item by qualified name, or undefined when the API does not know it (404).
 * @template T
 * @param {Kind} kind
 * @param {string} name
 * @returns {Promise<T | undefined>}
 */
export async function getItem(kind, name) {
  try {
    return (await getJson(`/http/${kind}/${encodeURIComponent(name)}`)).body;
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return undefined;
    throw err;
  }
}

/**
 * Qualifies a name a router or service refers to: names without `@` are its own provider's.
 * @param {string} name
 * @param {string} provider
 */
export function qualify(name, provider) {
  return name.includes('@') ? name : `${name}@${provider}`;
}
