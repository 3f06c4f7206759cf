// The dashboard's entry: reads the route from the address, renders its view, and keeps it current: at
// once when Wharf reloads its configuration (the /api/wharf/events stream), and every few seconds for
// server health and request rates (and as the fallback when the stream cannot be opened).

import { ApiError, getJson } from './api.js';
import { detailView } from './details.js';
import { h } from './dom.js';
import { listView } from './lists.js';
import { rates, requestCounts } from './metrics.js';
import { overviewView } from './overview.js';
import { parseRoute } from './route.js';

/** @typedef {import('./types.js').Meta} Meta */
/** @typedef {import('./types.js').Diagnostic} Diagnostic */
/** @typedef {import('./types.js').Rates} Rates */

const REFRESH_MS = 5000;
/** After /metrics answered 404 (metrics off), ask again this rarely. */
const METRICS_ABSENT_MS = 60_000;

const main = /** @type {HTMLElement} */ (document.getElementById('main'));
const live = /** @type {HTMLElement} */ (document.getElementById('live'));
const footer = /** @type {HTMLElement} */ (document.getElementById('footer'));

const state = {
  /** @type {Meta | undefined} */ meta: undefined,
  /** @type {number | undefined} */ generation: undefined,
  /** @type {Rates | undefined} */ rates: undefined,
  ratesNote: 'Measuring request rates…',
  /** @type {{ counts: NonNullable<ReturnType<typeof requestCounts>>, at: number } | undefined} */ lastCounts:
    undefined,
  nextMetricsAt: 0,
  rendering: false,
  pending: false,
  renders: 0,
};

/**
 * Shows the connection state in the header.
 * @param {'live' | 'polling' | 'offline'} mode
 * @param {string} text
 */
function setLive(mode, text) {
  live.className = `live mode-${mode}`;
  live.dataset.mode = mode;
  live.textContent = text;
}

/** Reads /metrics, when Wharf serves it, into request rates; says why there are none otherwise. */
async function scrapeMetrics() {
  if (performance.now() < state.nextMetricsAt) return;
  try {
    const res = await fetch('../metrics', { cache: 'no-store' });
    const counts = res.ok ? requestCounts(await res.text()) : undefined;
    if (!counts) {
      state.rates = undefined;
      state.lastCounts = undefined;
      state.nextMetricsAt = performance.now() + METRICS_ABSENT_MS;
      state.ratesNote = res.ok
        ? 'Request rates: /metrics has no request counters (Prometheus format expected).'
        : `Request rates need Prometheus metrics on this entryPoint (metrics.prometheus); /metrics answered ${res.status}.`;
      return;
    }
    const at = performance.now();
    if (state.lastCounts)
      state.rates = rates(state.lastCounts.counts, counts, (at - state.lastCounts.at) / 1000);
    state.lastCounts = { counts, at };
  } catch (err) {
    state.ratesNote = `Request rates: cannot read /metrics (${err instanceof Error ? err.message : err}).`;
  }
}

/** Puts `view` in place of the current one unless it shows exactly the same, keeping focus and caret. */
function show(/** @type {HTMLElement} */ view) {
  if (main.firstElementChild?.outerHTML === view.outerHTML) return;
  const active = document.activeElement;
  const focusId = active instanceof HTMLInputElement || active instanceof HTMLSelectElement ? active.id : '';
  const caret = active instanceof HTMLInputElement ? active.selectionStart : null;
  main.replaceChildren(view);
  const again = focusId ? document.getElementById(focusId) : null;
  if (again instanceof HTMLInputElement || again instanceof HTMLSelectElement) {
    again.focus();
    if (again instanceof HTMLInputElement && caret !== null) again.setSelectionRange(caret, caret);
  }
}

async function renderOnce() {
  const route = parseRoute(location.hash);
  if (!state.meta) {
    const res = await fetch('./meta.json');
    if (!res.ok) throw new ApiError('meta.json', res.status, res.statusText);
    state.meta = /** @type {Meta} */ (await res.json());
  }
  const diagnostics = /** @type {Diagnostic[]} */ ((await getJson('/diagnostics')).body);
  const ctx = { meta: state.meta, diagnostics, rates: state.rates, ratesNote: state.ratesNote, route };
  const view = !route.kind
    ? await overviewView(ctx)
    : route.name
      ? await detailView(ctx, route.kind, route.name)
      : await listView(ctx, route.kind);
  // A text selection (a message being copied) is not swept away by a periodic refresh.
  const selection = document.getSelection();
  if (selection && !selection.isCollapsed && main.contains(selection.anchorNode) && !state.pending) return;
  show(view);
  for (const a of document.querySelectorAll('header nav a')) {
    if (a.getAttribute('data-nav') === (route.kind ?? 'overview')) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  document.title = `${route.name ?? route.kind ?? 'Overview'} · Wharf`;
  state.renders++;
  document.body.dataset.renders = String(state.renders);
  if (state.generation !== undefined) document.body.dataset.generation = String(state.generation);
  footer.textContent = `Wharf ${state.meta.version}${state.generation !== undefined ? ` · configuration generation ${state.generation}` : ''} · updated ${new Date().toLocaleTimeString()}`;
}

/** Renders the current route; calls made while a render runs are folded into one more render after it. */
async function render() {
  if (state.rendering) {
    state.pending = true;
    return;
  }
  state.rendering = true;
  try {
    do {
      state.pending = false;
      await renderOnce();
    } while (state.pending);
    if (live.dataset.mode === 'offline') setLive('polling', 'Connected; refreshing every few seconds');
  } catch (err) {
    const text = err instanceof ApiError ? err.message : `Wharf's API cannot be reached (${err})`;
    setLive('offline', `${text}; retrying`);
  } finally {
    state.rendering = false;
  }
}

/** Follows /api/wharf/events: each new configuration generation re-renders the page at once. */
function follow() {
  if (typeof EventSource !== 'function') return;
  const events = new EventSource('../api/wharf/events');
  events.addEventListener('generation', (e) => {
    const { generation } = JSON.parse(/** @type {MessageEvent<string>} */ (e).data);
    if (generation === state.generation) return;
    state.generation = generation;
    render();
  });
  events.addEventListener('open', () => setLive('live', 'Live: follows configuration changes'));
  events.addEventListener('error', () =>
    setLive('polling', 'Event stream lost; refreshing every few seconds'),
  );
}

async function tick() {
  if (document.hidden) return;
  await scrapeMetrics();
  await render();
}

window.addEventListener('hashchange', () => render());
main.append(h('p', { class: 'none' }, 'Loading…'));
follow();
tick();
setInterval(tick, REFRESH_MS);
