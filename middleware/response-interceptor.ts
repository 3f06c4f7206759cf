import type { ServerResponse } from 'node:http';

/** A response method an interceptor may stand in for until it gives the response back. */
export type InterceptedMethod =
  | 'writeHead'
  | 'write'
  | 'end'
  | 'flushHeaders'
  | 'writeEarlyHints'
  | 'destroy';

type Callback = (err?: Error | null) => void;

/** Saved in place of a method the response did not have as its own (it came from the prototype). */
const INHERITED = Symbol('wharf.inherited');

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
 * `restore()` when the handlers are done, whatever happened. Used by retry (its attempts,
 * retry/attempt-guard.ts), errors and failover (errors/status-catcher.ts); a subclass may stand in for
 * more methods with `intercept`.
 */
export class ResponseInterceptor {
  readonly #res: ServerResponse;
  /** Each intercepted method's own function, or INHERITED. */
  readonly #saved = new Map<InterceptedMethod, unknown>();
  #restored = false;
  /** The status of the head held back; undefined while none was (or the head went out). */
  held: number | undefined;

  constructor(res: ServerResponse, hold: (status: number) => boolean) {
    this.#res = res;
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
    this.intercept('writeHead', function (this: ServerResponse, status: number, ...rest: unknown[]) {
      if (holds(status)) return this;
      return (this.writeHead as (...a: unknown[]) => ServerResponse).call(this, status, ...rest);
    });
    this.intercept('write', function (this: ServerResponse, ...args: unknown[]) {
      if (holds(this.statusCode)) {
        acknowledgeWrite(args);
        return true;
      }
      return (this.write as (...a: unknown[]) => boolean).apply(this, args);
    });
    this.intercept('end', function (this: ServerResponse, ...args: unknown[]) {
      if (holds(this.statusCode)) {
        acknowledgeWrite(args);
        return this;
      }
      return (this.end as (...a: unknown[]) => ServerResponse).apply(this, args);
    });
    this.intercept('flushHeaders', function (this: ServerResponse) {
      if (!holds(this.statusCode)) this.flushHeaders();
    });
  }

  /** Whether the response has its own methods back. */
  protected get restored(): boolean {
    return this.#restored;
  }

  /** Puts `fn` in place of the response's method `m` until restore(). */
  protected intercept(m: InterceptedMethod, fn: (this: ServerResponse, ...args: never[]) => unknown): void {
    const r = this.#res as unknown as Record<string, unknown>;
    this.#saved.set(m, Object.hasOwn(r, m) ? r[m] : INHERITED);
    r[m] = fn;
  }

  /** The response's own method `m`, whether or not it is still intercepted. */
  protected original(m: InterceptedMethod): unknown {
    const own = this.#saved.get(m);
    return own === undefined || own === INHERITED
      ? (Object.getPrototypeOf(this.#res) as Record<string, unknown>)[m]
      : own;
  }

  /** Gives the response its own methods back (once; later calls do nothing). */
  restore(): void {
    if (this.#restored) return;
    this.#restored = true;
    const r = this.#res as unknown as Record<string, unknown>;
    for (const [m, own] of this.#saved) {
      if (own === INHERITED) delete r[m];
      else r[m] = own;
    }
  }
}
