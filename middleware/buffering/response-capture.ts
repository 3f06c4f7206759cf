import type { ServerResponse } from 'node:http';
import { adoptHeaders } from '../response-head.ts';
import type { SpillBuffer } from './spill-buffer.ts';

type Callback = (err?: Error | null) => void;
const METHODS = ['writeHead', 'write', 'end', 'flushHeaders', 'writeEarlyHints'] as const;

/**
 * Holds back what the handlers after the buffering middleware write to the response: the status and
 * message are kept here, headers go onto the response (so response-head edits of other middlewares see
 * them, see response-head.ts), body bytes go into a SpillBuffer. Nothing reaches the client until
 * `restore()` and the caller's own write. A write the buffer waits for on disk returns false and 'drain'
 * follows, so the proxy's backpressure works as with a socket.
 */
export class ResponseCapture {
  readonly #res: ServerResponse;
  readonly #body: SpillBuffer;
  readonly #saved = new Map<string, unknown>();
  status: number | undefined;
  message: string | undefined;
  ended = false;
  /** The first problem storing the body (BodyTooLarge or a disk error); later bytes are dropped. */
  error: unknown;

  constructor(res: ServerResponse, body: SpillBuffer) {
    this.#res = res;
    this.#body = body;
    const self = this;
    const r = res as unknown as Record<string, unknown>;
    for (const m of METHODS) if (Object.hasOwn(r, m)) this.#saved.set(m, r[m]);
    res.writeHead = function (this: ServerResponse, status: number, ...rest: unknown[]) {
      if (typeof rest[0] === 'string') self.message = rest.shift() as string;
      if (rest.length > 0) adoptHeaders(this, rest[0]);
      self.status = status;
      return this;
    } as ServerResponse['writeHead'];
    res.write = function (this: ServerResponse, chunk: unknown, encoding?: unknown, cb?: unknown) {
      const wait = self.#take(chunk, encoding, cb);
      if (wait === undefined) return true;
      wait.then(() => this.emit('drain'));
      return false;
    } as ServerResponse['write'];
    res.end = function (this: ServerResponse, chunk?: unknown, encoding?: unknown, cb?: unknown) {
      self.#take(chunk, encoding, cb);
      self.ended = true;
      return this;
    } as ServerResponse['end'];
    // Nothing goes out early: no flushed head, and interim 103 answers are dropped as oxy drops them.
    res.flushHeaders = () => {};
    res.writeEarlyHints = () => {};
  }

  /** Stores one chunk; returns a promise when the caller should wait for the disk. */
  #take(chunk: unknown, encoding: unknown, cb: unknown): Promise<void> | undefined {
    const callback = [chunk, encoding, cb].find((a) => typeof a === 'function') as Callback | undefined;
    let wait: Promise<void> | undefined;
    if (chunk !== undefined && chunk !== null && typeof chunk !== 'function' && this.error === undefined) {
      const b = Buffer.isBuffer(chunk)
        ? chunk
        : typeof chunk === 'string'
          ? Buffer.from(chunk, (typeof encoding === 'string' ? encoding : 'utf8') as BufferEncoding)
          : Buffer.from(chunk as Uint8Array);
      try {
        wait = this.#body.add(b)?.catch((err: unknown) => {
          this.error ??= err;
        });
      } catch (err) {
        // Over maxResponseBodyBytes: as oxy, the rest of the response is accepted and dropped.
        this.error = err;
      }
    }
    if (callback) (wait ?? Promise.resolve()).then(() => callback());
    return wait;
  }

  /** Gives the response its own methods back, so the caller (or the error renderer) can write to it. */
  restore(): void {
    const r = this.#res as unknown as Record<string, unknown>;
    for (const m of METHODS) {
      if (this.#saved.has(m)) r[m] = this.#saved.get(m);
      else delete r[m];
    }
  }
}
