import type { IncomingMessage, ServerResponse } from 'node:http';

/** Handles one request to completion; rejects only on unexpected errors (rendered as 500 once). */
export type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/** Wraps the next handler of a chain. Built once per generation, never per request. */
export type Middleware = (next: Handler) => Handler;

/** Applies middlewares so the first in the list runs first. */
export function compose(middlewares: readonly Middleware[], last: Handler): Handler {
  let h = last;
  for (let i = middlewares.length - 1; i >= 0; i--) h = (middlewares[i] as Middleware)(h);
  return h;
}
