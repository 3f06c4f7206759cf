// The overview: entryPoints, routers, services and middlewares by status, and every problem Wharf found.

import { getJson } from './api.js';
import { formatRate, h, table } from './dom.js';
import { problemsSection } from './problems.js';

/** @typedef {import('./types.js').Context} Context */
/** @typedef {import('./types.js').Overview} Overview */
/** @typedef {import('./types.js').EntryPoint} EntryPoint */
/** @typedef {import('./types.js').Section} Section */

/**
 * A card with an item kind's counts, each linking to the list filtered by that status.
 * @param {string} kind
 * @param {string} title
 * @param {Section} s
 */
function card(kind, title, s) {
  const enabled = s.total - s.warnings - s.errors;
  /** @param {string} status @param {number} n @param {string} cls @param {string} label */
  const count = (status, n, cls, label) =>
    h(
      'a',
      { class: `count ${n > 0 ? cls : ''}`, href: `#/${kind}?status=${status}`, 'data-count': status },
      h('strong', null, n),
      h('span', null, label),
    );
  return h(
    'section',
    { class: 'card', 'data-kind': kind },
    h(
      'h2',
      null,
      h('a', { href: `#/${kind}` }, title),
      h('span', { class: 'total', 'data-count': 'total' }, s.total),
    ),
    h(
      'div',
      { class: 'counts' },
      count('enabled', enabled, 'ok', 'success'),
      count('warning', s.warnings, 'warn', 'warnings'),
      count('disabled', s.errors, 'bad', 'errors'),
    ),
  );
}

/**
 * The overview page.
 * @param {Context} ctx
 */
export async function overviewView(ctx) {
  const [ov, eps] = await Promise.all([getJson('/overview'), getJson('/entrypoints')]);
  const overview = /** @type {Overview} */ (ov.body);
  const entryPoints = /** @type {EntryPoint[]} */ (eps.body);
  const rates = ctx.rates?.entrypoints;
  const http = overview.http;
  const features = Object.entries(overview.features ?? {})
    .filter(([, v]) => v !== '' && v !== false && v !== undefined)
    .map(([k, v]) => (typeof v === 'string' ? `${k} (${v})` : k));
  return h(
    'div',
    { class: 'overview' },
    h('h1', null, 'Overview'),
    h(
      'div',
      { class: 'cards' },
      card('routers', 'Routers', http.routers),
      card('services', 'Services', http.services),
      card('middlewares', 'Middlewares', http.middlewares),
    ),
    h(
      'section',
      { class: 'entrypoints' },
      h('h2', null, 'EntryPoints'),
      table(
        ['Name', 'Address', ...(rates ? ['Requests'] : [])],
        entryPoints.map((ep) => [
          h('strong', null, ep.name),
          h('code', null, ep.address ?? ''),
          ...(rates ? [formatRate(rates.get(ep.name)?.total ?? 0)] : []),
        ]),
        { id: 'entrypoints' },
      ),
      rates ? null : h('p', { class: 'note', id: 'rates-note' }, ctx.ratesNote),
    ),
    h(
      'p',
      { class: 'note' },
      `Providers: ${(overview.providers ?? []).join(', ') || 'none'}. `,
      `Features: ${features.join(', ') || 'none'}.`,
    ),
    problemsSection('Problems', ctx.diagnostics, ctx.meta, {
      linkItems: true,
      none: 'No problems: every item of the configuration is in service as written.',
    }),
  );
}
