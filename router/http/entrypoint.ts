import { createServer, type IncomingMessage, type Server, ServerResponse } from 'node:http';
import {
  constants,
  createServer as createHttp2Server,
  type Http2Server,
  type Http2ServerRequest,
  type Http2Session,
} from 'node:http2';
import {
  type AddressInfo,
  createServer as createNetServer,
  type Server as NetServer,
  type Socket,
} from 'node:net';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { WharfError } from '../../config/errors.ts';
import { DEFAULT_MAX_HEADER_BYTES } from '../../config/static/entry-point-options.ts';
import { normalizeIp, toMatchRequest } from '../../core/rules/match-request.ts';
import { sendRedirect } from '../../middleware/redirect-response.ts';
import { redirectLocation } from '../../middleware/redirect-scheme/redirect-scheme.ts';
import { type RequestState, setRequestState } from '../../middleware/request-state.ts';
import { CountingResponse } from '../access-log/counting-response.ts';
import { applyForwardedHeaders } from '../proxy/forwarded-headers.ts';
import { renderError } from '../proxy/render-error.ts';
import { attachUpgradeHandling } from '../proxy/upgrade.ts';
import type { Generation } from '../reload/table-ref.ts';
import { normalizeServerName, optionsForServerName } from '../tls/host-options.ts';
import { asHttp1Request, WharfHttp2Response } from '../tls/http2-compat.ts';
import { sniffConnection } from '../tls/sniff.ts';
import { TlsTerminator } from '../tls/tls-terminator.ts';
import type { RequestTrace } from '../tracing/request-trace.ts';
import { applyRequestExtras, outranksRedirect, underscoreHeaders } from './entry-point-extras.ts';
import type { EntryPointOptions } from './entry-point-options.ts';
import { awaitRequestLine, BAD_REQUEST_RESPONSE } from './first-line.ts';
import { inheritPeer, readProxyHeader } from './proxy-protocol.ts';
import { cleanTarget, requestRefusal } from './request-checks.ts';
import type { TargetPolicy } from './sanitize-target.ts';

/** Concurrent streams per HTTP/2 connection (Go's default, so Traefik's). */
const MAX_H2_STREAMS = 250;

const DEFAULT_TARGET_POLICY: TargetPolicy = { sanitizePath: true, deniedEncodings: new Set() };

/**
 * One listener serving HTTP/1.1, HTTP/2 and TLS on one port, as a Traefik entryPoint does. Each connection's
 * first bytes decide its path (tls/sniff.ts): plain HTTP/1.x goes to the HTTP server, HTTP/2 with prior
 * knowledge (h2c) to the HTTP/2 server, and TLS to the TLS terminator, whose sockets go on to the HTTP/2
 * server when ALPN chose h2 and to the HTTP server otherwise. Plain requests are matched against the
 * routers without `tls`, TLS requests against those with it. Each request reads the current generation
 * once, is counted on it until its response closes, and is matched against that generation's route index.
 */
export class EntryPoint {
  readonly name: string;
  private readonly listener: NetServer;
  private readonly server: Server;
  private readonly h2: Http2Server<
    typeof IncomingMessage,
    typeof ServerResponse,
    typeof Http2ServerRequest,
    typeof WharfHttp2Response
  >;
  private readonly tls: TlsTerminator;
  private readonly o: EntryPointOptions;
  private readonly headersTimeoutMs: number;
  private localPort = 0;
  /** Client sockets of WebSocket (Upgrade) tunnels: the HTTP server no longer tracks them. */
  private readonly tunnels = new Set<Duplex>();
  /** Every accepted connection, so a stop can end those no server tracks (mid-handshake, HTTP/2). */
  private readonly sockets = new Set<Socket>();
  private readonly sessions = new Set<Http2Session>();
  private stopping = false;

  constructor(options: EntryPointOptions) {
    this.o = options;
    this.name = options.name;
    this.headersTimeoutMs = options.readTimeoutMs > 0 ? Math.min(60_000, options.readTimeoutMs) : 60_000;
    const maxHeaderBytes = options.extras?.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES;
    // Node's defaults for a listening http.Server: half-open sockets are HTTP's to handle, no Nagle delay.
    this.listener = createNetServer({ allowHalfOpen: true, noDelay: true }, (raw) => this.accept(raw));
    this.server = createServer(
      {
        requestTimeout: options.readTimeoutMs,
        headersTimeout: this.headersTimeoutMs,
        keepAliveTimeout: options.idleTimeoutMs,
        maxHeaderSize: maxHeaderBytes,
        // Counts the body bytes written, for the access log's DownstreamContentSize (only with one).
        ServerResponse: options.accessLog ? CountingResponse : ServerResponse,
      },
      (req, res) => this.handle(req, res, undefined),
    );
    attachUpgradeHandling(this.server, (req, res, upgrade) => this.handle(req, res, upgrade));
    // Node ends CONNECT connections without a word when nobody listens; answer them (501) like any request.
    this.server.on('connect', (req: IncomingMessage, socket: Duplex) => {
      socket.on('error', () => socket.destroy());
      const res = new CountingResponse(req);
      res.shouldKeepAlive = false;
      res.assignSocket(socket as Socket);
      res.on('finish', () => (socket as Socket).destroySoon());
      this.handle(req, res, undefined);
    });
    this.h2 = createHttp2Server(
      // Go's (and so Traefik's) default; Node's is effectively unlimited, which lets one connection hold
      // any number of upstream requests.
      {
        Http2ServerResponse: WharfHttp2Response,
        settings: { maxConcurrentStreams: MAX_H2_STREAMS, maxHeaderListSize: maxHeaderBytes },
      },
      (req, res) => {
        // readTimeout, as HTTP/1.1's requestTimeout: a request body that stalls is cancelled.
        if (options.readTimeoutMs > 0) {
          const stream = (req as Http2ServerRequest).stream;
          const timer = setTimeout(() => {
            if (!req.complete) stream.close(constants.NGHTTP2_CANCEL);
          }, options.readTimeoutMs);
          timer.unref();
          req.once('end', () => clearTimeout(timer));
          stream.once('close', () => clearTimeout(timer));
        }
        this.handle(asHttp1Request(req as Http2ServerRequest), res as unknown as ServerResponse, undefined);
      },
    );
    // Node answers an HTTP/2 CONNECT with 405 when nobody listens; Wharf answers 501 as for HTTP/1.
    this.h2.on('connect', (req: Http2ServerRequest, res: WharfHttp2Response) =>
      this.handle(asHttp1Request(req), res as unknown as ServerResponse, undefined),
    );
    this.h2.on('session', (session: Http2Session) => {
      this.sessions.add(session);
      session.once('close', () => this.sessions.delete(session));
      if (options.idleTimeoutMs > 0)
        session.setTimeout(options.idleTimeoutMs, () => {
          // A graceful close waits for open streams; one that stalls must not keep the session forever.
          session.close();
          setTimeout(() => session.destroy(), options.idleTimeoutMs).unref();
        });
      if (this.stopping) session.close();
    });
    this.tls = new TlsTerminator({
      entryPoint: options.name,
      current: () => options.tableRef.current().table.tls,
      handshakeTimeoutMs: this.headersTimeoutMs,
      logger: options.logger,
      ...(options.acmeTlsAlpn ? { acmeTlsAlpn: options.acmeTlsAlpn } : {}),
      onSecure: (socket: TLSSocket) => {
        if (options.extras?.proxyProtocol) inheritPeer(socket);
        if (socket.alpnProtocol === 'h2') this.h2.emit('connection', socket);
        else this.serveHttp1(socket);
      },
    });
  }

  /** Starts listening; resolves with the bound port (useful with port 0). */
  async listen(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.listener.once('error', reject);
      const reusePort = this.o.extras?.reusePort === true;
      this.listener.listen({ host: this.o.host, port: this.o.port, reusePort }, () => {
        this.listener.off('error', reject);
        resolve();
      });
    });
    // From now on an error is a failed accept (EMFILE, ENFILE); without a listener it would end the process.
    this.listener.on('error', (err: NodeJS.ErrnoException) => {
      if (this.o.fdExhaustion) this.o.fdExhaustion.acceptError(this.o.name, err);
      else this.o.logger.error({ entryPoint: this.o.name, err: err.message }, 'cannot accept a connection');
    });
    // The HTTP server never binds (the listener hands it sockets); 'listening' is what starts its
    // connection tracking: header and request timeouts, and closeIdleConnections().
    this.server.emit('listening');
    this.localPort = (this.listener.address() as AddressInfo).port;
    return this.localPort;
  }

  /** A new connection: sniffs TLS, h2c or HTTP/1.x and hands it to the server for it. */
  private accept(raw: Socket): void {
    this.sockets.add(raw);
    raw.once('close', () => this.sockets.delete(raw));
    if (this.stopping) {
      raw.destroy();
      return;
    }
    this.o.extras?.keepAlive?.accepted(raw);
    const policy = this.o.extras?.proxyProtocol;
    if (policy) readProxyHeader(raw, policy, this.headersTimeoutMs, () => this.sniff(raw));
    else this.sniff(raw);
  }

  /** Tells TLS, h2c and HTTP/1.x apart and hands the connection to the server for it. */
  private sniff(raw: Socket): void {
    sniffConnection(raw, this.headersTimeoutMs, (sniffed) => {
      if (sniffed.kind === 'tls') {
        // As https.Server: a TLS connection ends with its peer. Resets during the handshake end it too.
        raw.allowHalfOpen = false;
        raw.on('error', () => raw.destroy());
        this.tls.accept(raw, sniffed.serverName, sniffed.alpn);
      } else if (sniffed.kind === 'h2c') {
        // A client's FIN ends an h2c connection, as on Node's own HTTP/2 server.
        raw.allowHalfOpen = false;
        this.h2.emit('connection', raw);
      } else {
        this.serveHttp1(raw);
      }
    });
  }

  /** Hands an HTTP/1.x connection to the HTTP server once its first request line is known to be one. */
  private serveHttp1(socket: Socket): void {
    awaitRequestLine(socket, this.headersTimeoutMs, (verdict) => {
      if (verdict === 'bad') {
        socket.end(BAD_REQUEST_RESPONSE);
        return;
      }
      this.server.emit('connection', socket);
      socket.resume();
    });
  }

  /** Connections open now (every accepted one, whatever its protocol), for wharf_open_connections. */
  get openConnections(): number {
    return this.sockets.size;
  }

  /** The bound port. */
  get port(): number {
    return this.localPort;
  }

  /**
   * Stops accepting connections and lets requests in flight finish for up to `graceMs`; then closes
   * whatever is left. Resolves when the listener is closed.
   */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    const closed = new Promise<void>((resolve) => this.listener.close(() => resolve()));
    // HTTP/2 sessions finish their open streams after a GOAWAY, then close.
    for (const session of this.sessions) session.close();
    // Connections turn idle as their last response ends: close them as they do, not after graceMs.
    const sweep = setInterval(() => this.server.closeIdleConnections(), 50);
    const timer = setTimeout(() => {
      this.server.closeAllConnections();
      for (const socket of this.tunnels) socket.destroy();
      for (const session of this.sessions) session.destroy();
      for (const socket of this.sockets) socket.destroy();
    }, graceMs);
    try {
      await closed;
    } finally {
      clearInterval(sweep);
      clearTimeout(timer);
      // Stops the HTTP server's connection-checking timer; it never listened, so its callback says so.
      this.server.close(() => {});
    }
  }

  private handle(req: IncomingMessage, res: ServerResponse, upgrade: RequestState['upgrade']): void {
    const o = this.o;
    const clientIp = normalizeIp(req.socket.remoteAddress ?? '');
    const secure = (req.socket as Partial<TLSSocket>).encrypted === true;
    const state = setRequestState(req, {
      entryPoint: o.name,
      scheme: secure ? 'https' : 'http',
      clientIp,
      start: process.hrtime.bigint(),
      originalUrl: req.url ?? '/',
    });
    if (upgrade) {
      state.upgrade = upgrade;
      this.tunnels.add(upgrade.socket);
      upgrade.socket.once('close', () => this.tunnels.delete(upgrade.socket));
    }
    // A response normally ends with 'close'; a WebSocket tunnel detaches the socket and only the handler
    // settling tells it ended. Whichever comes first finishes the request's bookkeeping, once.
    let finished = false;
    let gen: Generation | undefined;
    // Tracing (router/tracing/): the server span, ended with the response.
    let trace: RequestTrace | undefined;
    const writeTimer = o.writeTimeoutMs ? setTimeout(() => res.destroy(), o.writeTimeoutMs) : undefined;
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(writeTimer);
      gen?.leave();
      trace?.end(res);
      o.accessLog?.log(req, res, state);
      o.metrics?.record(req, res, state);
    };
    res.once('close', finish);
    const refusal =
      requestRefusal(req) ??
      cleanTarget(req, o.target ?? DEFAULT_TARGET_POLICY) ??
      underscoreHeaders(req, o.extras);
    if (refusal) {
      o.logger.debug({ entryPoint: o.name, problem: refusal.problem }, 'request refused');
      const text = refusal.status === 400 ? '400 Bad Request\n' : '501 Not Implemented\n';
      res.writeHead(refusal.status, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' });
      res.end(text);
      return;
    }
    applyRequestExtras(o.extras, req, res, state);
    applyForwardedHeaders(req, clientIp, state.scheme, this.localPort, o.forwarded);
    if (this.stopping) res.shouldKeepAlive = false;
    // Traefik's ACME challenge router outranks every other router and the redirection (the CA asks over HTTP).
    if (o.acmeHttp?.(req, res)) {
      state.internal = true;
      trace = o.tracing?.beginInternal(req, res, state);
      return;
    }
    // The redirection is Traefik's router for plain HTTP on this entryPoint; TLS requests go to TLS routers.
    // A request already on the target (a trusted peer's X-Forwarded-Proto says https) goes to the routers.
    const location =
      o.redirect && !secure && !outranksRedirect(o.tableRef, o.name, req, clientIp, o.redirect.priority)
        ? redirectLocation(req, o.redirect.scheme, o.redirect.port())
        : undefined;
    if (location !== undefined) {
      // Traefik's redirection router serves noop@internal: internal, so not in the access log by default.
      state.internal = true;
      sendRedirect(req, res, location, o.redirect?.permanent === true);
      trace = o.tracing?.beginInternal(req, res, state);
      return;
    }
    try {
      if (o.internal?.(req, res)) {
        state.internal = true;
        trace = o.tracing?.beginInternal(req, res, state);
        return;
      }
    } catch (err) {
      o.logger.error({ err, entryPoint: o.name, url: req.url }, 'internal handler failed');
      renderError(res, err);
      return;
    }

    gen = o.tableRef.current();
    gen.enter();
    const table = gen.table;
    const match = toMatchRequest(req, clientIp);
    if (secure && table.tls) {
      // Traefik's domain-fronting check: a Host whose routers need other TLS options than the server name
      // the connection was opened for would bypass them.
      const sni = normalizeServerName((req.socket as TLSSocket).servername || '');
      if (normalizeServerName(match.host) !== sni) {
        const forHost = optionsForServerName(table.tls.hostOptions, o.name, match.host);
        if (forHost !== optionsForServerName(table.tls.hostOptions, o.name, sni || undefined)) {
          renderError(res, new WharfError('TLS_MISDIRECTED', { host: match.host, serverName: sni }));
          return;
        }
      }
    }
    const route = (secure ? table.secureEntryPoints : table.entryPoints)?.get(o.name)?.match(match);
    if (!route) {
      trace = o.tracing?.begin(req, res, state, undefined);
      renderError(res, new WharfError('NO_ROUTE', { host: req.headers.host ?? '', path: req.url ?? '' }));
      return;
    }
    state.router = route.value.router;
    // Wharf's own routers (api, dashboard, ping, prometheus @internal) are traced only with addInternals.
    trace = route.value.router.endsWith('@internal')
      ? o.tracing?.beginInternal(req, res, state)
      : o.tracing?.begin(req, res, state, route.value);
    route.value.handler(req, res).then(finish, (err: unknown) => {
      const code = err instanceof WharfError ? err.code : 'INTERNAL';
      const fields = {
        code,
        router: state.router,
        service: state.service,
        server: state.serverUrl,
        entryPoint: o.name,
      };
      if (code === 'CLIENT_CLOSED') o.logger.debug(fields, 'client closed the request');
      else if (err instanceof WharfError) o.logger.warn(fields, err.message);
      else o.logger.error({ ...fields, err }, 'request failed unexpectedly');
      try {
        renderError(res, err);
      } catch (renderErr) {
        // The error page could not be written either (an HTTP/2 stream refusing headers): drop the stream.
        o.logger.debug({ ...fields, err: (renderErr as Error).message }, 'cannot send the error page');
        res.destroy();
      }
    });
  }
}
