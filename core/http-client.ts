import { createRequire } from 'node:module';
import type * as undici from 'undici';

// The parts of undici Wharf uses, required one by one. undici's index loads all of it (fetch, WebSocket,
// EventSource, caches, mocks, proxies): 28.5 MiB of resident memory in a bare Node 24 against 16 MiB for
// these (measured with `node -e "require(...)"`, compile cache warm). undici has no `exports` map, so
// these paths are its published files; router/http-client.test.ts checks they still resolve to the
// classes the index exports, so a dependency update that moves them fails the suite, not production.

const require = createRequire(import.meta.url);

export const Agent = require('undici/lib/dispatcher/agent.js') as typeof undici.Agent;
export type Agent = undici.Agent;
export const Pool = require('undici/lib/dispatcher/pool.js') as typeof undici.Pool;
export type Pool = undici.Pool;
export type PoolOptions = undici.Pool.Options;
export type Dispatcher = undici.Dispatcher;
/**
 * Two undici internals for pools that drop clients whose connection closed: a client's count of queued
 * requests, and the pool method that takes a client out and closes it. `core/http-client.test.ts` checks
 * they still exist, so an undici update that renames them fails the suite.
 */
export const undiciInternals = {
  kSize: (require('undici/lib/core/symbols.js') as { kSize: symbol }).kSize,
  kRemoveClient: (require('undici/lib/dispatcher/pool-base.js') as { kRemoveClient: symbol }).kRemoveClient,
  /** Whether a client has a connection, and the pool's list of clients (the maxIdleConnsPerHost sweep). */
  kConnected: (require('undici/lib/core/symbols.js') as { kConnected: symbol }).kConnected,
  kClients: (require('undici/lib/dispatcher/pool-base.js') as { kClients: symbol }).kClients,
};
/** undici's socket connector (TCP, TLS, connect timeout), for pools that wrap the sockets they use. */
export const buildConnector = require('undici/lib/core/connect.js') as typeof undici.buildConnector;
/** Follows redirections on a composed dispatcher (undici's `interceptors.redirect`). */
export const redirectInterceptor =
  require('undici/lib/interceptor/redirect.js') as typeof undici.interceptors.redirect;

// dispatcher.request(), .stream(), ... as undici's index installs them.
const DispatcherClass = require('undici/lib/dispatcher/dispatcher.js') as typeof undici.Dispatcher;
Object.assign(DispatcherClass.prototype, require('undici/lib/api/index.js'));

/** Options of {@link request}: undici's request options with the URL's parts left out. */
export type RequestOptions = Omit<undici.Dispatcher.RequestOptions, 'origin' | 'path' | 'method'> & {
  readonly method?: undici.Dispatcher.HttpMethod;
  readonly dispatcher: Dispatcher;
};

/**
 * undici's top-level `request(url, options)`, with the dispatcher always named; as there, an empty or absent
 * method is GET (PUT with a body).
 */
export function request(url: string | URL, opts: RequestOptions): Promise<undici.Dispatcher.ResponseData> {
  const { dispatcher, ...rest } = opts;
  const u = typeof url === 'string' ? new URL(url) : url;
  return dispatcher.request({
    ...rest,
    origin: u.origin,
    path: `${u.pathname}${u.search}`,
    method: opts.method || (opts.body ? 'PUT' : 'GET'),
  });
}
