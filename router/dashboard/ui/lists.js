// The lists of routers, services and middlewares, with search, a status filter and pages.

import { listPage, qualify } from './api.js';
import { badge, formatRate, h, itemHref, table } from './dom.js';

/** @typedef {import('./types.js').Context} Context */
/** @typedef {import('./types.js').Kind} Kind */
/** @typedef {import('./types.js').Item} Item */
/** @typedef {import('./types.js').Router} Router */
/** @typedef {import('./types.js').Service} Service */
/** @typedef {import('./types.js').Middleware} Middleware */
/** @typedef {import('./types.js').Rate} Rate */
/** @typedef {import('./dom.js').Child} Child */

const TITLES = { routers: 'Routers', services: 'Services', middlewares: 'Middlewares' };

/**
 * The item's name, linking to its page, with its first problem under it.
 * @param {Kind} kind
 * @param {Item} item
 */
function nameCell(kind, item) {
  const first = item.error?.[0];
  return [
    h('a', { href: itemHref(kind, item.name), class: 'name' }, item.name),
    first ? h('div', { class: `error-line ${item.status}` }, first) : null,
  ];
}

/**
 * Servers up out of all, for a load balancer; the services it spreads over otherwise.
 * @param {Service} s
 * @returns {Child}
 */
function serversCell(s) {
  const servers = s.loadBalancer?.servers;
  if (servers) {
    const status = Object.values(s.serverStatus ?? {});
    const up = status.filter((v) => v === 'UP').length;
    return s.serverStatus ? `${up}/${servers.length} up` : `${servers.length}`;
  }
  const children =
    s.weighted?.services?.map((c) => c.name) ??
    (s.mirroring?.service ? [s.mirroring.service] : undefined) ??
    (s.failover?.service ? [s.failover.service, s.failover.fallback ?? ''] : []);
  return children.filter(Boolean).join(', ');
}

/**
 * The columns of one kind: headers and a row builder; a Requests column when rates are known.
 * @param {Kind} kind
 * @param {Map<string, Rate> | undefined} rates
 * @returns {{ headers: string[], row: (item: Item) => Child[] }}
 */
function columns(kind, rates) {
  const rate = (/** @type {string} */ name) => (rates ? [formatRate(rates.get(name)?.total ?? 0)] : []);
  const more = rates ? ['Requests'] : [];
  if (kind === 'routers')
    return {
      headers: ['Status', 'Name', 'Rule', 'EntryPoints', 'Service', 'Provider', ...more],
      row: (item) => {
        const r = /** @type {Router} */ (item);
        const service = r.service ? qualify(r.service, r.provider) : undefined;
        return [
          badge(r.status),
          /** @type {Child} */ (h('span', null, nameCell(kind, r))),
          h('code', null, r.rule ?? ''),
          (r.entryPoints ?? []).join(', '),
          service ? h('a', { href: itemHref('services', service) }, r.service ?? '') : '',
          r.provider,
          ...rate(r.name),
        ];
      },
    };
  if (kind === 'services')
    return {
      headers: ['Status', 'Name', 'Type', 'Servers', 'Provider', ...more],
      row: (item) => {
        const s = /** @type {Service} */ (item);
        return [
          badge(s.status),
          h('span', null, nameCell(kind, s)),
          s.type ?? '',
          serversCell(s),
          s.provider,
          ...rate(s.name),
        ];
      },
    };
  return {
    headers: ['Status', 'Name', 'Type', 'Used by', 'Provider'],
    row: (item) => {
      const m = /** @type {Middleware} */ (item);
      return [
        badge(m.status),
        h('span', null, nameCell(kind, m)),
        m.type ?? '',
        String(m.usedBy?.length ?? 0),
        m.provider,
      ];
    },
  };
}

/**
 * Moves to the same list with other query parameters (replacing the history entry while typing).
 * @param {Kind} kind
 * @param {URLSearchParams} query
 */
function go(kind, query) {
  const q = query.toString();
  location.replace(`#/${kind}${q ? `?${q}` : ''}`);
}

/**
 * A list page: search box, status filter, the items of the current page and links to the others.
 * @param {Context} ctx
 * @param {Kind} kind
 */
export async function listView(ctx, kind) {
  const query = ctx.route.query;
  const page = Math.max(1, Number(query.get('page')) || 1);
  const search = query.get('search') ?? '';
  const status = query.get('status') ?? '';
  const { items, next } = await listPage(kind, { search, status, page });
  const input = h('input', {
    type: 'search',
    id: 'search',
    placeholder: 'Search by name',
    value: search,
    'aria-label': 'Search',
  });
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let typing;
  input.addEventListener('input', () => {
    clearTimeout(typing);
    typing = setTimeout(() => {
      const q = new URLSearchParams(query);
      if (input.value) q.set('search', input.value);
      else q.delete('search');
      q.delete('page');
      go(kind, q);
    }, 250);
  });
  const select = h(
    'select',
    { id: 'status', 'aria-label': 'Status' },
    ...['', 'enabled', 'warning', 'disabled'].map((s) =>
      h('option', { value: s, selected: s === status }, s === '' ? 'All statuses' : s),
    ),
  );
  select.addEventListener('change', () => {
    const q = new URLSearchParams(query);
    if (select.value) q.set('status', select.value);
    else q.delete('status');
    q.delete('page');
    go(kind, q);
  });
  /** @param {number} p @param {string} label */
  const pageLink = (p, label) => {
    const q = new URLSearchParams(query);
    q.set('page', String(p));
    return h('a', { href: `#/${kind}?${q}`, class: 'page' }, label);
  };
  const cols = columns(kind, kind === 'middlewares' ? undefined : ctx.rates?.[kind]);
  return h(
    'div',
    { class: 'list' },
    h('h1', null, TITLES[kind]),
    h('div', { class: 'controls', role: 'search' }, input, select),
    items.length === 0
      ? h('p', { class: 'none' }, search || status ? 'Nothing matches.' : `No ${kind}.`)
      : table(cols.headers, items.map(cols.row), { id: 'items', 'data-kind': kind }),
    h(
      'nav',
      { class: 'pager' },
      page > 1 ? pageLink(page - 1, '← Previous') : null,
      next ? pageLink(next, 'Next →') : null,
    ),
  );
}
