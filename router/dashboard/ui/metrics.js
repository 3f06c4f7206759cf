// Request rates from Prometheus metrics (`/metrics`), when Wharf exposes them: the request counters of
// Traefik's metric set (`wharf_*`, or `traefik_*`), by router, service and entryPoint, and their 5xx share.

/** @typedef {import('./types.js').Rates} Rates */
/** @typedef {import('./types.js').Rate} Rate */
/** @typedef {{ routers: Map<string, Rate>, services: Map<string, Rate>, entrypoints: Map<string, Rate> }} Counts */

/** Counter name (without its wharf_ or traefik_ prefix) → the label naming what it counts, and where it goes. */
const COUNTERS = /** @type {const} */ ([
  ['router_requests_total', 'router', 'routers'],
  ['service_requests_total', 'service', 'services'],
  ['entrypoint_requests_total', 'entrypoint', 'entrypoints'],
]);

/**
 * The labels of one sample line, `{a="x",b="y\"z"}` (the text after the metric name up to its `}`), with
 * Prometheus's escapes (\\, \", \n) undone. Returns the labels and the index after the closing brace.
 * @param {string} line
 * @param {number} start the index of `{`
 * @returns {{ labels: Record<string, string>, end: number } | undefined}
 */
function parseLabels(line, start) {
  /** @type {Record<string, string>} */
  const labels = {};
  let i = start + 1;
  for (;;) {
    while (line[i] === ' ' || line[i] === ',') i++;
    if (line[i] === '}') return { labels, end: i + 1 };
    const eq = line.indexOf('=', i);
    if (eq === -1 || line[eq + 1] !== '"') return undefined;
    const name = line.slice(i, eq).trim();
    let value = '';
    for (i = eq + 2; i < line.length && line[i] !== '"'; i++) {
      if (line[i] === '\\') {
        i++;
        value += line[i] === 'n' ? '\n' : (line[i] ?? '');
      } else value += line[i];
    }
    if (i >= line.length) return undefined;
    labels[name] = value;
    i++;
  }
}

/**
 * The samples of the named metrics in a Prometheus text exposition, each with its labels and value.
 * Comments, other metrics and lines that do not parse are skipped.
 * @param {string} text
 * @param {ReadonlySet<string>} names
 * @returns {Array<{ name: string, labels: Record<string, string>, value: number }>}
 */
export function parseSamples(text, names) {
  const out = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const brace = line.indexOf('{');
    const space = line.indexOf(' ');
    const nameEnd = brace !== -1 && (space === -1 || brace < space) ? brace : space;
    if (nameEnd <= 0) continue;
    const name = line.slice(0, nameEnd);
    if (!names.has(name)) continue;
    /** @type {Record<string, string>} */
    let labels = {};
    let rest = nameEnd;
    if (line[nameEnd] === '{') {
      const parsed = parseLabels(line, nameEnd);
      if (!parsed) continue;
      labels = parsed.labels;
      rest = parsed.end;
    }
    const value = Number(line.slice(rest).trim().split(/\s+/)[0]);
    if (Number.isFinite(value)) out.push({ name, labels, value });
  }
  return out;
}

/**
 * Requests counted so far by router, service and entryPoint (summed over code, method and protocol),
 * and of them those answered with a 5xx status. Undefined when the text has none of the counters: the
 * metrics are off, or not Prometheus's.
 * @param {string} text
 * @returns {Counts | undefined}
 */
export function requestCounts(text) {
  const names = new Set(COUNTERS.flatMap(([n]) => [`wharf_${n}`, `traefik_${n}`]));
  const samples = parseSamples(text, names);
  if (
    samples.length === 0 &&
    !COUNTERS.some(([n]) => text.includes(`wharf_${n}`) || text.includes(`traefik_${n}`))
  )
    return undefined;
  /** @type {Counts} */
  const counts = { routers: new Map(), services: new Map(), entrypoints: new Map() };
  for (const s of samples) {
    const counter = COUNTERS.find(([n]) => s.name.endsWith(`_${n}`));
    if (!counter) continue;
    const key = s.labels[counter[1]];
    if (key === undefined) continue;
    const map = counts[counter[2]];
    const entry = map.get(key) ?? { total: 0, errors: 0 };
    entry.total += s.value;
    if (s.labels.code?.startsWith('5')) entry.errors += s.value;
    map.set(key, entry);
  }
  return counts;
}

/**
 * Per-second rates between two readings `seconds` apart. A counter that went down (Wharf restarted)
 * counts from zero; an item that is new in `current` counts from zero too.
 * @param {Counts} previous
 * @param {Counts} current
 * @param {number} seconds
 * @returns {Rates}
 */
export function rates(previous, current, seconds) {
  /** @param {Map<string, Rate>} before @param {Map<string, Rate>} now */
  const per = (before, now) => {
    /** @type {Map<string, Rate>} */
    const out = new Map();
    for (const [key, c] of now) {
      const p = before.get(key);
      const total = p && c.total >= p.total ? c.total - p.total : c.total;
      const errors = p && c.errors >= p.errors ? c.errors - p.errors : c.errors;
      out.set(key, { total: total / seconds, errors: errors / seconds });
    }
    return out;
  };
  return {
    routers: per(previous.routers, current.routers),
    services: per(previous.services, current.services),
    entrypoints: per(previous.entrypoints, current.entrypoints),
  };
}
