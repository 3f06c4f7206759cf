import {
  type IncomingHttpHeaders,
  IncomingMessage,
  type OutgoingHttpHeaders,
  type ServerResponse,
} from 'node:http';
import { errorStatus, WharfError } from '../../config/errors.ts';
import type { ErrorsOptions } from '../../config/middlewares/errors.ts';
import type { Logger } from '../../core/log.ts';
import { goStatusText } from '../go-status-text.ts';
import type { Handler, Middleware, MiddlewareDefinition } from '../middleware.ts';
import { plainError } from '../plain-error.ts';
import { requestState, setRequestState } from '../request-state.ts';
import { forceStatus, StatusCatcher } from './status-catcher.ts';
import {
  errorPagePath,
  inRanges,
  parseStatusRanges,
  parseStatusRewrites,
  rewriteStatus,
} from './status-ranges.ts';

/** Request headers never copied to the page request: it is a GET without a body. */
const BODY_HEADERS = new Set(['content-length', 'transfer-encoding', 'expect']);

/** The headers of the error page request: all the client's (or those `only` names), and its Host. */
function pageHeaders(
  req: IncomingMessage,
  host: string,
  only: readonly string[] | undefined,
): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = {};
  if (only === undefined) {
    for (const [k, v] of Object.entries(req.headers)) if (!BODY_HEADERS.has(k)) out[k] = v;
  } else
    for (const name of only) {
      const k = name.toLowerCase();
      const v = req.headers[k];
      if (v !== undefined && !BODY_HEADERS.has(k)) out[k] = v;
    }
  // As in Traefik, the page is asked for with the client's Host, whichever headers are forwarded.
  if (host) out.host = host;
  return out;
}

/** A GET for the error page, on the client's connection (so a client leaving aborts it), without a body. */
function pageRequest(req: IncomingMessage, path: string, headers: IncomingHttpHeaders): IncomingMessage {
  const page = new IncomingMessage(req.socket);
  page.method = 'GET';
  page.url = path;
  page.headers = headers;
  page.httpVersionMajor = req.httpVersionMajor;
  page.httpVersionMinor = req.httpVersionMinor;
  page.httpVersion = req.httpVersion;
  page.complete = true;
  page.push(null);
  const state = requestState(req);
  setRequestState(page, {
    entryPoint: state.entryPoint,
    scheme: state.scheme,
    clientIp: state.clientIp,
    start: state.start,
    originalUrl: state.originalUrl,
    ...(state.router !== undefined && { router: state.router }),
  });
  return page;
}

/** The status a failure thrown on the request path stands for; undefined for a client that left. */
function failureStatus(err: unknown): number | undefined {
  if (!(err instanceof WharfError) || err.code === 'CLIENT_CLOSED') return undefined;
  return errorStatus(err.code);
}

/** Headers back to what they were when the request reached this middleware. */
function resetHeaders(res: ServerResponse, before: OutgoingHttpHeaders): void {
  for (const name of res.getHeaderNames()) res.removeHeader(name);
  for (const [name, value] of Object.entries(before)) if (value !== undefined) res.setHeader(name, value);
}

/**
 * Traefik's errors middleware (customerrors): when the handlers after it answer with a status in
 * `status`, their response is dropped and the error page is fetched from `page` (a GET for `query`, with
 * the client's headers and Host) and sent with the original status, or its `statusRewrites` one. A page
 * service that fails answers through the same forced status (its error text as the body), as in Traefik.
 * Upgrade requests (WebSocket) pass through.
 */
export function createErrors(options: ErrorsOptions, page: Handler, logger: Logger): Middleware {
  const ranges = parseStatusRanges(options.status ?? []);
  const rewrites = parseStatusRewrites(options.statusRewrites);
  const catches = (status: number) => inRanges(ranges, status);
  const only = options.errorRequestHeaders;
  return (next) => async (req, res) => {
    const state = requestState(req);
    if (state.upgrade || ranges.length === 0 || res.headersSent) return next(req, res);
    const before = res.getHeaders();
    const catcher = new StatusCatcher(res, catches);
    let original: number | undefined;
    try {
      await next(req, res);
      original = catcher.caught;
    } catch (err) {
      // Wharf's proxy throws what Traefik's writes (502 unreachable, 503 no server, 504 timeout): a status
      // in the list gets the error page as Traefik's codeCatcher gives it one.
      const status = failureStatus(err);
      if (status === undefined || res.headersSent || !catches(status)) {
        catcher.restore();
        if (catcher.caught !== undefined) resetHeaders(res, before);
        throw err;
      }
      logger.warn({ code: (err as WharfError).code }, (err as Error).message);
      original = status;
    } finally {
      catcher.restore();
    }
    if (original === undefined || res.destroyed || res.writableEnded) return;
    resetHeaders(res, before);
    const status = rewriteStatus(rewrites, original);
    const host = req.headers.host ?? (req.headers[':authority'] as string | undefined) ?? '';
    const url = `${state.scheme}://${host}${req.url ?? '/'}`;
    const path = errorPagePath(options.query, status, original, url);
    logger.debug({ status: original, sent: status, path }, 'errors: caught a status, serving the error page');
    const undo = forceStatus(res, status);
    try {
      await page(pageRequest(req, path, pageHeaders(req, host, only)), res);
    } catch (err) {
      // As Traefik's proxy writes its failure through the forced status: the status kept, the failure's
      // text (Bad Gateway, Service Unavailable, Gateway Timeout) as the body.
      logger.warn({ err: (err as Error).message }, 'errors: the error page service failed');
      if (!res.headersSent && !res.destroyed) {
        undo();
        resetHeaders(res, before);
        plainError(res, status, goStatusText(failureStatus(err) ?? 500));
      }
    } finally {
      undo();
    }
  };
}

/** The errors middleware: its page service is a reference, checked and resolved by the compile step. */
export const errors: MiddlewareDefinition<ErrorsOptions> = {
  serviceReferences: (options) => [options.service],
  create: (options, ctx) => {
    if (!ctx.resolveService) throw new Error('no service can be resolved here');
    return { wrap: createErrors(options, ctx.resolveService(options.service), ctx.logger) };
  },
};
