import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

// `transport.keepAliveMaxRequests` and `transport.keepAliveMaxTime` (Traefik v3.7 keep_alive_middleware.go):
// the response to the Nth request of a connection, or to the first request once the connection is older
// than the limit, carries `Connection: close`, and the connection ends after it. This spreads clients
// over replicas behind a TCP load balancer instead of pinning them for hours. HTTP/1.x only: an HTTP/2
// connection multiplexes and is left alone.

/** The limits of an entryPoint; 0 is no limit. */
export interface KeepAliveLimits {
  readonly maxRequests: number;
  readonly maxTimeMs: number;
}

/** Counts the requests of each connection and closes it when a limit is reached. */
export class KeepAlive {
  readonly #limits: KeepAliveLimits;
  readonly #conns = new WeakMap<Socket, { count: number; start: number }>();
  /** When each raw connection was accepted (Traefik counts keepAliveMaxTime from there). */
  readonly #accepted = new WeakMap<Socket, number>();

  constructor(limits: KeepAliveLimits) {
    this.#limits = limits;
  }

  /** Called when the entryPoint accepts a connection. */
  accepted(raw: Socket): void {
    this.#accepted.set(raw, Date.now());
  }

  /** Called for each HTTP/1.x request before it is handled. */
  onRequest(req: IncomingMessage, res: ServerResponse): void {
    if (req.httpVersionMajor !== 1) return;
    const socket = req.socket;
    let conn = this.#conns.get(socket);
    if (!conn) {
      // A TLS socket's `_parent` is the raw connection that was accepted.
      const raw = (socket as unknown as { _parent?: Socket })._parent ?? socket;
      conn = { count: 0, start: this.#accepted.get(raw) ?? Date.now() };
      this.#conns.set(socket, conn);
    }
    conn.count++;
    const { maxRequests, maxTimeMs } = this.#limits;
    const tooMany = maxRequests > 0 && conn.count >= maxRequests;
    const tooOld = maxTimeMs > 0 && Date.now() - conn.start >= maxTimeMs;
    if (tooMany || tooOld) {
      res.setHeader('connection', 'close');
      res.shouldKeepAlive = false;
    }
  }
}
