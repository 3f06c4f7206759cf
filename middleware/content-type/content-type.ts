import type { ServerResponse } from 'node:http';
import type { z } from 'zod';
import type { ContentTypeSchema } from '../../config/middlewares/content-type.ts';
import type { MiddlewareDefinition } from '../middleware.ts';
import { beforeResponseHead } from '../response-head.ts';
import { detectContentType } from './detect-content-type.ts';

const SNIFF_LENGTH = 512;

type Options = z.infer<typeof ContentTypeSchema>;
type Callback = (err?: Error | null) => void;

/**
 * Traefik's contentType middleware. Traefik v3 turns Go's Content-Type sniffing off for every response;
 * this middleware turns it back on: a response whose server sent no Content-Type gets the one Go's
 * DetectContentType gives for its first bytes. Node never sniffs, so without the middleware Wharf already
 * behaves as Traefik v3. `autoDetect` is deprecated in Traefik (a warning); `false` makes the middleware
 * do nothing.
 */
export const contentType: MiddlewareDefinition<Options> = {
  create(options, ctx) {
    if (options.autoDetect !== undefined) {
      ctx.logger.warn(
        { middleware: ctx.name },
        'contentType: the autoDetect option is deprecated (as in Traefik); remove it: the middleware alone turns detection on',
      );
    }
    if (options.autoDetect === false) return { wrap: (next) => next };
    return {
      wrap: (next) => async (req, res) => {
        sniffContentType(res);
        return next(req, res);
      },
    };
  },
};

/** Statuses that carry no body (Go's bodyAllowedForStatus). */
function bodyAllowed(status: number): boolean {
  return !(status < 200 || status === 204 || status === 304);
}

/**
 * Holds the response head back until 512 body bytes (or the end) are there, then adds the Content-Type Go
 * would detect, when Go's server would: no Content-Type, no Content-Encoding, no Transfer-Encoding set by
 * the server, a status with a body, and a body that is not empty.
 */
export function sniffContentType(res: ServerResponse): void {
  const { writeHead, write, end } = res;
  let state: 'open' | 'holding' | 'done' = 'open';
  let head: unknown[] = [];
  const chunks: Buffer[] = [];
  const callbacks: Callback[] = [];
  let size = 0;

  // Decides at the head whether sniffing applies; headers given to writeHead are already on `res` (below).
  const hold = (args: unknown[]): boolean => {
    const status = args[0] as number;
    const applies =
      !res.hasHeader('content-type') &&
      !res.getHeader('content-encoding') &&
      !res.hasHeader('transfer-encoding') &&
      bodyAllowed(status);
    state = applies ? 'holding' : 'done';
    head = args;
    if (!applies) (writeHead as (...a: unknown[]) => void).apply(res, args);
    return applies;
  };
  const release = () => {
    state = 'done';
    const body = Buffer.concat(chunks);
    if (body.length > 0) res.setHeader('content-type', detectContentType(body));
    (writeHead as (...a: unknown[]) => void).apply(res, head);
    if (body.length > 0) (write as (b: Buffer) => boolean).call(res, body);
    for (const cb of callbacks.splice(0)) queueMicrotask(() => cb());
  };
  const take = (chunk: unknown, encoding: unknown, cb: unknown) => {
    if (chunk !== undefined && chunk !== null && typeof chunk !== 'function') {
      const b = Buffer.isBuffer(chunk)
        ? chunk
        : typeof chunk === 'string'
          ? Buffer.from(chunk, (typeof encoding === 'string' ? encoding : 'utf8') as BufferEncoding)
          : Buffer.from(chunk as Uint8Array);
      chunks.push(b);
      size += b.length;
    }
    const callback = [chunk, encoding, cb].find((a) => typeof a === 'function');
    if (callback) callbacks.push(callback as Callback);
  };

  res.writeHead = function (this: ServerResponse, ...args: unknown[]) {
    if (state !== 'open') {
      if (state === 'done') return (writeHead as (...a: unknown[]) => ServerResponse).apply(this, args);
      return this;
    }
    hold(args);
    return this;
  } as ServerResponse['writeHead'];
  // Headers given to writeHead are moved onto the response first, so `hold` sees every header.
  beforeResponseHead(res, () => {});

  res.write = function (this: ServerResponse, chunk: unknown, encoding?: unknown, cb?: unknown) {
    if (state === 'open') hold([this.statusCode]);
    if (state === 'done') return (write as (...a: unknown[]) => boolean).call(this, chunk, encoding, cb);
    take(chunk, encoding, cb);
    if (size >= SNIFF_LENGTH) release();
    return true;
  } as ServerResponse['write'];

  res.end = function (this: ServerResponse, chunk?: unknown, encoding?: unknown, cb?: unknown) {
    if (state === 'open') hold([this.statusCode]);
    if (state === 'holding') {
      take(chunk, encoding, cb);
      release();
      return (end as () => ServerResponse).call(this);
    }
    return (end as (...a: unknown[]) => ServerResponse).call(this, chunk, encoding, cb);
  } as ServerResponse['end'];
}
