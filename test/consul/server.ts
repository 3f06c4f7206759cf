// A single-node, in-memory Consul HTTP API (KV, blocking queries, transactions, sessions, a token ACL) for
// tests. README.md in this folder lists what it implements and every known difference from Consul.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { type BlockingEnv, realWaitTimers, type WaitTimers } from './blocking.ts';
import { type Authz, HttpError, type Reply, type RequestContext, requestToken } from './http-util.ts';
import { handleKv, type KvEnv } from './kv-endpoint.ts';
import { handleSession, type SessionEnv, SessionTimers } from './sessions.ts';
import { type StateSnapshot, Store } from './store.ts';
import { handleTxn } from './txn-endpoint.ts';

export type { WaitTimers } from './blocking.ts';
export type { StateSnapshot } from './store.ts';

/** Options for startConsulTestServer; everything is optional. */
export interface ConsulTestServerOptions {
  /** TCP port; 0 (default) picks a free one. */
  port?: number;
  /** Listen address, default 127.0.0.1. */
  host?: string;
  /** Enables ACLs with default-deny: this token is a management token, other tokens are "ACL not found". */
  token?: string;
  /** Wait used by blocking queries without (or with a non-positive) `wait`; Consul's default_query_time, 5m. */
  defaultWaitMs?: number;
  /** Upper bound for `wait`; Consul's max_query_time, 10m. */
  maxWaitMs?: number;
  /** Clock (ms) for session TTLs and lock-delays; blocking-query timeouts use `waitTimers`. */
  now?: () => number;
  /** Schedules blocking-query timeouts (default real timers): a test's own clock lets them fire on demand. */
  waitTimers?: WaitTimers;
  /** Consul's session_ttl_min, default 10 000 ms; lower it to test expiry quickly with a real clock. */
  sessionTtlMinMs?: number;
  /** Datacenter name, default "dc1". */
  datacenter?: string;
  /** The agent's node name (sessions belong to it), default "consul-test". */
  nodeName?: string;
}

/** A running test server, with hooks that simulate what a real cluster can do to a client. */
export interface ConsulTestServer {
  /** Base URL, e.g. http://127.0.0.1:8500. */
  readonly url: string;
  readonly port: number;
  /** Live counters: requests received, requests that went down the blocking-query path, and those parked now. */
  readonly stats: { requests: number; blockingRequests: number; waiting: number };
  /** Stops listening and destroys every open connection (blocked queries included), as an outage. */
  pause(): void;
  /** Listens again on the same host and port; the data survived the outage. */
  resume(): Promise<void>;
  /** Copies the replicated state (KV entries, tombstones, sessions, table indexes). */
  snapshot(): StateSnapshot;
  /** Restores a snapshot: indexes go back to the snapshot's, and blocked queries return at once. */
  restoreSnapshot(snapshot: StateSnapshot): void;
  /** Reaps every tombstone, so a prefix whose newest key was deleted reports a lower index. */
  reapTombstones(): void;
  /** Invalidates sessions whose TTL has run out on the `now` clock (also done at every request). */
  expireSessions(): void;
  /** Stops the server, answers nothing more, and drops all connections. */
  close(): Promise<void>;
}

interface Route {
  readonly path: string;
  readonly prefix: boolean;
  readonly methods: readonly string[];
  readonly acl: boolean;
  readonly handle: (ctx: RequestContext) => Reply | Promise<Reply>;
}

/** path.Clean with the trailing slash kept, as Go's ServeMux cleans request paths. */
function cleanPath(p: string): string {
  const out: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') out.pop();
    else out.push(seg);
  }
  let cleaned = `/${out.join('/')}`;
  if (p.endsWith('/') && cleaned !== '/') cleaned += '/';
  return cleaned;
}

function textReply(status: number, message: string, headers: Record<string, string> = {}): Reply {
  return { status, headers: { 'content-type': 'text/plain; charset=utf-8', ...headers }, body: message };
}

/** Starts a Consul test server and resolves once it is listening. */
export async function startConsulTestServer(opts: ConsulTestServerOptions = {}): Promise<ConsulTestServer> {
  const host = opts.host ?? '127.0.0.1';
  const now = opts.now ?? Date.now;
  const store = new Store();
  const timers = new SessionTimers(store, now);
  const stats = { requests: 0, blockingRequests: 0, waiting: 0 };
  const base: BlockingEnv = {
    store,
    defaultWaitMs: opts.defaultWaitMs ?? 5 * 60_000,
    maxWaitMs: opts.maxWaitMs ?? 10 * 60_000,
    waitTimers: opts.waitTimers ?? realWaitTimers,
    stats,
    pending: new Set(),
  };
  const kvEnv: KvEnv = { ...base, now };
  const sessionEnv: SessionEnv = { ...base, now, timers, sessionTtlMinMs: opts.sessionTtlMinMs ?? 10_000 };
  const datacenter = opts.datacenter ?? 'dc1';
  const node = opts.nodeName ?? 'consul-test';
  let port = opts.port ?? 0;

  const json = (value: unknown): Reply =>
    textReply(200, JSON.stringify(value), { 'content-type': 'application/json' });
  /** A route: an exact path, or a prefix when it ends with "/". */
  const r = (path: string, methods: string[], handle: Route['handle'], acl = true): Route => ({
    path,
    prefix: path.endsWith('/'),
    methods,
    acl,
    handle,
  });
  const session: Route['handle'] = (c) => handleSession(sessionEnv, c);
  const routes: Route[] = [
    r('/v1/kv/', ['GET', 'PUT', 'DELETE'], (c) => handleKv(kvEnv, c)),
    r('/v1/txn', ['PUT'], (c) => handleTxn(kvEnv, c)),
    r('/v1/session/create', ['PUT'], session),
    r('/v1/session/destroy/', ['PUT'], session),
    r('/v1/session/renew/', ['PUT'], session),
    r('/v1/session/info/', ['GET'], session),
    r('/v1/session/node/', ['GET'], session),
    r('/v1/session/list', ['GET'], session),
    r('/v1/status/leader', ['GET'], () => json(`${host}:8300`), false),
    r('/v1/status/peers', ['GET'], () => json([`${host}:8300`]), false),
  ];

  function authorize(req: IncomingMessage, query: URLSearchParams): Authz {
    if (opts.token === undefined) return 'disabled';
    const token = requestToken(req, query);
    if (token === '') return 'anonymous';
    if (token !== opts.token) throw new HttpError(403, 'ACL not found');
    return 'management';
  }

  async function route(req: IncomingMessage, onClose: (cb: () => void) => void): Promise<Reply> {
    const raw = req.url ?? '/';
    const q = raw.indexOf('?');
    const rawQuery = q < 0 ? '' : raw.slice(q + 1);
    let path: string;
    try {
      path = decodeURIComponent(q < 0 ? raw : raw.slice(0, q));
    } catch {
      return textReply(400, '400 Bad Request');
    }
    const cleaned = cleanPath(path);
    if (cleaned !== path) {
      const location = encodeURI(cleaned) + (rawQuery ? `?${rawQuery}` : '');
      return { status: 301, headers: { location }, body: '' };
    }
    const query = new URLSearchParams(rawQuery);
    const method = req.method ?? 'GET';
    const found = routes.find((r) => (r.prefix ? path.startsWith(r.path) : path === r.path));
    if (!found) {
      const bare = routes.find((r) => r.prefix && `${path}/` === r.path);
      if (bare)
        return {
          status: 301,
          headers: { location: `${bare.path}${rawQuery ? `?${rawQuery}` : ''}` },
          body: '',
        };
      if (path === '/') return textReply(200, 'Consul Agent');
      return { status: 404, headers: {}, body: '' };
    }
    const allow = ['OPTIONS', ...found.methods].join(',');
    if (method === 'OPTIONS') return { status: 200, headers: { allow }, body: '' };
    if (!found.methods.includes(method)) return textReply(405, `method ${method} not allowed`, { allow });
    const authz = found.acl ? authorize(req, query) : 'disabled';
    return found.handle({ req, method, path, query, authz, datacenter, node, onClose });
  }

  function respond(res: ServerResponse, reply: Reply): void {
    if (res.destroyed || res.writableEnded) return;
    res.writeHead(reply.status, {
      ...reply.headers,
      'content-length': String(Buffer.byteLength(reply.body)),
    });
    res.end(reply.body);
  }

  const server: Server = createServer((req, res) => {
    stats.requests++;
    timers.sweep();
    const closers: Array<() => void> = [];
    res.on('close', () => {
      for (const cb of closers.splice(0)) cb();
    });
    route(req, (cb) => closers.push(cb))
      .catch((error: unknown) =>
        error instanceof HttpError
          ? textReply(error.status, error.message, error.headers)
          : textReply(500, error instanceof Error ? error.message : String(error)),
      )
      .then((reply) => respond(res, reply));
  });
  server.keepAliveTimeout = 30_000;
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  const listen = (): Promise<void> =>
    new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        port = (server.address() as AddressInfo).port;
        resolve();
      });
    });
  const dropConnections = (): void => {
    for (const socket of sockets) socket.destroy();
    sockets.clear();
  };
  await listen();

  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    stats,
    pause() {
      if (server.listening) server.close();
      dropConnections();
    },
    resume: () => (server.listening ? Promise.resolve() : listen()),
    snapshot: () => store.snapshot(),
    restoreSnapshot(snapshot) {
      store.restore(snapshot);
      timers.resetAll(store.read().sessions());
    },
    reapTombstones: () => store.reapTombstones(),
    expireSessions: () => timers.sweep(),
    async close() {
      timers.stop();
      for (const release of [...base.pending]) release();
      const closed = server.listening
        ? new Promise<void>((resolve) => server.close(() => resolve()))
        : Promise.resolve();
      dropConnections();
      await closed;
    },
  };
}
