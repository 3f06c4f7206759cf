import { buildConnector, Pool, type PoolOptions, undiciInternals } from '../../core/http-client.ts';
import { stableStringify } from '../../core/stable-stringify.ts';
import type { ClientCert } from './client-cert-choice.ts';
import { filterInterimResponses } from './interim-filter.ts';
import {
  clientCertChoice,
  type TransportTls,
  tlsConnectOptions,
  tlsServerName,
  withClientCert,
} from './transport-tls.ts';

type Connector = ReturnType<typeof buildConnector>;
type ConnectOptions = Parameters<Connector>[0];

/** The connection settings of a servers transport (`forwardingTimeouts`), in ms; 0 means none. */
export interface PoolSettings {
  /** TCP/TLS connect timeout (Traefik `dialTimeout`, default 30s); expiry answers 504. */
  readonly connectTimeoutMs: number;
  /** How long an idle keep-alive connection stays open (Traefik `idleConnTimeout`, default 90s). */
  readonly idleTimeoutMs: number;
  /** TLS to https servers (serversTransport: serverName, CAs, client certificate, checks); absent: defaults. */
  readonly tls?: TransportTls | undefined;
  /**
   * Idle keep-alive connections kept per server (Traefik `maxIdleConnsPerHost`, default 200); negative: none,
   * each request closes its connection.
   */
  readonly maxIdleConnsPerHost?: number | undefined;
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

/** Traefik's DefaultMaxIdleConnsPerHost. */
const DEFAULT_MAX_IDLE = 200;

/** The idle-connection cap of `maxIdleConnsPerHost`: 0 or absent is Traefik's 200; negative is handled per request. */
export function idleCap(maxIdleConnsPerHost: number | undefined): number {
  return maxIdleConnsPerHost === undefined || maxIdleConnsPerHost <= 0
    ? DEFAULT_MAX_IDLE
    : maxIdleConnsPerHost;
}

/**
 * Keeps at most `cap` idle keep-alive connections in a pool, as Go's MaxIdleConnsPerHost does: once the
 * pool has more clients than that (checked when a connection opens, so the request path pays nothing
 * below the cap), a sweep closes idle clients beyond the cap, and runs again while the pool stays above it.
 */
function capIdleClients(pool: Pool, cap: number): void {
  const { kClients, kConnected, kSize, kRemoveClient } = undiciInternals;
  let timer: NodeJS.Timeout | undefined;
  const clients = () => (pool as unknown as Record<symbol, Array<Record<symbol, unknown>>>)[kClients] ?? [];
  const sweep = (): void => {
    timer = undefined;
    if (pool.closed || pool.destroyed) return;
    const list = clients();
    // Idle means connected with nothing to do (undici keeps a spare client without a connection).
    const isIdle = (c: Record<symbol, unknown>) => c[kSize] === 0 && c[kConnected] === true;
    let idle = list.filter(isIdle).length;
    for (const c of [...list]) {
      if (idle <= cap) break;
      if (!isIdle(c)) continue;
      idle--;
      (pool as unknown as Record<symbol, (c: unknown) => void>)[kRemoveClient]?.(c);
    }
    // Busy connections past the cap become idle later: look again while there are more than the cap.
    if (clients().filter((c) => c[kConnected] === true).length > cap) schedule();
  };
  const schedule = (): void => {
    if (timer) return;
    timer = setTimeout(sweep, 1000);
    timer.unref();
  };
  pool.on('connect', () => {
    if (clients().length > cap) schedule();
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

  #options(origin: string, settings: PoolSettings): PoolOptions {
    const idle = settings.idleTimeoutMs > 0 ? Math.min(settings.idleTimeoutMs, MAX_TIMER_MS) : MAX_TIMER_MS;
    // undici's own connector (TCP, TLS, connect timeout; HTTP/1.1 only: undici cannot carry Upgrade over
    // h2, and Traefik's default for plain-http servers is HTTP/1.1 too), with 100 Continue filtered out.
    // Reads the transport's CA and certificate files once per pool; a file that cannot be read throws here,
    // which disables the services using the transport (build-services.ts) with the reason.
    const tls = tlsConnectOptions(settings.tls);
    const timeout = settings.connectTimeoutMs > 0 ? settings.connectTimeoutMs : 0;
    const connector = buildConnector({ ...tls, allowH2: false, timeout });
    // undici takes the TLS server name from the request's Host header; Traefik (Go) uses the server URL's
    // host or serverName, so a client's Host never decides which certificate is accepted.
    const url = new URL(origin);
    const servername = url.protocol === 'https:' ? tlsServerName(url.hostname, settings.tls) : undefined;
    // Several client certificates: the one this server accepts, chosen before connecting (issue 18).
    const choice = url.protocol === 'https:' ? clientCertChoice(settings.tls) : undefined;
    const byCert = new Map<ClientCert | null, Connector>();
    const connectorFor = (chosen: ClientCert | null) => {
      let c = byCert.get(chosen);
      if (!c) {
        c = buildConnector({ ...withClientCert(tls, chosen), allowH2: false, timeout });
        byCert.set(chosen, c);
      }
      return c;
    };
    const connect = (conn: Connector, opts: ConnectOptions, callback: unknown) =>
      conn(
        servername === undefined ? opts : { ...opts, servername: servername ?? undefined },
        (err, socket) => {
          if (socket) filterInterimResponses(socket);
          (callback as (e: Error | null, s: unknown) => void)(err, socket);
        },
      );
    const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    const probe = {
      host: hostname,
      port: Number(url.port) || 443,
      servername: servername ?? undefined,
      timeoutMs: timeout,
    };
    return {
      connections: this.#connections,
      pipelining: 1,
      allowH2: false,
      connect: (opts, callback) => {
        if (!choice) return connect(connector, opts, callback);
        choice.choose(probe).then(
          (chosen) => connect(connectorFor(chosen), opts, callback),
          (err: Error) => (callback as (e: Error | null, s: null) => void)(err, null),
        );
      },
      // Timeouts are per request (forward.ts); 0 here means "none unless the transport asks".
      headersTimeout: 0,
      bodyTimeout: 0,
      // A server's Keep-Alive hint can shorten the idle time, never lengthen it past idleConnTimeout.
      keepAliveTimeout: idle,
      keepAliveMaxTimeout: idle,
    };
  }

  #key(origin: string, settings: PoolSettings): string {
    const base = `${originOf(origin)} ${settings.connectTimeoutMs} ${settings.idleTimeoutMs}`;
    if (settings.tls === undefined && settings.maxIdleConnsPerHost === undefined) return base;
    return `${base} ${settings.maxIdleConnsPerHost ?? ''} ${stableStringify(settings.tls ?? {})}`;
  }

  /** Takes a reference on the pool of `origin` (scheme://host:port) with `settings`, creating it on first use. */
  acquire(origin: string, settings: PoolSettings = DEFAULT_POOL_SETTINGS): Pool {
    const key = this.#key(origin, settings);
    let entry = this.#pools.get(key);
    if (!entry) {
      const pool = new Pool(originOf(origin), this.#options(origin, settings));
      dropClosedClients(pool);
      capIdleClients(pool, idleCap(settings.maxIdleConnsPerHost));
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
