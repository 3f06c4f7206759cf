import { type ClientHttp2Session, connect as h2connect } from 'node:http2';
import { connect as netConnect, type Socket } from 'node:net';
import { type ConnectionOptions, type TLSSocket, connect as tlsConnect } from 'node:tls';
import type { ClientCert } from './client-cert-choice.ts';
import { withClientCert } from './transport-tls.ts';

/** How an {@link H2Sessions} reaches its server. */
export interface H2SessionOptions {
  /** `https` (HTTP/2 chosen by ALPN, else HTTP/1.1) or `h2c` (HTTP/2 with prior knowledge, cleartext). */
  readonly scheme: 'https' | 'h2c';
  readonly hostname: string;
  readonly port: number;
  /** TLS options of the servers transport (CAs, client certificate, checks, servername); https only. */
  readonly tls?: ConnectionOptions;
  /** With several client certificates: the one for this server (null: none fits), asked before each connection. */
  readonly chooseCert?: (() => Promise<ClientCert | null>) | undefined;
  /** TCP (and TLS) connect timeout, ms; 0: none. */
  readonly connectTimeoutMs: number;
  /** A session without streams for this long closes (Traefik `idleConnTimeout`); 0: never. */
  readonly idleTimeoutMs: number;
  /** PING the server after this long without a byte from it (readIdleTimeout); 0: never. */
  readonly readIdleTimeoutMs: number;
  /** How long a PING may stay unanswered (pingTimeout). */
  readonly pingTimeoutMs: number;
}

/** What a connection attempt gave: an HTTP/2 session, or a server that chose HTTP/1.1 by ALPN. */
export type H2Connection = ClientHttp2Session | 'http/1.1';

/** An error with a Node-style code, so upstreamError (forward.ts) maps it (timeouts answer 504). */
function codedError(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

/**
 * One HTTP/2 session to one server, opened on first use and reopened after it closes (server GOAWAY,
 * idle timeout, unanswered PING, error): requests multiplex over it. For https the first connection's ALPN
 * answer decides: a server that picks HTTP/1.1 is remembered as such and `get()` answers 'http/1.1' from
 * then on, so the caller sends it through its HTTP/1.1 pool.
 */
export class H2Sessions {
  readonly #options: H2SessionOptions;
  #session: ClientHttp2Session | undefined;
  #pending: Promise<H2Connection> | undefined;
  #http1 = false;
  #closed = false;

  constructor(options: H2SessionOptions) {
    this.#options = options;
  }

  /** Whether the server answered ALPN with HTTP/1.1 (then every request goes over HTTP/1.1). */
  get http1(): boolean {
    return this.#http1;
  }

  /** A usable session (opening one if needed), or 'http/1.1' when the server does not speak HTTP/2. */
  get(): Promise<H2Connection> | H2Connection {
    if (this.#http1) return 'http/1.1';
    const s = this.#session;
    if (s && !s.closed && !s.destroyed) return s;
    this.#pending ??= this.#open().finally(() => {
      this.#pending = undefined;
    });
    return this.#pending;
  }

  /** Closes the session gracefully (streams in flight finish) and refuses new ones. */
  close(): void {
    this.#closed = true;
    this.#session?.close();
    this.#session = undefined;
  }

  async #socket(): Promise<Socket | TLSSocket> {
    const o = this.#options;
    const tls = o.chooseCert && o.tls ? withClientCert(o.tls, await o.chooseCert()) : o.tls;
    return new Promise((resolve, reject) => {
      const socket =
        o.scheme === 'https'
          ? tlsConnect({ ...tls, host: o.hostname, port: o.port, ALPNProtocols: ['h2', 'http/1.1'] })
          : netConnect({ host: o.hostname, port: o.port });
      const ready = o.scheme === 'https' ? 'secureConnect' : 'connect';
      const timer =
        o.connectTimeoutMs > 0
          ? setTimeout(() => {
              socket.destroy();
              reject(codedError(`connect timeout after ${o.connectTimeoutMs}ms`, 'UND_ERR_CONNECT_TIMEOUT'));
            }, o.connectTimeoutMs)
          : undefined;
      socket.once(ready, () => {
        clearTimeout(timer);
        socket.off('error', onError);
        resolve(socket);
      });
      const onError = (err: Error) => {
        clearTimeout(timer);
        reject(err);
      };
      socket.once('error', onError);
    });
  }

  async #open(): Promise<H2Connection> {
    if (this.#closed) throw codedError('the service was reloaded', 'UND_ERR_DESTROYED');
    const o = this.#options;
    const socket = await this.#socket();
    if (o.scheme === 'https' && (socket as TLSSocket).alpnProtocol !== 'h2') {
      this.#http1 = true;
      socket.destroy();
      return 'http/1.1';
    }
    const authority = `${o.scheme === 'https' ? 'https' : 'http'}://${o.hostname.includes(':') ? `[${o.hostname}]` : o.hostname}:${o.port}`;
    const session = h2connect(authority, { createConnection: () => socket });
    // Errors reach the streams in flight; the session itself only has to be forgotten.
    session.on('error', () => undefined);
    let stopWatch = () => {};
    const forget = () => {
      if (this.#session === session) this.#session = undefined;
      stopWatch();
    };
    session.once('close', forget);
    session.once('goaway', forget);
    if (o.idleTimeoutMs > 0) session.setTimeout(o.idleTimeoutMs, () => session.close());
    if (o.readIdleTimeoutMs > 0) stopWatch = this.#watch(session, socket);
    if (this.#closed) {
      session.close();
      throw codedError('the service was reloaded', 'UND_ERR_DESTROYED');
    }
    this.#session = session;
    return session;
  }

  /**
   * Go's HTTP/2 health check (Traefik `readIdleTimeout`): once nothing has been read from the server for
   * readIdleTimeout, PING it; a PING not answered within pingTimeout closes the connection. Node hides
   * the frames, so silence is the socket's byte count not moving, sampled every quarter of
   * readIdleTimeout (a PING goes out between 1 and 1.25 times readIdleTimeout after the last frame).
   * Returns the function that stops the watch.
   */
  #watch(session: ClientHttp2Session, socket: Socket | TLSSocket): () => void {
    const idle = this.#options.readIdleTimeoutMs;
    const step = Math.max(1, Math.floor(idle / 4));
    let seen = socket.bytesRead;
    let quietSince = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      timer = setTimeout(check, step).unref();
    };
    const check = () => {
      if (session.closed || session.destroyed) return;
      const now = socket.bytesRead;
      if (now !== seen) {
        seen = now;
        quietSince = performance.now();
      }
      if (performance.now() - quietSince < idle) return arm();
      this.#ping(session, () => {
        seen = socket.bytesRead;
        quietSince = performance.now();
        arm();
      });
    };
    arm();
    return () => clearTimeout(timer);
  }

  /** One health-check PING: `answered` runs when it is answered; unanswered within pingTimeout, the session is destroyed. */
  #ping(session: ClientHttp2Session, answered: () => void): void {
    const timer = setTimeout(
      () => session.destroy(codedError('PING not answered', 'ETIMEDOUT')),
      this.#options.pingTimeoutMs > 0 ? this.#options.pingTimeoutMs : 15_000,
    ).unref();
    session.ping((err) => {
      clearTimeout(timer);
      if (err) {
        if (!session.destroyed) session.destroy(err);
      } else answered();
    });
  }
}
