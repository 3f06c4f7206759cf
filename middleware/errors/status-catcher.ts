import type { ServerResponse } from 'node:http';

const METHODS = ['writeHead', 'write', 'end', 'flushHeaders'] as const;
type Callback = (err?: Error | null) => void;

/**
 * Watches the status the handlers after the errors middleware answer with (Traefik's codeCatcher). A
 * status outside `catches` goes through untouched: the response's own methods are given back at once, so
 * the body streams with no cost. A caught status is held back with its body, which is dropped, so the
 * error page can be sent instead; `caught` says which status it was.
 */
export class StatusCatcher {
  readonly #res: ServerResponse;
  readonly #saved = new Map<string, unknown>();
  #restored = false;
  caught: number | undefined;

  constructor(res: ServerResponse, catches: (status: number) => boolean) {
    this.#res = res;
    const r = res as unknown as Record<string, unknown>;
    for (const m of METHODS) if (Object.hasOwn(r, m)) this.#saved.set(m, r[m]);
    // True when the head about to go out has a caught status; otherwise the response is given back.
    const catchHead = (status: number): boolean => {
      if (this.caught !== undefined) return true;
      if (catches(status)) {
        this.caught = status;
        return true;
      }
      this.restore();
      return false;
    };
    const done = (args: unknown[]) => {
      const cb = args.find((a) => typeof a === 'function') as Callback | undefined;
      if (cb) queueMicrotask(() => cb());
    };
    res.writeHead = function (this: ServerResponse, status: number, ...rest: unknown[]) {
      if (catchHead(status)) return this;
      return (this.writeHead as (...a: unknown[]) => ServerResponse).call(this, status, ...rest);
    } as ServerResponse['writeHead'];
    res.write = function (this: ServerResponse, ...args: unknown[]) {
      if (catchHead(this.statusCode)) {
        done(args);
        return true;
      }
      return (this.write as (...a: unknown[]) => boolean).apply(this, args);
    } as ServerResponse['write'];
    res.end = function (this: ServerResponse, ...args: unknown[]) {
      if (catchHead(this.statusCode)) {
        done(args);
        return this;
      }
      return (this.end as (...a: unknown[]) => ServerResponse).apply(this, args);
    } as ServerResponse['end'];
    res.flushHeaders = function (this: ServerResponse) {
      if (!catchHead(this.statusCode)) this.flushHeaders();
    };
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

/**
 * Makes every head written to `res` carry `status` (Traefik's codeModifier): the error page goes out with
 * the original (or rewritten) status whatever the page service answered. Returns the undo.
 */
export function forceStatus(res: ServerResponse, status: number): () => void {
  const own = Object.hasOwn(res, 'writeHead');
  const original = res.writeHead;
  res.writeHead = function (this: ServerResponse, _status: number, ...rest: unknown[]) {
    // The page's reason phrase belongs to its own status: dropped, Node writes the forced status's.
    if (typeof rest[0] === 'string') rest.shift();
    return (original as (...a: unknown[]) => ServerResponse).call(this, status, ...rest);
  } as ServerResponse['writeHead'];
  return () => {
    if (own) res.writeHead = original;
    else delete (res as unknown as Record<string, unknown>).writeHead;
  };
}
