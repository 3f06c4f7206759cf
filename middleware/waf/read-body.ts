import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { WharfError } from '../../config/errors.ts';
import type { RequestState } from '../request-state.ts';

// The request body for the engine: read once, up to one byte past the inspection limit (enough for
// ModSecurity to apply SecRequestBodyLimitAction), then forwarded whole to the service through
// `state.replayBody`: the bytes read, followed by the rest of the stream when the body was larger.

/** Whether the request announces a body (Content-Length other than 0, or Transfer-Encoding). */
export function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return (length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined;
}

async function* peeked(chunks: Buffer[], rest: AsyncIterator<Buffer>): AsyncGenerator<Buffer> {
  yield* chunks;
  for (;;) {
    const r = await rest.next();
    if (r.done) return;
    yield r.value;
  }
}

/**
 * Reads the body (or the one an earlier middleware kept in `state.replayBody`) up to `limit + 1` bytes and
 * returns those bytes for the engine; `state.replayBody` then forwards the body intact. Undefined when the
 * request has no body. Rejects with CLIENT_CLOSED when the client goes away mid-body.
 */
export async function readForInspection(
  req: IncomingMessage,
  state: RequestState,
  limit: number,
): Promise<Buffer | undefined> {
  const kept = state.replayBody;
  if (Buffer.isBuffer(kept)) return kept.length > limit + 1 ? kept.subarray(0, limit + 1) : kept;
  const source: Readable | undefined = kept ?? (hasBody(req) ? req : undefined);
  if (source === undefined) return undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  const it = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  try {
    for (;;) {
      if (size > limit) {
        state.replayBody = Readable.from(peeked(chunks, it), { objectMode: false });
        return Buffer.concat(chunks, size).subarray(0, limit + 1);
      }
      const r = await it.next();
      if (r.done) break;
      const chunk = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value);
      chunks.push(chunk);
      size += chunk.length;
    }
  } catch (err) {
    throw new WharfError('CLIENT_CLOSED', {}, { cause: err });
  }
  const body = Buffer.concat(chunks, size);
  state.replayBody = body;
  return body;
}
