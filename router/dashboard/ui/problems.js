// Diagnostics rendered as the page shows them: message, where it is written, and the fix.

import { fixOf, itemName, KIND_LIST, whereOf } from './diagnostics.js';
import { fields, h, itemHref } from './dom.js';

/** @typedef {import('./types.js').Diagnostic} Diagnostic */
/** @typedef {import('./types.js').Meta} Meta */

/**
 * One diagnostic: its severity and code, the item it is about (a link, unless `linkItem` is false), the
 * message, where the mistake is written, and what fixes it.
 * @param {Diagnostic} d
 * @param {Meta} meta
 * @param {boolean} linkItem
 */
export function problem(d, meta, linkItem) {
  const name = itemName(d);
  const list = d.item ? KIND_LIST[/** @type {keyof typeof KIND_LIST} */ (d.item.kind)] : undefined;
  const fix = fixOf(d, meta);
  return h(
    'article',
    { class: `problem ${d.severity}`, 'data-code': d.code, 'data-item': name },
    h(
      'header',
      null,
      h('span', { class: `badge ${d.severity === 'error' ? 'bad' : 'warn'}` }, d.severity),
      ' ',
      h('code', null, d.code),
      name && d.item
        ? [
            ' ',
            linkItem && list
              ? h('a', { href: itemHref(list, name) }, `${d.item.kind} ${name}`)
              : `${d.item.kind} ${name}`,
          ]
        : null,
    ),
    h('p', { class: 'message' }, d.message),
    fields([
      ['Where', whereOf(d, meta)],
      ['Fix', fix || undefined],
    ]),
  );
}

/**
 * A section listing diagnostics, errors first; a note when there are none.
 * @param {string} title
 * @param {readonly Diagnostic[]} list
 * @param {Meta} meta
 * @param {{ linkItems: boolean, none: string }} options
 */
export function problemsSection(title, list, meta, options) {
  const sorted = [...list].sort((a, b) => (a.severity === b.severity ? 0 : a.severity === 'error' ? -1 : 1));
  return h(
    'section',
    { class: 'problems', id: 'problems' },
    h('h2', null, `${title} (${list.length})`),
    sorted.length === 0
      ? h('p', { class: 'none' }, options.none)
      : sorted.map((d) => problem(d, meta, options.linkItems)),
  );
}
