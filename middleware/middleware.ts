import type { IncomingMessage, ServerResponse } from 'node:http';

/** Handles one request to completion; rejects only on unexpected errors (rendered as 500 once). */
export type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/**
 * Wraps the next handler of a chain. Built once per generation, never per request. A composed chain is
 * shared by every router with the same middlewares and service (router/compile/compile.ts), so state
 * created in the `(next) =>` step is per chain, not per router; a middleware that needs per-router state
 * (Traefik's rateLimit, inFlightReq, circuitBreaker) keys it by `requestState(req).router`.
 */
export type Middleware = (next: Handler) => Handler;

/** Applies middlewares so the first in the list runs first. */
export function compose(middlewares: readonly Middleware[], last: Handler): Handler {
  let h = last;
  for (let i = middlewares.length - 1; i >= 0; i--) h = (middlewares[i] as Middleware)(h);
  return h;
}
