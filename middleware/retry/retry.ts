import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { z } from 'zod';
import { WharfError } from '../../config/errors.ts';
import type { RetrySchema } from '../../config/middlewares/retry.ts';
import type { Clock } from '../clock.ts';
import type { Handler, Middleware, MiddlewareDefinition } from '../middleware.ts';
import { requestState } from '../request-state.ts';
import { dropHeadEditsSince, headEditMark } from '../response-head.ts';
import { RetryBackoff } from './backoff.ts';
import { bodyReplayable, shouldRetry } from './decision.ts';

/** The retry middleware's options, as validated by RetrySchema (durations in milliseconds). */
export type RetryOptions = z.infer<typeof RetrySchema>;

/** Headers back to what they were before the failed attempt's handlers set theirs. */
function resetHeaders(res: ServerResponse, before: OutgoingHttpHeaders): void {
  for (const name of res.getHeaderNames()) res.removeHeader(name);
  for (const [name, value] of Object.entries(before)) if (value !== undefined) res.setHeader(name, value);
}

/** Waits `ms` on `clock`; rejects with CLIENT_CLOSED if the client goes away meanwhile. */
function pause(clock: Clock, ms: number, res: ServerResponse): Promise<void> {
  if (res.destroyed) return Promise.reject(new WharfError('CLIENT_CLOSED'));
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onClose = () => {
      timer.cancel();
      reject(new WharfError('CLIENT_CLOSED'));
    };
    const timer = clock.setTimeout(() => {
      res.off('close', onClose);
      resolve();
    }, ms);
    res.once('close', onClose);
  });
}

/**
 * Traefik's retry middleware: a request that could not reach a server (refused, unresolvable, connect
 * timeout, TLS handshake failure; see decision.ts) is tried again, up to `attempts` tries in all, after an
 * exponential backoff from `initialInterval`, while the client has received nothing and the body can be
 * sent again. Each try goes through the rest of the chain, so a load balancer picks a server again (the
 * next one in its rotation). The last try's outcome is the answer. `random` is for tests.
 */
export function createRetry(
  options: RetryOptions,
  clock: Clock,
  random: () => number = Math.random,
): Middleware {
  const attempts = options.attempts;
  const initial = options.initialInterval ?? 0;
  const timeoutMs = options.timeout ?? 0;
  return (next: Handler): Handler => {
    if (attempts <= 1) return next;
    return async (req, res) => {
      const state = requestState(req);
      const start = clock.now();
      const backoff = new RetryBackoff(initial, attempts, start, random);
      const before = res.getHeaders();
      const editsBefore = headEditMark(res);
      for (let attempt = 1; ; attempt++) {
        try {
          await next(req, res);
          return;
        } catch (error) {
          if (attempt >= attempts) throw error;
          const retry = shouldRetry({
            error,
            responseStarted: res.headersSent,
            bodyReplayable: bodyReplayable(req.headers, state.replayBody, req),
            elapsedMs: clock.now() - start,
            timeoutMs,
          });
          if (!retry) throw error;
          const wait = backoff.next(clock.now());
          if (wait === undefined) throw error;
          state.retryAttempts = attempt;
          resetHeaders(res, before);
          // Edits a failed try added (a sticky cookie, a service's headers) are for that try only.
          dropHeadEditsSince(res, editsBefore);
          await pause(clock, wait, res);
        }
      }
    };
  };
}

/** The retry middleware's definition: no state across requests, time from the middleware clock. */
export const retry: MiddlewareDefinition<RetryOptions> = {
  create: (options, ctx) => ({ wrap: createRetry(options, ctx.clock) }),
};
