import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { WharfError } from '../../config/errors.ts';
import type { RequestState } from '../request-state.ts';

// The request body of a request the retry middleware may repeat on a status (Traefik's
// mirror.NewReusableRequest): read up front, at most `maxRequestBodyBytes` of it kept in memory to be sent
// again with each attempt. A larger body is not kept: the bytes read so far are put back in front of the
// rest of the stream, which is forwarded once, and that request is not retried on status (network errors,
// which never send a byte of the body, still are).

function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return (length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined;
}

/** The bytes read so far, then the rest of the body as it comes. */
async function* peeked(chunks: Buffer[], rest: AsyncIterator<Buffer>): AsyncGenerator<Buffer> {
  yield* chunks;
  for (;;) {
    const r = await rest.next();
    if (r.done) return;
    yield r.value;
  }
}

/**
 * Makes the request body replayable for status retries: on return `state.replayBody` holds it whole in
 * memory (or there is no body), and the result is true; false when it is larger than `max` bytes (negative:
 * no limit), with `state.replayBody` then forwarding it whole once. Rejects with CLIENT_CLOSED when the
 * client goes away while its body is read.
 */
export async function keepBodyForReplay(
  req: IncomingMessage,
  state: RequestState,
  max: number,
): Promise<boolean> {
  const kept = state.replayBody;
  // Another middleware (buffering, forwardAuth's forwardBody) already holds it in memory.
  if (Buffer.isBuffer(kept)) return max < 0 || kept.length <= max;
  const source: Readable | undefined = kept ?? (hasBody(req) ? req : undefined);
  if (source === undefined) return true;
  const chunks: Buffer[] = [];
  let size = 0;
  const it = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  try {
    for (;;) {
      // One byte past the limit is enough to know the body is too large, as Traefik reads max+1 bytes.
      if (max >= 0 && size > max) {
        state.replayBody = Readable.from(peeked(chunks, it), { objectMode: false });
        return false;
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
  state.replayBody = Buffer.concat(chunks, size);
  return true;
}
