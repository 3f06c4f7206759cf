import type { Readable } from 'node:stream';

/** A body was larger than its limit: `what` says whose (the client's request or the auth server's answer). */
export class TooLarge extends Error {
  readonly what: 'request' | 'response';
  constructor(what: 'request' | 'response') {
    super(`${what} body over its limit`);
    this.what = what;
  }
}

/**
 * Reads a stream to the end into one Buffer, stopping with TooLarge once more than `limit` bytes came
 * (-1: no limit), and with the signal's reason when it aborts. The stream is left paused on a stop.
 */
export function readLimited(
  stream: Readable,
  limit: number,
  signal: AbortSignal,
  what: 'request' | 'response',
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = () => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
      stream.off('close', onClose);
      signal.removeEventListener('abort', onAbort);
    };
    const fail = (err: unknown) => {
      done();
      stream.pause();
      reject(err);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (limit >= 0 && size > limit) fail(new TooLarge(what));
      else chunks.push(chunk);
    };
    const onEnd = () => {
      done();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = (err: Error) => fail(err);
    // A request stream closes without 'end' when the client goes away.
    const onClose = () =>
      fail(signal.aborted ? signal.reason : new Error('the stream closed before its end'));
    const onAbort = () => fail(signal.reason);
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    stream.on('data', onData);
    stream.once('end', onEnd);
    stream.once('error', onError);
    stream.once('close', onClose);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
