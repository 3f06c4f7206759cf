import type { ServerResponse } from 'node:http';
import { ResponseInterceptor } from '../response-interceptor.ts';

/**
 * Watches the status the handlers after the errors middleware (or a failover's main service) answer with
 * (Traefik's codeCatcher). A status the given predicate does not catch goes through untouched: the response's own methods
 * are given back at once, so the body streams with no cost. A caught status is held back with its body,
 * which is dropped (../response-interceptor.ts), so the error page can be sent instead; `caught` says which
 * status it was.
 */
export class StatusCatcher extends ResponseInterceptor {
  /** The status held back; undefined while none was (or the head went out). */
  get caught(): number | undefined {
    return this.held;
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
