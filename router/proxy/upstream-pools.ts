import { Pool, type PoolOptions } from '../../core/http-client.ts';

/** Options for the keep-alive pools, applied to every origin. */
export interface UpstreamPoolsOptions {
  /** Connections per origin (default 256). */
  connections?: number;
  /** Idle keep-alive timeout in ms (undici default 4000; server Keep-Alive hints may override it). */
  keepAliveTimeout?: number;
  /** TCP/TLS connect timeout in ms (default 30000, Traefik's dialTimeout); expiry answers 504. */
  connectTimeout?: number;
}

interface Entry {
  readonly pool: Pool;
  refs: number;
}

/** The normalized origin key (`scheme://host[:port]`, default port dropped) of a server URL or origin. */
export function originOf(url: string): string {
  return new URL(url).origin;
}

/**
 * Keep-alive connection pools, one per upstream origin, shared across routing-table generations so a
 * reload keeps the warm connections of unchanged servers. Forwarders take a reference on creation and
 * drop it on close; the pool closes gracefully when its last reference goes.
 */
export class UpstreamPools {
  readonly #pools = new Map<string, Entry>();
  readonly #options: PoolOptions;

  constructor(options: UpstreamPoolsOptions = {}) {
    this.#options = {
      connections: options.connections ?? 256,
      pipelining: 1,
      // HTTP/1.1 only: undici cannot carry Upgrade (WebSocket) over h2, and Traefik's default for
      // plain-http servers is HTTP/1.1 too.
      allowH2: false,
      connectTimeout: options.connectTimeout ?? 30_000,
      // Timeouts are per request (forward.ts); 0 here means "none unless the route asks".
      headersTimeout: 0,
      bodyTimeout: 0,
      ...(options.keepAliveTimeout === undefined ? {} : { keepAliveTimeout: options.keepAliveTimeout }),
    };
  }

  /** Takes a reference on the pool of `origin` (scheme://host:port), creating it on first use. */
  acquire(origin: string): Pool {
    const key = originOf(origin);
    let entry = this.#pools.get(key);
    if (!entry) {
      entry = { pool: new Pool(key, this.#options), refs: 0 };
      this.#pools.set(key, entry);
    }
    entry.refs++;
    return entry.pool;
  }

  /** Drops a reference; a pool whose last reference is released closes gracefully (after in-flight requests). */
  release(origin: string): void {
    const key = originOf(origin);
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
