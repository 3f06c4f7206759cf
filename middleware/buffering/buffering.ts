import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { z } from 'zod';
import { errorStatus, WharfError } from '../../config/errors.ts';
import type { BufferingSchema } from '../../config/middlewares/buffering.ts';
import type { Logger } from '../../core/log.ts';
import type { Handler, MiddlewareDefinition } from '../middleware.ts';
import { hasBody } from '../request-body.ts';
import { type RequestState, requestState } from '../request-state.ts';
import { dropHeadEditsSince, headEditMark } from '../response-head.ts';
import { ResponseCapture } from './response-capture.ts';
import { compileRetryExpression, type RetryPredicate } from './retry-expression.ts';
import { BodyTooLarge, SpillBuffer, type SpillLimits } from './spill-buffer.ts';

/** The buffering middleware's options, as validated by BufferingSchema. */
export type BufferingOptions = z.infer<typeof BufferingSchema>;

/** Bytes of a body kept in memory when mem*BodyBytes is 0 or unset (oxy's DefaultMemBodyBytes). */
export const DEFAULT_MEM_BODY_BYTES = 1_048_576;

/** The limits of one side (request or response) as oxy applies them: 0 memory means the default. */
export function spillLimits(
  memBytes: number | undefined,
  maxBytes: number | undefined,
  dir: () => string,
): SpillLimits {
  return { memBytes: memBytes || DEFAULT_MEM_BODY_BYTES, maxBytes: maxBytes ?? 0, dir };
}

/** Whether a response carries a body (oxy's expectBody, after RFC 9112 §6.3). */
export function expectBody(method: string, status: number, headers: OutgoingHttpHeaders): boolean {
  if (method === 'HEAD') return false;
  if ((status >= 100 && status < 200) || status === 204 || status === 304) return false;
  if (String(headers['content-length']) === '0') return false;
  const grpc = headers['grpc-status'];
  return grpc === undefined || String(grpc) === '' || String(grpc) === '0';
}

function diskError(err: unknown): WharfError {
  if (err instanceof WharfError) return err;
  const problem = `buffering: cannot use a temporary file: ${(err as Error)?.message ?? String(err)}`;
  return new WharfError('INTERNAL', { problem }, { cause: err });
}

/** A request body over maxRequestBodyBytes: 413, and the connection closed (the rest is never read). */
function requestTooLarge(res: ServerResponse, limit: number): WharfError {
  res.setHeader('connection', 'close');
  return new WharfError('BUFFERING_REQUEST_TOO_LARGE', { limit });
}

/** Reads a stream to its end into `buf`, pausing it while the buffer writes to disk. */
function readInto(stream: Readable, buf: SpillBuffer): Promise<void> {
  if (stream.readableEnded) return Promise.resolve();
  return new Promise((resolve, reject) => {
    let settled = false;
    const cleanup = () => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
      stream.off('close', onClose);
    };
    const fail = (err: unknown) => {
      if (settled) return;
      settled = true;
      cleanup();
      stream.pause();
      reject(err);
    };
    const onData = (chunk: Buffer) => {
      let wait: Promise<void> | undefined;
      try {
        wait = buf.add(chunk);
      } catch (err) {
        fail(err);
        return;
      }
      if (wait === undefined) return;
      stream.pause();
      wait.then(() => {
        if (!settled) stream.resume();
      }, fail);
    };
    const onEnd = () => {
      if (settled) return;
      settled = true;
      cleanup();
      buf.finish().then(resolve, reject);
    };
    // A request stream closes without 'end' (or errors) when the client goes away mid-body.
    const onError = (err: Error) => fail(new WharfError('CLIENT_CLOSED', {}, { cause: err }));
    const onClose = () => fail(new WharfError('CLIENT_CLOSED'));
    stream.on('data', onData);
    stream.once('end', onEnd);
    stream.once('error', onError);
    stream.once('close', onClose);
  });
}

/**
 * Reads the whole request body (or the one an earlier middleware kept in `replayBody`) into `buf` and makes
 * it what the proxy sends: `replayBody`, with Content-Length set and Transfer-Encoding removed, as oxy does.
 */
async function bufferRequest(
  req: IncomingMessage,
  res: ServerResponse,
  state: RequestState,
  buf: SpillBuffer,
  max: number,
): Promise<void> {
  const announced = Number(req.headers['content-length'] ?? 0);
  if (max > 0 && announced > max) throw requestTooLarge(res, max);
  const source = state.replayBody ?? (hasBody(req.headers) ? req : undefined);
  if (source === undefined) return;
  let size: number;
  if (Buffer.isBuffer(source)) {
    if (max > 0 && source.length > max) throw requestTooLarge(res, max);
    size = source.length;
  } else {
    try {
      await readInto(source, buf);
    } catch (err) {
      if (err instanceof BodyTooLarge) throw requestTooLarge(res, max);
      throw diskError(err);
    }
    size = buf.size;
    state.replayBody =
      size > 0
        ? await buf.open().catch((err: unknown) => {
            throw diskError(err);
          })
        : undefined;
  }
  req.headers['content-length'] = String(size);
  delete req.headers['transfer-encoding'];
}

/** Headers back to what they were before the handlers after this middleware set theirs. */
function resetHeaders(res: ServerResponse, before: OutgoingHttpHeaders): void {
  for (const name of res.getHeaderNames()) res.removeHeader(name);
  for (const [name, value] of Object.entries(before)) if (value !== undefined) res.setHeader(name, value);
}

/** oxy's DefaultMaxRetryAttempts: the retryExpression is asked after attempts 1 to 10, so 11 tries at most. */
export const MAX_RETRY_ATTEMPTS = 10;

/** The status a failure thrown on the request path stands for; undefined for a client gone or a bug. */
function failureStatus(err: unknown): number | undefined {
  if (!(err instanceof WharfError) || err.code === 'CLIENT_CLOSED') return undefined;
  return errorStatus(err.code);
}

/** What the response side needs besides the request: its limits, and when to replay the request. */
interface ResponseSide {
  readonly limits: SpillLimits;
  readonly retry: RetryPredicate | undefined;
  readonly logger: Logger;
  /** Makes the request body readable again from its start, for a replay. */
  readonly rewind: () => Promise<void>;
}

/**
 * Runs `next` with its response held in a SpillBuffer, then sends that response whole, with
 * Content-Length. With a retryExpression, after each attempt (its response whole, or the failure Wharf's
 * proxy raised, as the status Traefik's proxy would have written) the expression decides whether the
 * request is replayed instead, as oxy's buffer does; the response of an attempt replayed never reaches the
 * client.
 */
async function bufferResponse(
  req: IncomingMessage,
  res: ServerResponse,
  next: Handler,
  side: ResponseSide,
): Promise<void> {
  const before = res.getHeaders();
  const editsBefore = headEditMark(res);
  for (let attempt = 1; ; attempt++) {
    const buf = new SpillBuffer(side.limits);
    try {
      const capture = new ResponseCapture(res, buf);
      let failed = false;
      let thrown: unknown;
      try {
        await next(req, res);
      } catch (err) {
        failed = true;
        thrown = err;
      }
      capture.restore();
      // The client left, or the upstream broke the response after its head (the proxy destroyed the response).
      if (!failed && (res.destroyed || res.writableEnded)) return;
      if (!failed && capture.error === undefined)
        await buf.finish().catch((err: unknown) => (capture.error = err));
      // As oxy: a response over the limit (or a disk error) is answered at once, never retried.
      if (!failed && capture.error !== undefined) {
        resetHeaders(res, before);
        if (capture.error instanceof BodyTooLarge)
          throw new WharfError('BUFFERING_RESPONSE_TOO_LARGE', { limit: capture.error.limit });
        throw diskError(capture.error);
      }
      const status = failed ? failureStatus(thrown) : (capture.status ?? res.statusCode);
      const method = req.method ?? 'GET';
      if (
        side.retry !== undefined &&
        attempt <= MAX_RETRY_ATTEMPTS &&
        status !== undefined &&
        !res.destroyed &&
        side.retry({ attempt, responseCode: status, method })
      ) {
        side.logger.debug({ attempt: attempt + 1, status }, 'buffering: retryExpression holds, replaying');
        resetHeaders(res, before);
        // Head edits of the replayed attempt (a sticky cookie of the server it picked) are for it only.
        dropHeadEditsSince(res, editsBefore);
        await side.rewind();
        continue;
      }
      if (failed) {
        resetHeaders(res, before);
        throw thrown;
      }
      await sendBuffered(req, res, buf, capture, side.logger);
      return;
    } finally {
      await buf.close();
    }
  }
}

/** Sends a held response: its status, its headers, and its body whole with Content-Length. */
async function sendBuffered(
  req: IncomingMessage,
  res: ServerResponse,
  buf: SpillBuffer,
  capture: ResponseCapture,
  logger: Logger,
): Promise<void> {
  const status = capture.status ?? res.statusCode;
  if (!expectBody(req.method ?? 'GET', status, res.getHeaders())) {
    writeHead(res, status, capture.message);
    res.end();
    return;
  }
  res.removeHeader('transfer-encoding');
  res.setHeader('content-length', buf.size);
  const body = await buf.open().catch((err: unknown) => {
    throw diskError(err);
  });
  writeHead(res, status, capture.message);
  if (Buffer.isBuffer(body)) {
    res.end(body);
    return;
  }
  // The head is out: a failure now (client gone, disk read error) can only cut the response.
  await pipeline(body, res).catch((err: unknown) => {
    if (!res.destroyed) res.destroy();
    logger.debug({ err }, 'buffering: the buffered response was cut');
  });
}

function writeHead(res: ServerResponse, status: number, message: string | undefined): void {
  if (message === undefined) res.writeHead(status);
  else res.writeHead(status, message);
}

/**
 * Traefik's buffering middleware (vulcand/oxy's buffer): reads the whole request body before the service
 * sees it (413 past `maxRequestBodyBytes`, a temporary file past `memRequestBodyBytes`), and holds the
 * whole response before the client sees it (500 past `maxResponseBodyBytes`, a file past
 * `memResponseBodyBytes`); with a `retryExpression`, replays the request while it holds (see
 * bufferResponse). Temporary files are closed (and so gone) when the request ends, however it ends.
 * Upgrade requests (WebSocket) pass through, as oxy lets a hijacked connection go. Throws for a bad
 * retryExpression. `tempDir` is for tests.
 */
export function createBuffering(options: BufferingOptions, logger: Logger, tempDir: () => string = tmpdir) {
  const request = spillLimits(options.memRequestBodyBytes, options.maxRequestBodyBytes, tempDir);
  const response = spillLimits(options.memResponseBodyBytes, options.maxResponseBodyBytes, tempDir);
  const expression = options.retryExpression ?? '';
  const retry = expression === '' ? undefined : compileRetryExpression(expression);
  return (next: Handler): Handler =>
    async (req, res) => {
      const state = requestState(req);
      if (state.upgrade) return next(req, res);
      const requestBody = new SpillBuffer(request);
      const rewind = async () => {
        // A body in memory is sent again as it is; one in a file is read again from its start.
        if (requestBody.spilled)
          state.replayBody = await requestBody.open().catch((err: unknown) => {
            throw diskError(err);
          });
      };
      try {
        await bufferRequest(req, res, state, requestBody, request.maxBytes);
        await bufferResponse(req, res, next, { limits: response, retry, logger, rewind });
      } finally {
        await requestBody.close();
      }
    };
}

/** The buffering middleware's definition (no state across requests; each request's files are its own). */
export const buffering: MiddlewareDefinition<BufferingOptions> = {
  create: (options, ctx) => ({ wrap: createBuffering(options, ctx.logger) }),
};
