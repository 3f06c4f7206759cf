// Wharf's diagnostics as the page shows them: which item each is about, where the mistake is written (the
// file and line, the container's label, the KV key) and what fixes it.

/** @typedef {import('./types.js').Diagnostic} Diagnostic */
/** @typedef {import('./types.js').Meta} Meta */

/** Diagnostic item kinds that have a page, and the API's name for their list. */
export const KIND_LIST = /** @type {const} */ ({
  router: 'routers',
  service: 'services',
  middleware: 'middlewares',
});

/**
 * The qualified name (`name@provider`) of the item a diagnostic is about: compile names it in its subject,
 * a provider's own diagnostics are about `name@<provider>`. Undefined when it is about no item.
 * @param {Diagnostic} d
 */
export function itemName(d) {
  if (!d.item) return undefined;
  if (d.subject.startsWith(`${d.item.name}@`)) return d.subject;
  return d.source === 'compile' ? d.item.name : `${d.item.name}@${d.source}`;
}

/**
 * The diagnostics about one item, errors first.
 * @param {readonly Diagnostic[]} list
 * @param {string} kind router, service or middleware
 * @param {string} name the qualified name
 */
export function diagnosticsFor(list, kind, name) {
  return list
    .filter((d) => d.item?.kind === kind && itemName(d) === name)
    .sort((a, b) => (a.severity === b.severity ? 0 : a.severity === 'error' ? -1 : 1));
}

/**
 * The line (and column) a file diagnostic names in its message, `(line 12)` or `(line 12, column 3)`.
 * @param {string} message
 */
export function lineOf(message) {
  const m = /\(line (\d+)(?:, column (\d+))?\)/.exec(message);
  return m ? { line: Number(m[1]), ...(m[2] ? { column: Number(m[2]) } : {}) } : undefined;
}

/**
 * The key an item's setting has in a provider's own spelling: a dotted path in a file, a label with the
 * Docker provider's prefix, a KV path under the Consul provider's root key.
 * @param {string} provider file, docker, consul, ...
 * @param {string} path the setting's path, e.g. http.routers.web.rule
 * @param {Meta} meta
 */
export function keyIn(provider, path, meta) {
  if (provider === 'docker') return `label ${meta.labelPrefix}.${path}`;
  if (provider.startsWith('consul')) return `KV key ${meta.rootKey}/${path.replaceAll('.', '/')}`;
  return `key ${path}`;
}

/**
 * Where the mistake is written, in words: `file /etc/wharf/dynamic.yml, line 25, key http.routers.x.rule`,
 * `container web-1, label wharf.http.routers.web.rule = "Host("`, `KV key wharf/http/routers/web/rule`.
 * Problems compile finds name the item's setting (from the fix catalog) in its provider's spelling.
 * @param {Diagnostic} d
 * @param {Meta} meta
 */
export function whereOf(d, meta) {
  const value = d.value !== undefined ? ` = "${d.value}"` : '';
  if (d.source === 'file') {
    const at = lineOf(d.message);
    const parts = [`file ${d.subject}`];
    if (at) parts.push(`line ${at.line}`);
    if (d.key) parts.push(`key ${d.key}${value}`);
    return parts.join(', ');
  }
  if (d.source === 'docker') {
    const container = d.subject.startsWith('providers.') ? d.subject : `container ${d.subject}`;
    return d.key ? `${container}, label ${d.key}${value}` : container;
  }
  if (d.source.startsWith('consul')) return d.key ? `KV key ${d.key}${value}` : d.subject;
  const name = itemName(d);
  const field = meta.fixes[d.code]?.field;
  const list = d.item ? KIND_LIST[/** @type {keyof typeof KIND_LIST} */ (d.item.kind)] : undefined;
  if (d.item && name && list) {
    const at = name.lastIndexOf('@');
    const provider = at === -1 ? '' : name.slice(at + 1);
    const item = `${d.item.kind} ${name}`;
    return field ? `${item}: ${keyIn(provider, `http.${list}.${d.item.name}.${field}`, meta)}` : item;
  }
  return d.key ? `${d.subject}, key ${d.key}${value}` : d.subject;
}

/**
 * What fixes it: the catalog's fix for the code, and the nearest valid key or name for a typo.
 * @param {Diagnostic} d
 * @param {Meta} meta
 */
export function fixOf(d, meta) {
  const fix = meta.fixes[d.code]?.fix ?? '';
  if (d.suggestion === undefined) return fix;
  return `${fix}${fix ? ' ' : ''}Suggested: "${d.suggestion}".`;
}
