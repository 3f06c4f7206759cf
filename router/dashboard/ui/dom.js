// DOM helpers. Everything the page shows comes from configuration (labels, KV values, file entries), so
// it is only ever set as text or attribute values: no HTML is parsed from data.

/** @typedef {string | number | Node | null | undefined | false} Child */

/**
 * Creates an element with attributes (null, undefined and false ones left out) and children (nested
 * arrays flattened, strings and numbers as text).
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, string | number | boolean | null | undefined> | null} [attrs]
 * @param {...(Child | Child[])} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    el.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(typeof child === 'number' ? String(child) : child);
  }
  return el;
}

/**
 * A status badge: enabled, warning or disabled (Traefik's words), or a server's UP/DOWN.
 * @param {string} status
 */
export function badge(status) {
  const cls = { enabled: 'ok', up: 'ok', warning: 'warn', disabled: 'bad', down: 'bad' }[
    status.toLowerCase()
  ];
  return h('span', { class: `badge ${cls ?? 'unknown'}`, 'data-status': status }, status);
}

/**
 * The page address of an item's detail page.
 * @param {string} kind routers, services or middlewares
 * @param {string} name the qualified name
 */
export function itemHref(kind, name) {
  return `#/${kind}/${encodeURIComponent(name)}`;
}

/**
 * A table with a header row; rows are arrays of cells.
 * @param {string[]} headers
 * @param {Array<Array<Child | Child[]>>} rows
 * @param {Record<string, string>} [attrs]
 */
export function table(headers, rows, attrs = {}) {
  return h(
    'table',
    attrs,
    h('thead', null, h('tr', null, ...headers.map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', null, ...rows.map((cells) => h('tr', null, ...cells.map((c) => h('td', null, c))))),
  );
}

/**
 * A definition list of label/value pairs; pairs whose value is undefined are left out.
 * @param {Array<[string, Child | Child[]]>} pairs
 */
export function fields(pairs) {
  return h(
    'dl',
    { class: 'fields' },
    ...pairs.filter(([, v]) => v !== undefined).flatMap(([k, v]) => [h('dt', null, k), h('dd', null, v)]),
  );
}

/**
 * A value as readable JSON in a <pre>.
 * @param {unknown} value
 */
export function json(value) {
  return h('pre', { class: 'json' }, JSON.stringify(value, null, 2));
}

/**
 * Requests per second, shortened.
 * @param {number} perSecond
 */
export function formatRate(perSecond) {
  if (perSecond === 0) return '0/s';
  if (perSecond < 0.1) return '<0.1/s';
  return `${perSecond < 10 ? perSecond.toFixed(1) : Math.round(perSecond)}/s`;
}
