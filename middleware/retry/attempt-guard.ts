import type { ServerResponse } from 'node:http';

const METHODS = ['writeHead', 'write', 'end', 'flushHeaders', 'writeEarlyHints', 'destroy'] as const;
type Callback = (err?: Error | null) => void;

/**
 * Stands between one attempt of the retry middleware (not the last) and the client, as Traefik's retry
 * responseWriter does: when the attempt's response head comes, `discard(status)` says whether the attempt
 * is to be retried. If so, the head and every body byte are dropped (writes succeed at once, so the proxy
 * reads the upstream response to its end and its connection is reused), and so is a destroy of the
 * response by the proxy when the upstream breaks mid-body: the client never sees that attempt. Otherwise
 * the response gets its own methods back at once and the head goes out: the body streams with no cost.
 * Interim answers (103 Early Hints) of an attempt that may be retried are dropped, as Traefik drops them.
 */
export class AttemptGuard {
  readonly #res: ServerResponse;
  readonly #saved = new Map<string, unknown>();
  #restored = false;
  /** The status of the head held back; undefined while none was (or the head went out). */
  discarded: number | undefined;

  constructor(res: ServerResponse, discard: (status: number) => boolean) {
    this.#res = res;
    const r = res as unknown as Record<string, unknown>;
    for (const m of METHODS) if (Object.hasOwn(r, m)) this.#saved.set(m, r[m]);
    const self = this;
    /** True when the head about to go out (or already held) is dropped; false gives the response back. */
    const holds = (status: number): boolean => {
      if (self.discarded !== undefined) return true;
      if (discard(status)) {
        self.discarded = status;
        return true;
      }
      self.restore();
      return false;
    };
    const done = (args: unknown[]) => {
      const cb = args.find((a) => typeof a === 'function') as Callback | undefined;
      if (cb) queueMicrotask(() => cb());
    };
    res.writeHead = function (this: ServerResponse, status: number, ...rest: unknown[]) {
      if (holds(status)) return this;
      return (this.writeHead as (...a: unknown[]) => ServerResponse).call(this, status, ...rest);
    } as ServerResponse['writeHead'];
    res.write = function (this: ServerResponse, ...args: unknown[]) {
      if (holds(this.statusCode)) {
        done(args);
        return true;
      }
      return (this.write as (...a: unknown[]) => boolean).apply(this, args);
    } as ServerResponse['write'];
    res.end = function (this: ServerResponse, ...args: unknown[]) {
      if (holds(this.statusCode)) {
        done(args);
        return this;
      }
      return (this.end as (...a: unknown[]) => ServerResponse).apply(this, args);
    } as ServerResponse['end'];
    res.flushHeaders = function (this: ServerResponse) {
      if (!holds(this.statusCode)) this.flushHeaders();
    };
    res.writeEarlyHints = function (this: ServerResponse, ...args: unknown[]) {
      if (self.#restored) (this.writeEarlyHints as (...a: unknown[]) => void).apply(this, args);
      else done(args);
    } as ServerResponse['writeEarlyHints'];
    res.destroy = function (this: ServerResponse, ...args: unknown[]) {
      if (self.discarded !== undefined) return this;
      return (self.#original('destroy') as (...a: unknown[]) => ServerResponse).apply(this, args);
    } as ServerResponse['destroy'];
  }

  /** The response's own method `m`, whether or not the guard still stands. */
  #original(m: (typeof METHODS)[number]): unknown {
    return this.#saved.has(m)
      ? this.#saved.get(m)
      : (Object.getPrototypeOf(this.#res) as Record<string, unknown>)[m];
  }

  /** Gives the response its own methods back (once; later calls do nothing). */
  restore(): void {
    if (this.#restored) return;
    this.#restored = true;
    const r = this.#res as unknown as Record<string, unknown>;
    for (const m of METHODS) {
      if (this.#saved.has(m)) r[m] = this.#saved.get(m);
      else delete r[m];
    }
  }
}
