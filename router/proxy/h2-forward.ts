import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { type ClientHttp2Session, type ClientHttp2Stream, constants } from 'node:http2';
import type { Readable } from 'node:stream';
import { WharfError } from '../../config/errors.ts';
import { redactUrls } from '../../core/redact.ts';
import type { Handler } from '../../middleware/middleware.ts';
import { hasBody } from '../../middleware/request-body.ts';
import { requestState } from '../../middleware/request-state.ts';
import { traceOf } from '../tracing/request-trace.ts';
import { createForwarder, type Forwarder, type ForwardOptions, upstreamError } from './forward.ts';
import { H2Sessions } from './h2-session.ts';
import { downstreamResponseHeaders, upstreamRequestHeaders } from './hop-headers.ts';
import {
  copyOverSession,
  h2RequestHeaders,
  joinServerPath,
  type RequestCopy,
  wantsTrailers,
} from './request-copy.ts';
import { clientCertChoice, tlsConnectOptions, tlsServerName } from './transport-tls.ts';
import type { UpstreamPools } from './upstream-pools.ts';

/** The HTTP/2 settings of a servers transport a forwarder needs. */
export interface H2Options extends ForwardOptions {
  /** HTTP/2 to https servers that offer it (false: `disableHTTP2`). h2c:// servers always use HTTP/2. */
  readonly http2: boolean;
  readonly readIdleTimeoutMs?: number;
  readonly pingTimeoutMs?: number;
}

/**
 * The forwarder for one server, by scheme: http:// servers (and https:// ones with disableHTTP2) keep the
 * HTTP/1.1 forwarder and its undici pool unchanged; https:// servers use HTTP/2 when the server picks it
 * by ALPN, and h2c:// servers HTTP/2 with prior knowledge (Traefik's smart round tripper). Upgrade requests
 * (WebSocket) always go over HTTP/1.1, since HTTP/2 cannot carry them.
 */
export function createServerForwarder(
  server: { url: string; preservePath?: boolean },
  options: H2Options,
  pools: UpstreamPools,
): Forwarder {
  const target = new URL(server.url);
  const h2c = target.protocol === 'h2c:';
  if (!h2c && !(target.protocol === 'https:' && options.http2))
    return createForwarder(server, options, pools);
  const http1Url = h2c ? `http:${server.url.slice(4)}` : server.url;
  const http1 = createForwarder({ ...server, url: http1Url }, options, pools);
  const port = Number(target.port) || (h2c ? 80 : 443);
  const hostname = target.hostname.startsWith('[') ? target.hostname.slice(1, -1) : target.hostname;
  const tls = h2c ? undefined : tlsConnectOptions(options.pool?.tls);
  const servername = h2c ? null : tlsServerName(target.hostname, options.pool?.tls);
  const connectTimeoutMs = options.pool?.connectTimeoutMs ?? 30_000;
  const choice = h2c ? undefined : clientCertChoice(options.pool?.tls);
  const probe = { host: hostname, port, servername: servername ?? undefined, timeoutMs: connectTimeoutMs };
  const sessions = new H2Sessions({
    scheme: h2c ? 'h2c' : 'https',
    hostname,
    port,
    ...(tls ? { tls: servername === null ? tls : { ...tls, servername } } : {}),
    chooseCert: choice ? () => choice.choose(probe) : undefined,
    connectTimeoutMs,
    idleTimeoutMs: options.pool?.idleTimeoutMs ?? 90_000,
    readIdleTimeoutMs: options.readIdleTimeoutMs ?? 0,
    pingTimeoutMs: options.pingTimeoutMs ?? 15_000,
  });
  const prefix = server.preservePath ? target.pathname.replace(/\/$/, '') : '';
  const shown = redactUrls(server.url);
  const scheme = h2c ? 'http' : 'https';

  const forward: Handler = async (req, res) => {
    const state = requestState(req);
    if (state.upgrade || sessions.http1) return http1(req, res);
    state.serverUrl = shown;
    let session: ClientHttp2Session | 'http/1.1';
    try {
      session = await sessions.get();
    } catch (err) {
      throw upstreamError(err, shown);
    }
    if (session === 'http/1.1') return http1(req, res);
    return exchange(session, req, res, { options, prefix, shown, scheme, authorityOf: target.host });
  };
  /** A mirror's copy: over this server's HTTP/2 session, or HTTP/1.1 when the server chose it. */
  const copy = async (c: RequestCopy): Promise<void> => {
    const session = sessions.http1 ? 'http/1.1' : await sessions.get();
    if (session === 'http/1.1') return http1.copy(c);
    const authority = options.passHostHeader ? (c.host ?? target.host) : target.host;
    return copyOverSession(session, c, { path: joinServerPath(prefix, c.url), scheme, authority });
  };
  return Object.assign(forward, {
    copy,
    close(): void {
      sessions.close();
      http1.close();
    },
  });
}

interface ExchangeContext {
  readonly options: ForwardOptions;
  readonly prefix: string;
  readonly shown: string;
  readonly scheme: string;
  /** The server URL's host:port, the :authority without passHostHeader. */
  readonly authorityOf: string;
}

/** The response headers without HTTP/2 pseudo-headers, hop-by-hop ones dropped. */
function responseHeaders(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const plain: IncomingHttpHeaders = {};
  for (const name in headers) if (name.charCodeAt(0) !== 58) plain[name] = headers[name];
  return downstreamResponseHeaders(plain);
}

/** One request over an HTTP/2 session, streamed both ways, trailers relayed, cancellation passed on. */
function exchange(
  session: ClientHttp2Session,
  req: IncomingMessage,
  res: ServerResponse,
  ctx: ExchangeContext,
): Promise<void> {
  const state = requestState(req);
  const { options } = ctx;
  const authority = options.passHostHeader ? (req.headers.host ?? ctx.authorityOf) : ctx.authorityOf;
  const list = upstreamRequestHeaders(req.headers, state.clientIp, undefined);
  const path = joinServerPath(ctx.prefix, req.url ?? '/');
  const method = req.method ?? 'GET';
  const spans = traceOf(req)?.upstream(
    method,
    new URL(`${ctx.scheme}://${ctx.authorityOf}`),
    path,
    list,
    state.service,
  );
  const headers = h2RequestHeaders(
    { ':method': method, ':path': path, ':scheme': ctx.scheme, ':authority': authority },
    list,
  );
  // Go's ReverseProxy keeps `TE: trailers` (only that token), which gRPC servers require.
  if (wantsTrailers(req.headers.te)) headers.te = 'trailers';
  const body = state.replayBody ?? (hasBody(req.headers) ? req : null);
  const started = performance.now();

  return new Promise<void>((resolve, reject) => {
    let settled = false;
    let headersSent = false;
    let stream: ClientHttp2Stream;
    const settle = (err?: WharfError) => {
      if (settled) return;
      settled = true;
      clearTimeout(headerTimer);
      state.originMs = performance.now() - started;
      res.off('close', onClientClose);
      spans?.done(err);
      if (err) reject(err);
      else resolve();
    };
    const onClientClose = () => {
      if (settled || res.writableFinished) return;
      // The client cancelled (gRPC cancellation, a closed tab): cancel the server's stream too.
      if (!stream.destroyed) stream.close(constants.NGHTTP2_CANCEL);
      settle(headersSent ? undefined : new WharfError('CLIENT_CLOSED'));
    };
    try {
      stream = session.request(headers, { endStream: body === null });
    } catch (err) {
      settle(upstreamError(err, ctx.shown));
      return;
    }
    res.on('close', onClientClose);
    const headersTimeout = options.headersTimeoutMs ?? 0;
    const headerTimer =
      headersTimeout > 0
        ? setTimeout(() => {
            stream.close(constants.NGHTTP2_CANCEL);
            settle(
              upstreamError(
                Object.assign(new Error('response headers timeout'), { code: 'UND_ERR_HEADERS_TIMEOUT' }),
                ctx.shown,
              ),
            );
          }, headersTimeout)
        : undefined;
    if (body !== null) {
      if (Buffer.isBuffer(body)) stream.end(body);
      else (body as Readable).pipe(stream);
    }
    stream.on('headers', (h) => {
      // Interim answers: relay 103 Early Hints, as the HTTP/1.1 path does.
      if (h[':status'] === 103 && h.link !== undefined && !settled) res.writeEarlyHints({ link: h.link });
    });
    stream.on('response', (h, flags) => {
      clearTimeout(headerTimer);
      if (settled) return;
      const status = Number(h[':status']);
      state.originStatus = status;
      try {
        const relayed = responseHeaders(h);
        // A gRPC "trailers-only" answer (one HEADERS frame that ends the stream, grpc-status in it): Node's
        // server would send its headers and end the stream apart, and gRPC clients take grpc-status only
        // from the last HEADERS frame, so the status goes out as trailers.
        if (flags & constants.NGHTTP2_FLAG_END_STREAM && relayed['grpc-status'] !== undefined)
          res.addTrailers(grpcStatusTrailers(relayed));
        state.originHeaders = relayed;
        res.writeHead(status, relayed);
      } catch (err) {
        stream.close(constants.NGHTTP2_INTERNAL_ERROR);
        settle(upstreamError(err, ctx.shown));
        return;
      }
      headersSent = true;
      state.responseBytes = 0;
      spans?.head(status, h as IncomingHttpHeaders);
    });
    stream.on('data', (chunk: Buffer) => {
      if (settled) return;
      (state.responseBytes as number) += chunk.length;
      if (!res.write(chunk)) {
        stream.pause();
        res.once('drain', () => stream.resume());
      }
    });
    stream.on('trailers', (trailers) => {
      if (settled || !headersSent) return;
      const out: Record<string, string> = {};
      for (const name in trailers) {
        const v = trailers[name];
        if (name.charCodeAt(0) !== 58 && v !== undefined)
          out[name] = Array.isArray(v) ? v.join(', ') : String(v);
      }
      res.addTrailers(out);
    });
    stream.on('end', () => {
      if (settled) return;
      if (!headersSent) {
        settle(upstreamError(new Error('the server closed the stream without a response'), ctx.shown));
        return;
      }
      res.end();
      settle();
    });
    stream.on('error', (err) => {
      if (settled) return;
      if (headersSent) {
        res.destroy();
        settle();
      } else {
        settle(upstreamError(err, ctx.shown));
      }
    });
    stream.on('close', () => {
      if (settled) return;
      // Reset by the server without an error event (RST_STREAM NO_ERROR after a full response is 'end').
      if (headersSent) {
        res.destroy();
        settle();
      } else {
        settle(upstreamError(new Error(`stream reset by the server (code ${stream.rstCode})`), ctx.shown));
      }
    });
  });
}

const GRPC_STATUS_HEADERS = ['grpc-status', 'grpc-message', 'grpc-status-details-bin'];

/** Takes the grpc-status headers out of `headers` and returns them as trailers. */
function grpcStatusTrailers(headers: OutgoingHttpHeaders): Record<string, string> {
  const trailers: Record<string, string> = {};
  for (const name of GRPC_STATUS_HEADERS) {
    const v = headers[name];
    if (v === undefined) continue;
    trailers[name] = String(v);
    delete headers[name];
  }
  return trailers;
}
