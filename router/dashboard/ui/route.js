// The page address after `#`, Traefik's dashboard style: `#/`, `#/routers?search=web&status=disabled`,
// `#/routers/web@docker`. Kept in the hash so the server serves one page and links can be shared.

/** @typedef {import('./types.js').Route} Route */
/** @typedef {import('./types.js').Kind} Kind */

const KINDS = new Set(['routers', 'services', 'middlewares']);

/**
 * Reads a location hash; anything unknown is the overview.
 * @param {string} hash
 * @returns {Route}
 */
export function parseRoute(hash) {
  const raw = hash.replace(/^#\/?/, '');
  const q = raw.indexOf('?');
  const path = q === -1 ? raw : raw.slice(0, q);
  const query = new URLSearchParams(q === -1 ? '' : raw.slice(q + 1));
  const [kind, ...rest] = path.split('/');
  if (kind === undefined || !KINDS.has(kind)) return { query };
  const name = rest.join('/');
  let decoded = name;
  try {
    decoded = decodeURIComponent(name);
  } catch {
    // A hand-typed % that is not an escape: take the name as written.
  }
  return { kind: /** @type {Kind} */ (kind), ...(name ? { name: decoded } : {}), query };
}
