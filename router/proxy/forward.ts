import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Dispatcher, Pool } from 'undici';
import { type ErrorCode, WharfError } from '../../config/errors.ts';
import { redactUrls } from '../../core/redact.ts';
import { systemClock } from '../../middleware/clock.ts';
import type { Handler } from '../../middleware/middleware.ts';
import { hasBody } from '../../middleware/request-body.ts';
import { type RequestState, requestState } from '../../middleware/request-state.ts';
import { traceOf, type UpstreamSpans } from '../tracing/request-trace.ts';
import { FlushCoalescer, flushMode } from './flush-policy.ts';
import { downstreamResponseHeaders, upstreamRequestHeaders } from './hop-headers.ts';
import { type CopyTarget, copyOverPool, type RequestCopy } from './request-copy.ts';
import { switchingProtocolsHead, tunnel, type UpgradeSocket } from './upgrade.ts';
import { DEFAULT_POOL_SETTINGS, type PoolSettings, type UpstreamPools } from './upstream-pools.ts';

/** How a forwarder talks to its server (the load balancer's per-service options). */
export interface ForwardOptions {
  /** true: send the client's Host header; false: the server URL's host (Traefik `passHostHeader`). */
  passHostHeader: boolean;
  /**
   * Traefik `responseForwarding.flushInterval`: small writes of a response with a Content-Length are sent
   * together at most this often; negative, server-sent events and responses without Content-Length go out at
   * every write (flush-policy.ts).
   */
  flushIntervalMs: number;
  /** Time to wait for the upstream's response headers before answering 504; 0 or absent: no limit. */
  headersTimeoutMs?: number;
  /** The transport's connection settings (connect and idle timeouts); absent: Traefik's defaults. */
  pool?: PoolSettings;
  /**
   * Longest silence between upstream body chunks; 0 or absent: none. It runs once the upstream headers are
   * in, which Wharf has already relayed, so expiry cuts the client response (a 504 only if nothing went out).
   */
  bodyTimeoutMs?: number;
}

const TIMEOUT_CODES = new Set([
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'ETIMEDOUT',
]);
const INTERNAL_CODES = new Set([
  'UND_ERR_INVALID_ARG',
  'UND_ERR_NOT_SUPPORTED',
  'UND_ERR_INVALID_RETURN_VALUE',
]);

/**
 * Maps an undici or socket error to the catalog: timeouts → UPSTREAM_TIMEOUT (504), misuse of undici →
 * INTERNAL (500), everything else (refused, reset, DNS, bad response) → UPSTREAM_UNREACHABLE (502).
 */
export function upstreamError(err: unknown, server: string): WharfError {
  const e = err as { code?: unknown; message?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : undefined;
  const message = typeof e?.message === 'string' && e.message !== '' ? e.message : String(err);
  const problem = code && !message.includes(code) ? `${message} (${code})` : message;
  let catalog: ErrorCode = 'UPSTREAM_UNREACHABLE';
  if (code && TIMEOUT_CODES.has(code)) catalog = 'UPSTREAM_TIMEOUT';
  else if (code && INTERNAL_CODES.has(code)) catalog = 'INTERNAL';
  return new WharfError(catalog, { server, problem }, { cause: err });
}

/** Joins the server URL path and the request path with exactly one slash (Go's singleJoiningSlash). */
function joinPath(prefix: string, url: string): string {
  if (prefix === '') return url;
  return url.charCodeAt(0) === 47 ? prefix + url : `${prefix}/${url}`;
}

/** One proxied exchange: a v8 dispatch handler that streams the upstream response into `res`. */
class Exchange implements Dispatcher.DispatchHandler {
  readonly #req: IncomingMessage;
  readonly #res: ServerResponse;
  readonly #server: string;
  readonly #upgrade: UpgradeSocket | undefined;
  readonly #resolve: () => void;
  readonly #reject: (err: WharfError) => void;
  /** Tracing's Service and ReverseProxy spans of this call (router/tracing/), when traced and sampled. */
  readonly #spans: UpstreamSpans | undefined;
  #controller: Dispatcher.DispatchController | null = null;
  readonly #state: RequestState;
  #headersSent = false;
  #settled = false;
  /** When the request went to the server (the access log's OriginDuration). */
  readonly #started = performance.now();
  readonly #flushIntervalMs: number;
  /** Body bytes still to come while small writes may be held back (flush-policy.ts); -1: write through. */
  #holdable = -1;
  #coalescer: FlushCoalescer | undefined;

  constructor(
    req: IncomingMessage,
    res: ServerResponse,
    server: string,
    upgrade: UpgradeSocket | undefined,
    resolve: () => void,
    reject: (err: WharfError) => void,
    spans: UpstreamSpans | undefined,
    flushIntervalMs: number,
  ) {
    this.#spans = spans;
    this.#flushIntervalMs = flushIntervalMs;
    this.#req = req;
    this.#res = res;
    this.#state = requestState(req);
    this.#server = server;
    this.#upgrade = upgrade;
    this.#resolve = resolve;
    this.#reject = reject;
    res.on('close', this.#onClientClose);
  }

  #settle(err?: WharfError): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#state.originMs = performance.now() - this.#started;
    this.#res.off('close', this.#onClientClose);
    this.#spans?.done(err);
    if (err) this.#reject(err);
    else this.#resolve();
  }

  #clientGone(): boolean {
    const req = this.#req;
    return this.#res.destroyed || req.socket?.destroyed === true || (req.destroyed && !req.complete);
  }

  /** The client went away before the response finished: abort upstream; 499 if nothing was sent. */
  readonly #onClientClose = (): void => {
    if (this.#settled || this.#res.writableFinished) return;
    this.#coalescer?.flush();
    this.#controller?.abort(new Error('client closed the connection'));
    this.#settle(this.#headersSent ? undefined : new WharfError('CLIENT_CLOSED'));
  };

  readonly #onDrain = (): void => {
    if (this.#controller?.paused) this.#controller.resume();
  };

  onRequestStart(controller: Dispatcher.DispatchController): void {
    // Queued in the pool while the client left: nothing to send it for.
    if (this.#settled) controller.abort(new Error('client closed the connection'));
    else this.#controller = controller;
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: IncomingHttpHeaders,
  ): void {
    if (this.#settled) return;
    if (statusCode < 200) {
      // 100 never reaches here (interim-filter.ts removes it); relay 103 Early Hints, drop other interim answers.
      const link = headers.link;
      if (statusCode === 103 && link !== undefined) this.#res.writeEarlyHints({ link });
      return;
    }
    const state = this.#state;
    state.originStatus = statusCode;
    try {
      const relayed = downstreamResponseHeaders(headers);
      state.originHeaders = relayed;
      this.#res.writeHead(statusCode, relayed);
    } catch (err) {
      // An upstream header value Node refuses to send (invalid characters): a bad gateway.
      controller.abort(err as Error);
      return;
    }
    this.#headersSent = true;
    this.#state.responseBytes = 0;
    this.#spans?.head(statusCode, headers);
    const length = headers['content-length'];
    if (
      flushMode(this.#flushIntervalMs, headers['content-type'], length) >= 0 &&
      typeof this.#res.cork === 'function'
    )
      this.#holdable = Number(length);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#settled) return;
    (this.#state.responseBytes as number) += chunk.length;
    // A body that is not all here yet may be held back for the flush interval; a whole one goes out now.
    if (this.#holdable > chunk.length || this.#coalescer) {
      this.#holdable -= chunk.length;
      this.#coalescer ??= new FlushCoalescer(this.#res, this.#flushIntervalMs, systemClock);
      this.#coalescer.before(chunk.length);
    }
    const accepted = this.#res.write(chunk);
    this.#coalescer?.after(chunk.length, accepted);
    if (!accepted && !controller.paused) {
      controller.pause();
      this.#res.once('drain', this.#onDrain);
    }
  }

  onResponseEnd(): void {
    if (this.#settled) return;
    this.#coalescer?.flush();
    this.#res.end();
    this.#settle();
  }

  onResponseError(_controller: Dispatcher.DispatchController | null, err: Error): void {
    if (this.#settled) return;
    this.#coalescer?.flush();
    if (this.#clientGone()) {
      this.#settle(this.#headersSent ? undefined : new WharfError('CLIENT_CLOSED', {}, { cause: err }));
    } else if (this.#headersSent) {
      // The status line is out: the only honest signal left is a broken response.
      this.#res.destroy();
      this.#settle();
    } else {
      this.#settle(upstreamError(err, this.#server));
    }
  }

  onRequestUpgrade(
    controller: Dispatcher.DispatchController,
    _statusCode: number,
    headers: IncomingHttpHeaders,
    socket: Duplex,
  ): void {
    const upgrade = this.#upgrade;
    if (this.#settled || !upgrade) {
      socket.destroy();
      return;
    }
    const res = this.#res;
    const client = upgrade.socket;
    let rawHead: string | undefined;
    try {
      if (res.socket === client) {
        // Through Node's writer, so response-head edits of middlewares (headers) apply to the 101 too.
        const out = downstreamResponseHeaders(headers);
        out.connection = 'Upgrade';
        if (headers.upgrade !== undefined) out.upgrade = headers.upgrade;
        res.writeHead(101, out);
        res.flushHeaders();
        res.detachSocket(client as Socket);
      } else {
        const raw = controller.rawHeaders;
        rawHead = switchingProtocolsHead(Array.isArray(raw) ? raw : [], res.getHeaders());
        res.statusCode = 101;
      }
    } catch (err) {
      socket.destroy();
      this.#settle(upstreamError(err, this.#server));
      return;
    }
    this.#headersSent = true;
    this.#settled = true;
    res.off('close', this.#onClientClose);
    this.#spans?.head(101, headers);
    this.#spans?.done();
    tunnel(client, upgrade.head, socket, rawHead).then(this.#resolve, this.#resolve);
  }
}

/**
 * A Handler bound to one server, holding a reference on that server's pool until closed; `copy` sends a
 * mirror's copy of a request to that server through the same transport.
 */
export type Forwarder = Handler & CopyTarget & { close(): void };

/**
 * Creates the Handler that forwards requests (and Upgrade requests, see upgrade.ts) to one server through
 * `pools`. The upstream path is the server URL's path (only with `preservePath`) joined to the request's
 * path and query as they are after middlewares. `close()` releases the pool reference.
 */
export function createForwarder(
  server: { url: string; preservePath?: boolean },
  options: ForwardOptions,
  pools: UpstreamPools,
): Forwarder {
  const target = new URL(server.url);
  const origin = target.origin;
  const prefix = server.preservePath ? target.pathname.replace(/\/$/, '') : '';
  const serverHost = target.host;
  const headersTimeout = options.headersTimeoutMs ?? 0;
  const bodyTimeout = options.bodyTimeoutMs ?? 0;
  const flushIntervalMs = options.flushIntervalMs;
  const settings = options.pool ?? DEFAULT_POOL_SETTINGS;
  const pool: Pool = pools.acquire(origin, settings);
  // Constant per server (issue 18): undici would take the TLS name from each request's Host header and
  // reconnect when it changes; the pool's connector sets the real one (upstream-pools.ts). A negative
  // maxIdleConnsPerHost closes each connection after its request, as Go without idle connections.
  const servername = target.protocol === 'https:' ? target.hostname : undefined;
  const reset = (settings.maxIdleConnsPerHost ?? 0) < 0 ? true : undefined; // false would undo undici's own resets
  // The server as logs and error messages show it (access log ServiceURL, "upstream ... unreachable"):
  // a password in the URL never leaves the configuration.
  const shown = redactUrls(server.url);
  let closed = false;

  const forward: Handler = (req, res) => {
    const state = requestState(req);
    state.serverUrl = shown;
    const upgrade = state.upgrade;
    const headers = upstreamRequestHeaders(
      req.headers,
      state.notAppendXForwardedFor ? undefined : state.clientIp,
      options.passHostHeader ? (req.headers.host ?? serverHost) : serverHost,
    );
    const upgradeProtocol = upgrade ? (req.headers.upgrade ?? 'websocket') : null;
    const path = joinPath(prefix, req.url ?? '/');
    // Tracing: traceparent/tracestate into `headers`, and the spans of this call when sampled.
    const spans = traceOf(req)?.upstream(req.method ?? 'GET', target, path, headers, state.service);
    return new Promise<void>((resolve, reject) => {
      const exchange = new Exchange(req, res, shown, upgrade, resolve, reject, spans, flushIntervalMs);
      // undici's Request takes `servername`; its DispatchOptions type lacks it.
      const dispatch: Dispatcher.DispatchOptions & { servername: string | undefined } = {
        path,
        method: req.method ?? 'GET',
        headers,
        body: upgrade ? null : (state.replayBody ?? (hasBody(req.headers) ? req : null)),
        upgrade: upgradeProtocol,
        headersTimeout,
        bodyTimeout,
        reset,
        servername,
      };
      pool.dispatch(dispatch, exchange);
    });
  };

  return Object.assign(forward, {
    copy: (copy: RequestCopy) =>
      copyOverPool(pool, copy, {
        path: joinPath(prefix, copy.url),
        host: options.passHostHeader ? (copy.host ?? serverHost) : serverHost,
        servername,
        reset,
      }),
    close(): void {
      if (closed) return;
      closed = true;
      pools.release(origin, settings);
    },
  });
}
