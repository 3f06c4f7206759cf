import type { ServerResponse } from 'node:http';

/** A response method an interceptor may stand in for until it gives the response back. */
export type InterceptedMethod =
  | 'writeHead'
  | 'write'
  | 'end'
  | 'flushHeaders'
  | 'writeEarlyHints'
  | 'destroy';

/** The methods that send a response head, which every ResponseInterceptor stands in for. */
export const HEAD_METHODS: readonly InterceptedMethod[] = ['writeHead', 'write', 'end', 'flushHeaders'];

type Callback = (err?: Error | null) => void;

/** Calls the callback among a dropped write's arguments, later, as Node calls it for a write that succeeded. */
export function acknowledgeWrite(args: readonly unknown[]): void {
  const cb = args.find((a) => typeof a === 'function') as Callback | undefined;
  if (cb) queueMicrotask(() => cb());
}

/**
 * Stands between the handlers after a middleware and the client, and decides at the response head: when
 * the head is about to go out (writeHead, or implicitly by write, end or flushHeaders), `hold(status)` says
 * whether it is held back. A held head never goes out and every body byte after it is dropped (writes
 * succeed at once, so whoever writes, such as the proxy streaming an upstream body, runs to its end and its
 * connection is reused); `held` says which status it was. A head that is not held gives the response its
 * own methods back at once, before it goes out, so the body streams with no cost. The caller calls
 * `restore()` when the handlers are done, whatever happened. Used by retry's attempts
 * (retry/attempt-guard.ts), errors and failover (errors/status-catcher.ts).
 */
export class ResponseInterceptor {
  readonly #res: ServerResponse;
  readonly #methods: readonly InterceptedMethod[];
  /** The methods the response had as its own (usually none: they come from its prototype). */
  readonly #saved = new Map<string, unknown>();
  #restored = false;
  /** The status of the head held back; undefined while none was (or the head went out). */
  held: number | undefined;

  /**
   * `methods`: every method this interceptor stands in for, HEAD_METHODS (patched here) and those a
   * subclass patches after super(); restore() gives them all back.
   */
  constructor(
    res: ServerResponse,
    hold: (status: number) => boolean,
    methods: readonly InterceptedMethod[] = HEAD_METHODS,
  ) {
    this.#res = res;
    this.#methods = methods;
    const r = res as unknown as Record<string, unknown>;
    for (const m of methods) if (Object.hasOwn(r, m)) this.#saved.set(m, r[m]);
    /** True when the head about to go out (or already held) is dropped; false gives the response back. */
    const holds = (status: number): boolean => {
      if (this.held !== undefined) return true;
      if (hold(status)) {
        this.held = status;
        return true;
      }
      this.restore();
      return false;
    };
    // Plain property stores, not a loop over names: this runs per request, and V8 keeps named stores fast.
    res.writeHead = function (this: ServerResponse, status: number, ...rest: unknown[]) {
      if (holds(status)) return this;
      return (this.writeHead as (...a: unknown[]) => ServerResponse).call(this, status, ...rest);
    } as ServerResponse['writeHead'];
    res.write = function (this: ServerResponse, ...args: unknown[]) {
      if (holds(this.statusCode)) {
        acknowledgeWrite(args);
        return true;
      }
      return (this.write as (...a: unknown[]) => boolean).apply(this, args);
    } as ServerResponse['write'];
    res.end = function (this: ServerResponse, ...args: unknown[]) {
      if (holds(this.statusCode)) {
        acknowledgeWrite(args);
        return this;
      }
      return (this.end as (...a: unknown[]) => ServerResponse).apply(this, args);
    } as ServerResponse['end'];
    res.flushHeaders = function (this: ServerResponse) {
      if (!holds(this.statusCode)) this.flushHeaders();
    };
  }

  /** Whether the response has its own methods back. */
  protected get restored(): boolean {
    return this.#restored;
  }

  /** The response's own method `m`, whether or not the interceptor still stands. */
  protected original(m: InterceptedMethod): unknown {
    return this.#saved.has(m)
      ? this.#saved.get(m)
      : (Object.getPrototypeOf(this.#res) as Record<string, unknown>)[m];
  }

  /** Gives the response its own methods back (once; later calls do nothing). */
  restore(): void {
    if (this.#restored) return;
    this.#restored = true;
    const r = this.#res as unknown as Record<string, unknown>;
    for (const m of this.#methods) {
      if (this.#saved.has(m)) r[m] = this.#saved.get(m);
      else delete r[m];
    }
  }
}
