import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WharfError } from '../config/errors.ts';
import { redirectLocation, sendRedirect } from '../middleware/redirect-scheme.ts';
import type { AccessLog } from './access-log.ts';
import { normalizeIp, toMatchRequest } from './compile/match-request.ts';
import type { Logger } from './log.ts';
import { applyForwardedHeaders, type ForwardedHeadersPolicy } from './proxy/forwarded-headers.ts';
import { renderError } from './proxy/render-error.ts';
import { attachUpgradeHandling } from './proxy/upgrade.ts';
import { type RequestState, setRequestState } from './request-state.ts';
import type { Generation, TableRef } from './table-ref.ts';

/** Answers internal requests (API, ping) on this entryPoint; returns false to let routers handle it. */
export type InternalHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

/** Everything an entryPoint listener needs, resolved from static configuration. */
export interface EntryPointOptions {
  readonly name: string;
  readonly host: string | undefined;
  readonly port: number;
  readonly tableRef: TableRef;
  readonly logger: Logger;
  readonly forwarded: ForwardedHeadersPolicy;
  readonly readTimeoutMs: number;
  readonly idleTimeoutMs: number;
  /** respondingTimeouts.writeTimeout: longest time from reading the request to the end of the response (0: none). */
  readonly writeTimeoutMs?: number;
  readonly accessLog?: AccessLog;
  readonly internal?: InternalHandler;
  /** entryPoints.<name>.http.redirections.entryPoint, resolved to a scheme and port. */
  readonly redirect?: { scheme: string; port: string | undefined; permanent: boolean };
}

/** Parses `:80`, `127.0.0.1:8000`, `[::1]:8080` (Traefik's address syntax) into host and port. */
export function parseAddress(address: string): { host: string | undefined; port: number } | undefined {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)(?:\/tcp)?$/.exec(address.trim());
  if (!m) return undefined;
  const port = Number(m[3]);
  if (port > 65535) return undefined;
  const host = m[1] ?? m[2];
  return { host: host === '' ? undefined : host, port };
}

/**
 * One HTTP listener. Each request reads the current generation once, is counted on it until its
 * response closes, and is matched against that generation's route index for this entryPoint.
 */
export class EntryPoint {
  readonly name: string;
  private readonly server: Server;
  private readonly o: EntryPointOptions;
  private localPort = 0;
  /** Client sockets of WebSocket (Upgrade) tunnels: the HTTP server no longer tracks them. */
  private readonly tunnels = new Set<Duplex>();
  private stopping = false;

  constructor(options: EntryPointOptions) {
    this.o = options;
    this.name = options.name;
    this.server = createServer(
      {
        requestTimeout: options.readTimeoutMs,
        headersTimeout: options.readTimeoutMs > 0 ? Math.min(60_000, options.readTimeoutMs) : 60_000,
        keepAliveTimeout: options.idleTimeoutMs,
      },
      (req, res) => this.handle(req, res, undefined),
    );
    attachUpgradeHandling(this.server, (req, res, upgrade) => this.handle(req, res, upgrade));
  }

  /** Starts listening; resolves with the bound port (useful with port 0). */
  async listen(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ host: this.o.host, port: this.o.port }, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.localPort = (this.server.address() as AddressInfo).port;
    return this.localPort;
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
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    // Connections turn idle as their last response ends: close them as they do, not after graceMs.
    const sweep = setInterval(() => this.server.closeIdleConnections(), 50);
    const timer = setTimeout(() => {
      this.server.closeAllConnections();
      for (const socket of this.tunnels) socket.destroy();
    }, graceMs);
    try {
      await closed;
    } finally {
      clearInterval(sweep);
      clearTimeout(timer);
    }
  }

  private handle(req: IncomingMessage, res: ServerResponse, upgrade: RequestState['upgrade']): void {
    const o = this.o;
    const clientIp = normalizeIp(req.socket.remoteAddress ?? '');
    const state = setRequestState(req, {
      entryPoint: o.name,
      scheme: 'http',
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
    const writeTimer = o.writeTimeoutMs ? setTimeout(() => res.destroy(), o.writeTimeoutMs) : undefined;
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(writeTimer);
      gen?.leave();
      o.accessLog?.log(req, res, state);
    };
    res.once('close', finish);
    if (!normalizeTarget(req)) {
      res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' });
      res.end('400 Bad Request\n');
      return;
    }
    applyForwardedHeaders(req, clientIp, 'http', this.localPort, o.forwarded);
    if (this.stopping) res.shouldKeepAlive = false;
    if (o.redirect) {
      sendRedirect(req, res, redirectLocation(req, o.redirect.scheme, o.redirect.port), o.redirect.permanent);
      return;
    }
    try {
      if (o.internal?.(req, res)) {
        state.internal = true;
        return;
      }
    } catch (err) {
      o.logger.error({ err, entryPoint: o.name, url: req.url }, 'internal handler failed');
      renderError(res, err);
      return;
    }

    gen = o.tableRef.current();
    gen.enter();
    const route = gen.table.entryPoints.get(o.name)?.match(toMatchRequest(req, clientIp));
    if (!route) {
      renderError(res, new WharfError('NO_ROUTE', { host: req.headers.host ?? '', path: req.url ?? '' }));
      return;
    }
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
      renderError(res, err);
    });
  }
}

/**
 * Rewrites an absolute-form target (`GET http://host/p`, sent to proxies) to origin form, taking its
 * host as the Host header as RFC 9112 §3.2.2 requires; false for targets no router can serve (`*`).
 */
export function normalizeTarget(req: IncomingMessage): boolean {
  const url = req.url ?? '';
  if (url.startsWith('/')) return true;
  if (!/^https?:\/\//i.test(url)) return false;
  try {
    const u = new URL(url);
    req.headers.host = u.host;
    req.url = `${u.pathname}${u.search}`;
    return true;
  } catch {
    return false;
  }
}
