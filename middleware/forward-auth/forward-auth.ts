import type { IncomingMessage, ServerResponse } from 'node:http';
import { WharfError } from '../../config/errors.ts';
import type { ForwardAuthOptions } from '../../config/middlewares/forward-auth.ts';
import { type Dispatcher, Pool } from '../../core/http-client.ts';
import { redactUrls } from '../../core/redact.ts';
import { compileLinearRegexp } from '../../core/regexp/linear-regexp.ts';
import type { ClockTimer } from '../clock.ts';
import type { MiddlewareContext, MiddlewareDefinition, MiddlewareRuntime } from '../middleware.ts';
import { hasBody } from '../request-body.ts';
import { requestState } from '../request-state.ts';
import { beforeResponseHead } from '../response-head.ts';
import {
  type AuthResponseHeaderOptions,
  applyAuthResponseHeaders,
  authRequestHeaders,
  deniedLocation,
  deniedResponseHeaders,
  mergeAuthCookies,
} from './auth-headers.ts';
import { clientTls } from './client-tls.ts';
import { readLimited, TooLarge } from './read-limited.ts';

/**
 * Longest wait for the auth server, from the request to the end of its answer: Traefik's forwardAuth HTTP
 * client timeout (`http.Client{Timeout: 30 * time.Second}`), which is not configurable there either.
 */
export const FORWARD_AUTH_TIMEOUT_MS = 30_000;
/** How long an idle connection to the auth server stays open (Go's DefaultTransport IdleConnTimeout). */
const IDLE_TIMEOUT_MS = 90_000;

type ResponseHeaders = Record<string, string | string[] | undefined>;

/** Why an auth call stopped early: the client went away, or the auth server took too long. */
class Stopped extends Error {
  readonly reason: 'client' | 'timeout';
  constructor(reason: 'client' | 'timeout') {
    super(
      reason === 'client'
        ? 'client closed the request'
        : `no answer within ${FORWARD_AUTH_TIMEOUT_MS / 1000}s`,
    );
    this.reason = reason;
  }
}

/** The options a request needs, resolved once when the instance is built. */
interface Plan {
  readonly address: URL;
  /** The address without its password, for messages. */
  readonly shownAddress: string;
  readonly basicAuth: string | undefined;
  readonly options: ForwardAuthOptions;
  readonly requestHeaders: readonly string[];
  readonly response: AuthResponseHeaderOptions;
  readonly cookies: ReadonlySet<string>;
  readonly maxBodySize: number;
  readonly maxResponseBodySize: number;
}

function plan(options: ForwardAuthOptions): Plan {
  let regexp: AuthResponseHeaderOptions['regexp'];
  if (options.authResponseHeadersRegex !== undefined) {
    const compiled = compileLinearRegexp(options.authResponseHeadersRegex);
    if (!compiled.ok) {
      throw new Error(`authResponseHeadersRegex "${options.authResponseHeadersRegex}": ${compiled.problem}`);
    }
    regexp = compiled.regexp;
  }
  const address = new URL(options.address);
  // Go's client sends the address's user:password as Basic credentials when the request has none.
  const basicAuth =
    address.username === ''
      ? undefined
      : `Basic ${Buffer.from(`${decodeURIComponent(address.username)}:${decodeURIComponent(address.password)}`).toString('base64')}`;
  return {
    address,
    shownAddress: redactUrls(options.address),
    basicAuth,
    options,
    requestHeaders: (options.authRequestHeaders ?? []).map((h) => h.toLowerCase()),
    response: { names: (options.authResponseHeaders ?? []).map((h) => h.toLowerCase()), regexp },
    cookies: new Set(options.addAuthCookiesToResponse ?? []),
    maxBodySize: options.maxBodySize ?? -1,
    maxResponseBodySize: options.maxResponseBodySize ?? -1,
  };
}

/** Traefik's start-up warnings about options whose absence weakens the middleware. */
function warnings(options: ForwardAuthOptions): string[] {
  const out: string[] = [];
  if (options.trustForwardHeader === undefined) {
    out.push(
      'trustForwardHeader is not set: some X-Forwarded headers (For, Proto, Method, Host, Uri) are replaced and others (Prefix, Port, ...) pass untouched; set it to false to replace them all, or true to trust those the entryPoint kept',
    );
  }
  if (options.forwardBody === true && options.maxBodySize === undefined) {
    out.push('forwardBody is set without maxBodySize: request bodies of any size are read into memory');
  }
  if (options.tls?.caOptional !== undefined) {
    out.push('tls.caOptional is deprecated and ignored: client authentication is a server-side option');
  }
  if (options.maxResponseBodySize === undefined) {
    out.push('maxResponseBodySize is not set: auth server answers of any size are read into memory');
  }
  return out;
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function list(value: string | string[] | number | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [String(value)];
}

/** Go's http.Redirect answer for authSigninURL: 302, and a small HTML body for GET and HEAD. */
function redirect(req: IncomingMessage, res: ServerResponse, location: string): void {
  res.setHeader('location', location);
  if (req.method === 'GET' || req.method === 'HEAD') {
    const body = `<a href="${location.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&#34;').replaceAll("'", '&#39;')}">Found</a>.\n\n`;
    res.writeHead(302, { 'content-type': 'text/html; charset=utf-8' });
    res.end(body);
    return;
  }
  res.writeHead(302);
  res.end();
}

/**
 * Builds a forwardAuth instance: one connection pool to the auth server, kept while the options are
 * unchanged (reloads reuse the instance) and closed with it. Throws when the TLS files or the regexp are
 * bad, which disables the middleware with the message.
 */
export function createForwardAuth(options: ForwardAuthOptions, ctx: MiddlewareContext): MiddlewareRuntime {
  const p = plan(options);
  const tls = clientTls(options.tls);
  for (const warning of warnings(options))
    ctx.logger.warn({ middleware: ctx.name }, `forwardAuth: ${warning}`);
  const pool: Dispatcher = new Pool(p.address.origin, {
    connect: { ...tls, timeout: FORWARD_AUTH_TIMEOUT_MS },
    keepAliveTimeout: IDLE_TIMEOUT_MS,
  });
  const path = `${p.address.pathname}${p.address.search}`;

  const check = async (req: IncomingMessage, res: ServerResponse): Promise<'pass' | 'answered'> => {
    const state = requestState(req);
    const abort = new AbortController();
    const stop = (reason: 'client' | 'timeout') => {
      if (!abort.signal.aborted) abort.abort(new Stopped(reason));
    };
    const onClose = () => {
      if (!res.writableFinished) stop('client');
    };
    res.once('close', onClose);
    // Started once the client's body is read: Traefik's timeout covers the auth exchange only.
    let timer: ClockTimer | undefined;
    try {
      let body: Buffer | undefined;
      if (options.forwardBody === true) {
        const replay = state.replayBody;
        if (Buffer.isBuffer(replay)) body = replay;
        else if (hasBody(req.headers)) {
          body = await readLimited(req, p.maxBodySize, abort.signal, 'request').catch((err: unknown) => {
            // Anything but the limit means the client's body stopped coming: the client went away.
            if (!(err instanceof TooLarge)) stop('client');
            throw err;
          });
          state.replayBody = body;
        }
      }
      timer = ctx.clock.setTimeout(() => stop('timeout'), FORWARD_AUTH_TIMEOUT_MS);
      const headers = authRequestHeaders(
        {
          headers: req.headers,
          method: req.method ?? 'GET',
          url: req.url ?? '/',
          clientIp: state.clientIp,
          scheme: state.scheme,
        },
        { trustForwardHeader: options.trustForwardHeader, authRequestHeaders: p.requestHeaders },
      );
      if (p.basicAuth !== undefined && headers.authorization === undefined)
        headers.authorization = p.basicAuth;
      const method = (options.preserveRequestMethod === true ? req.method : 'GET') as 'GET';
      // Tracing (Traefik's AuthRequest client span): ended once the answer's body is read.
      const call = state.tracer?.sideCall('AuthRequest', method, p.address, headers);
      const answer = await pool
        .request({
          origin: p.address.origin,
          path,
          method,
          headers,
          body: body ?? null,
          signal: abort.signal,
        })
        .catch((err: unknown) => {
          call?.end(undefined, err);
          throw err;
        });
      let answerBody: Buffer;
      try {
        answerBody = await readLimited(answer.body, p.maxResponseBodySize, abort.signal, 'response');
        call?.end(answer.statusCode);
      } catch (err) {
        call?.end(answer.statusCode, err);
        answer.body.destroy();
        throw err;
      }
      const auth = answer.headers as ResponseHeaders;
      if (options.headerField !== undefined) {
        const user = first(auth[options.headerField.toLowerCase()]);
        if (user !== undefined) state.username = user;
      }
      // issue 17: the ban middleware counts refusals (it reads the status the client got).
      if (answer.statusCode < 200 || answer.statusCode >= 300) state.refusedBy = 'forwardAuth';
      if (options.authSigninURL !== undefined && answer.statusCode === 401) {
        redirect(req, res, options.authSigninURL);
        return 'answered';
      }
      if (answer.statusCode < 200 || answer.statusCode >= 300) {
        let location: string | undefined;
        try {
          location = deniedLocation(
            first(auth.location),
            options.address,
            options.preserveLocationHeader === true,
          );
        } catch (err) {
          throw new WharfError('FORWARD_AUTH_FAILED', {
            address: p.shownAddress,
            problem: `bad Location "${first(auth.location)}" in its answer: ${(err as Error).message}`,
          });
        }
        const out = deniedResponseHeaders(auth);
        if (location !== undefined) out.location = location;
        res.writeHead(answer.statusCode, out);
        res.end(answerBody);
        return 'answered';
      }
      applyAuthResponseHeaders(req.headers, auth, p.response);
      const authCookies = list(auth['set-cookie']);
      if (authCookies.length > 0) {
        beforeResponseHead(res, (r) => {
          const merged = mergeAuthCookies(
            list(r.getHeader('set-cookie') as string | string[]),
            authCookies,
            p.cookies,
          );
          if (merged.length > 0) r.setHeader('set-cookie', merged);
          else r.removeHeader('set-cookie');
        });
      }
      return 'pass';
    } catch (err) {
      throw failure(err, abort.signal, p);
    } finally {
      timer?.cancel();
      res.off('close', onClose);
    }
  };

  return {
    wrap: (next) => async (req, res) => {
      if ((await check(req, res)) === 'pass') await next(req, res);
    },
    close: () => pool.close(),
  };
}

/** The catalog error for a failed auth call: the client left (499), a body over its limit (401), else 500. */
function failure(err: unknown, signal: AbortSignal, p: Plan): unknown {
  if (err instanceof WharfError) return err;
  if (err instanceof TooLarge) {
    return err.what === 'request'
      ? new WharfError('FORWARD_AUTH_BODY_TOO_LARGE', { limit: p.maxBodySize })
      : new WharfError('FORWARD_AUTH_RESPONSE_TOO_LARGE', {
          address: p.shownAddress,
          limit: p.maxResponseBodySize,
        });
  }
  const stopped = signal.aborted ? (signal.reason as Stopped) : undefined;
  if (stopped?.reason === 'client') return new WharfError('CLIENT_CLOSED', {}, { cause: err });
  const e = err as { code?: unknown; message?: unknown };
  const problem =
    stopped !== undefined
      ? stopped.message
      : `${typeof e?.message === 'string' ? e.message : String(err)}${typeof e?.code === 'string' ? ` (${e.code})` : ''}`;
  return new WharfError(
    'FORWARD_AUTH_FAILED',
    { address: p.shownAddress, problem: redactUrls(problem) },
    { cause: err },
  );
}

/** The forwardAuth definition: one instance (and pool) per middleware, shared by the routers using it. */
export const forwardAuth: MiddlewareDefinition<ForwardAuthOptions> = { create: createForwardAuth };
