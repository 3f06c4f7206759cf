// The page of one router, service or middleware, with the problems Wharf found in it.

import { getItem, qualify } from './api.js';
import { diagnosticsFor } from './diagnostics.js';
import { badge, fields, formatRate, h, itemHref, json, table } from './dom.js';
import { problemsSection } from './problems.js';

/** @typedef {import('./types.js').Context} Context */
/** @typedef {import('./types.js').Kind} Kind */
/** @typedef {import('./types.js').Item} Item */
/** @typedef {import('./types.js').Router} Router */
/** @typedef {import('./types.js').Service} Service */
/** @typedef {import('./types.js').Middleware} Middleware */
/** @typedef {import('./dom.js').Child} Child */

const SINGULAR = /** @type {const} */ ({ routers: 'router', services: 'service', middlewares: 'middleware' });
/** Keys the API adds to an item's configuration. */
const RUNTIME_KEYS = new Set([
  'name',
  'provider',
  'status',
  'error',
  'type',
  'usedBy',
  'using',
  'serverStatus',
  'state',
]);

/**
 * A linked item name with its status, read from the API (an unknown one shows as missing).
 * @param {Kind} kind
 * @param {string} name
 */
async function linked(kind, name) {
  const item = /** @type {Item | undefined} */ (await getItem(kind, name));
  return h(
    'span',
    { class: 'linked' },
    h('a', { href: itemHref(kind, name) }, name),
    ' ',
    item ? badge(item.status) : h('span', { class: 'badge bad' }, 'missing'),
  );
}

/**
 * The item's problems: its diagnostics, and any error the API lists that no diagnostic explains.
 * @param {Context} ctx
 * @param {Kind} kind
 * @param {string} name
 * @param {Item | undefined} item
 */
function problems(ctx, kind, name, item) {
  const list = diagnosticsFor(ctx.diagnostics, SINGULAR[kind], name);
  const known = new Set(list.map((d) => d.message));
  const other = (item?.error ?? []).filter((e) => !known.has(e));
  if (list.length === 0 && other.length === 0) return null;
  const section = problemsSection('Problems', list, ctx.meta, { linkItems: false, none: '' });
  if (other.length > 0)
    section.append(h('ul', { class: 'other-errors' }, ...other.map((e) => h('li', null, e))));
  return section;
}

/**
 * @param {Context} ctx
 * @param {Router} r
 */
async function routerBody(ctx, r) {
  const rate = ctx.rates?.routers.get(r.name);
  const chain = await Promise.all(
    (r.middlewares ?? []).map((m) => linked('middlewares', qualify(m, r.provider))),
  );
  const service = r.service
    ? await linked('services', qualify(r.service, r.provider))
    : h('em', null, 'none');
  return [
    fields([
      ['Rule', h('code', { id: 'rule' }, r.rule ?? '')],
      ['EntryPoints', (r.entryPoints ?? []).join(', ') || 'the default ones'],
      ['Served on', (r.using ?? []).join(', ') || 'nowhere'],
      ['Priority', r.priority],
      ['TLS', r.tls ? json(r.tls) : 'no'],
      ['Requests', rate ? `${formatRate(rate.total)} (5xx ${formatRate(rate.errors)})` : undefined],
    ]),
    h(
      'section',
      { class: 'chain' },
      h('h2', null, 'Middlewares and service'),
      h('ol', { id: 'chain' }, ...chain.map((m) => h('li', null, m)), h('li', { class: 'service' }, service)),
    ),
  ];
}

/**
 * @param {Context} ctx
 * @param {Service} s
 */
async function serviceBody(ctx, s) {
  const rate = ctx.rates?.services.get(s.name);
  /** @type {Child[]} */
  const out = [
    fields([
      ['Type', s.type],
      [
        'Used by',
        (s.usedBy ?? []).length
          ? (s.usedBy ?? []).map((u) => h('a', { href: itemHref('routers', u), class: 'tag' }, u))
          : 'no router',
      ],
      ['Requests', rate ? `${formatRate(rate.total)} (5xx ${formatRate(rate.errors)})` : undefined],
    ]),
  ];
  const lb = s.loadBalancer;
  if (lb) {
    const status = s.serverStatus ?? {};
    out.push(
      h('h2', null, 'Servers'),
      table(
        ['Server', 'Weight', 'Health'],
        (lb.servers ?? []).map((sv) => {
          const url = sv.url ?? sv.address ?? '';
          return [h('code', null, url), String(sv.weight ?? 1), status[url] ? badge(status[url]) : '—'];
        }),
        { id: 'servers' },
      ),
    );
    if (lb.healthCheck) out.push(h('h2', null, 'Health check'), json(lb.healthCheck));
  }
  /** @type {Array<{ name: string, weight?: number, percent?: number }> | undefined} */
  const children = s.weighted?.services ?? s.mirroring?.mirrors;
  if (children) {
    const rows = await Promise.all(
      children.map(async (c) => [
        await linked('services', qualify(c.name, s.provider)),
        s.weighted ? String(c.weight ?? 1) : `${c.percent ?? 0}%`,
      ]),
    );
    if (s.mirroring?.service)
      out.push(
        h('h2', null, 'Main service'),
        await linked('services', qualify(s.mirroring.service, s.provider)),
      );
    out.push(
      h('h2', null, s.weighted ? 'Weighted services' : 'Mirrors'),
      table(['Service', s.weighted ? 'Weight' : 'Percent'], rows, { id: 'children' }),
    );
  }
  if (s.failover?.service) {
    const f = s.failover;
    out.push(
      h('h2', null, 'Failover'),
      fields([
        ['Service', await linked('services', qualify(f.service ?? '', s.provider))],
        ['Fallback', f.fallback ? await linked('services', qualify(f.fallback, s.provider)) : undefined],
      ]),
    );
  }
  return out;
}

/** @param {Middleware} m */
function middlewareBody(m) {
  const options = Object.fromEntries(Object.entries(m).filter(([k]) => !RUNTIME_KEYS.has(k)));
  return [
    fields([
      ['Type', m.type],
      [
        'Used by',
        (m.usedBy ?? []).length
          ? (m.usedBy ?? []).map((u) => h('a', { href: itemHref('routers', u), class: 'tag' }, u))
          : 'no router',
      ],
    ]),
    h('h2', null, 'Options'),
    json(options),
    ...(m.state ? [h('h2', null, 'State'), json(m.state)] : []),
  ];
}

/**
 * The page of one item; for an item the API does not know, its name and any problems about it.
 * @param {Context} ctx
 * @param {Kind} kind
 * @param {string} name
 */
export async function detailView(ctx, kind, name) {
  const item = /** @type {Item | undefined} */ (await getItem(kind, name));
  const head = h(
    'h1',
    null,
    h('span', { class: 'kind' }, SINGULAR[kind]),
    ' ',
    name,
    ' ',
    item ? badge(item.status) : null,
  );
  if (!item)
    return h(
      'div',
      { class: 'detail' },
      head,
      h('p', { class: 'none' }, `There is no ${SINGULAR[kind]} ${name} (any more).`),
      problems(ctx, kind, name, undefined),
    );
  const body =
    kind === 'routers'
      ? await routerBody(ctx, /** @type {Router} */ (item))
      : kind === 'services'
        ? await serviceBody(ctx, /** @type {Service} */ (item))
        : middlewareBody(/** @type {Middleware} */ (item));
  return h(
    'div',
    { class: 'detail', 'data-status': item.status },
    head,
    h('p', { class: 'provider' }, `from provider ${item.provider}`),
    problems(ctx, kind, name, item),
    body,
  );
}
