import { buildConnector, Pool, type PoolOptions, undiciInternals } from '../../core/http-client.ts';
import { filterInterimResponses } from './interim-filter.ts';

/** The connection settings of a servers transport (`forwardingTimeouts`), in ms; 0 means none. */
export interface PoolSettings {
  /** TCP/TLS connect timeout (Traefik `dialTimeout`, default 30s); expiry answers 504. */
  readonly connectTimeoutMs: number;
  /** How long an idle keep-alive connection stays open (Traefik `idleConnTimeout`, default 90s). */
  readonly idleTimeoutMs: number;
}

/** Traefik's defaults: dialTimeout 30s, idleConnTimeout 90s. */
export const DEFAULT_POOL_SETTINGS: PoolSettings = { connectTimeoutMs: 30_000, idleTimeoutMs: 90_000 };

/** Options of the pools, applied to every origin. */
export interface UpstreamPoolsOptions {
  /**
   * Connections per origin; absent: no limit, as Go's transport (which Traefik uses) has none. A limit
   * makes requests past it wait for a free connection, without a deadline: for tests only.
   */
  connections?: number;
}

interface Entry {
  readonly pool: Pool;
  refs: number;
}

// Longest timer Node keeps (a longer one fires at once); "no idle timeout" is this long.
const MAX_TIMER_MS = 2_147_483_647;

/**
 * An undici pool keeps every client it ever created, connected or not: without a connection cap, a burst
 * of N concurrent requests would leave N clients (about 2.5 KiB each) for the pool's lifetime. This takes
 * a client out when its connection closes (idle timeout, server close) with nothing queued on it, so a
 * pool holds about as many clients as it has connections, as Go's transport drops closed connections.
 */
function dropClosedClients(pool: Pool): void {
  const { kSize, kRemoveClient } = undiciInternals;
  pool.on('disconnect', (_origin, targets) => {
    const client = targets[targets.length - 1] as unknown as Record<symbol, unknown>;
    if ((client as unknown) === pool || client[kSize] !== 0 || pool.closed || pool.destroyed) return;
    (pool as unknown as Record<symbol, (c: unknown) => void>)[kRemoveClient]?.(client);
  });
}

/** The normalized origin key (`scheme://host[:port]`, default port dropped) of a server URL or origin. */
export function originOf(url: string): string {
  return new URL(url).origin;
}

/**
 * Keep-alive connection pools, one per upstream origin and transport settings, shared across routing-table
 * generations so a reload keeps the warm connections of unchanged servers. Forwarders take a reference on
 * creation and drop it on close; the pool closes gracefully when its last reference goes.
 *
 * A pool opens as many connections as there are requests in flight (no per-origin cap, as in Go), so
 * requests that hang on a server never make others to the same server wait for a connection: a request
 * waits only for its own connection to open, bounded by the connect timeout.
 */
export class UpstreamPools {
  readonly #pools = new Map<string, Entry>();
  readonly #connections: number | null;

  constructor(options: UpstreamPoolsOptions = {}) {
    this.#connections = options.connections ?? null;
  }

  #options(settings: PoolSettings): PoolOptions {
    const idle = settings.idleTimeoutMs > 0 ? Math.min(settings.idleTimeoutMs, MAX_TIMER_MS) : MAX_TIMER_MS;
    // undici's own connector (TCP, TLS, connect timeout; HTTP/1.1 only: undici cannot carry Upgrade over
    // h2, and Traefik's default for plain-http servers is HTTP/1.1 too), with 100 Continue filtered out.
    const connector = buildConnector({
      allowH2: false,
      timeout: settings.connectTimeoutMs > 0 ? settings.connectTimeoutMs : 0,
    });
    return {
      connections: this.#connections,
      pipelining: 1,
      allowH2: false,
      connect: (opts, callback) =>
        connector(opts, (err, socket) => {
          if (socket) filterInterimResponses(socket);
          (callback as (e: Error | null, s: unknown) => void)(err, socket);
        }),
      // Timeouts are per request (forward.ts); 0 here means "none unless the transport asks".
      headersTimeout: 0,
      bodyTimeout: 0,
      // A server's Keep-Alive hint can shorten the idle time, never lengthen it past idleConnTimeout.
      keepAliveTimeout: idle,
      keepAliveMaxTimeout: idle,
    };
  }

  #key(origin: string, settings: PoolSettings): string {
    return `${originOf(origin)} ${settings.connectTimeoutMs} ${settings.idleTimeoutMs}`;
  }

  /** Takes a reference on the pool of `origin` (scheme://host:port) with `settings`, creating it on first use. */
  acquire(origin: string, settings: PoolSettings = DEFAULT_POOL_SETTINGS): Pool {
    const key = this.#key(origin, settings);
    let entry = this.#pools.get(key);
    if (!entry) {
      const pool = new Pool(originOf(origin), this.#options(settings));
      dropClosedClients(pool);
      entry = { pool, refs: 0 };
      this.#pools.set(key, entry);
    }
    entry.refs++;
    return entry.pool;
  }

  /** Drops a reference; a pool whose last reference is released closes gracefully (after in-flight requests). */
  release(origin: string, settings: PoolSettings = DEFAULT_POOL_SETTINGS): void {
    const key = this.#key(origin, settings);
    const entry = this.#pools.get(key);
    if (!entry) return;
    if (--entry.refs > 0) return;
    this.#pools.delete(key);
    // close() waits for queued and running requests. Its callback gets an error only if the pool was already
    // closed or destroyed (undici's types omit the argument); then destroying makes sure it is gone.
    entry.pool.close((...args: unknown[]) => {
      if (args[0]) entry.pool.destroy(() => undefined);
    });
  }

  /** Number of open pools (for tests and the API). */
  get size(): number {
    return this.#pools.size;
  }

  /** Closes every pool gracefully, waiting for in-flight requests (shutdown). */
  async close(): Promise<void> {
    const entries = [...this.#pools.values()];
    this.#pools.clear();
    await Promise.all(entries.map((e) => e.pool.close()));
  }
}
