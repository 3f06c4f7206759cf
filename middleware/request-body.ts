import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { WharfError } from '../config/errors.ts';
import type { RequestState } from './request-state.ts';

// The request body as the middlewares that must see it before the service share it: whoever reads it first
// leaves it in `state.replayBody` (a Buffer when read whole, else a stream of the bytes read followed by the
// rest), and the forwarder sends that instead of the request stream.

/** Whether the request announces a body (Content-Length other than 0, or Transfer-Encoding). */
export function hasBody(headers: IncomingHttpHeaders): boolean {
  const length = headers['content-length'];
  return (length !== undefined && length !== '0') || headers['transfer-encoding'] !== undefined;
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

/** What peekBody read: the bytes (at most max + 1), and whether they are the whole body. */
export interface PeekedBody {
  readonly bytes: Buffer;
  readonly whole: boolean;
}

/**
 * Reads the request body (or the one an earlier middleware left in `state.replayBody`) up to `max + 1`
 * bytes (`max` negative: all of it), one byte past the limit being enough to know it is larger, as Traefik
 * reads. Afterwards `state.replayBody` forwards the body intact: the Buffer when it was read whole, else the
 * bytes read followed by the rest of the stream. Undefined when the request has no body. Rejects with
 * CLIENT_CLOSED when the client goes away mid-body.
 */
export async function peekBody(
  req: IncomingMessage,
  state: RequestState,
  max: number,
): Promise<PeekedBody | undefined> {
  const kept = state.replayBody;
  if (Buffer.isBuffer(kept)) {
    const whole = max < 0 || kept.length <= max;
    return { bytes: whole ? kept : kept.subarray(0, max + 1), whole };
  }
  const source: Readable | undefined = kept ?? (hasBody(req.headers) ? req : undefined);
  if (source === undefined) return undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  const it = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  try {
    for (;;) {
      if (max >= 0 && size > max) {
        state.replayBody = Readable.from(peeked(chunks, it), { objectMode: false });
        return { bytes: Buffer.concat(chunks, size).subarray(0, max + 1), whole: false };
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
  const bytes = Buffer.concat(chunks, size);
  state.replayBody = bytes;
  return { bytes, whole: true };
}
