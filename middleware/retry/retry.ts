import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { z } from 'zod';
import { WharfError } from '../../config/errors.ts';
import { RETRY_DEFAULT_MAX_REQUEST_BODY_BYTES, type RetrySchema } from '../../config/middlewares/retry.ts';
import type { Clock } from '../clock.ts';
import { parseStatusRanges, type StatusRanges } from '../errors/status-ranges.ts';
import type { Handler, Middleware, MiddlewareDefinition } from '../middleware.ts';
import { requestState } from '../request-state.ts';
import { dropHeadEditsSince, headEditMark } from '../response-head.ts';
import { AttemptGuard } from './attempt-guard.ts';
import { RetryBackoff } from './backoff.ts';
import { bodyReplayable, NON_IDEMPOTENT_METHODS, retriesStatus, shouldRetry } from './decision.ts';
import { keepBodyForReplay } from './replay-body.ts';

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
 * Traefik's retry middleware (pkg/middlewares/retry). An attempt is tried again, up to `attempts` tries in
 * all, after an exponential backoff from `initialInterval`, while the client has received nothing, when:
 * - it could not reach a server (refused, unresolvable, connect timeout, TLS handshake failure; see
 *   decision.ts), unless `disableRetryOnNetworkError`, and the body can be sent again; or
 * - its response status (or the status a thrown failure stands for) is in `status`, for a method that may
 *   be repeated (not POST, PATCH or LOCK unless `retryNonIdempotentMethod`) and a body of at most
 *   `maxRequestBodyBytes`, kept in memory for the replays (replay-body.ts). Such a response never reaches
 *   the client: its head and body are dropped as they come (attempt-guard.ts).
 * Not once `timeout` has passed since the first attempt started. Each try goes through the rest of the
 * chain, so a load balancer picks a server again. The last try runs unguarded: its outcome is the answer.
 * `random` is for tests.
 */
export function createRetry(
  options: RetryOptions,
  clock: Clock,
  random: () => number = Math.random,
): Middleware {
  const attempts = options.attempts;
  const initial = options.initialInterval ?? 0;
  const timeoutMs = options.timeout ?? 0;
  const statusRanges = parseStatusRanges(options.status ?? []);
  const maxBody = options.maxRequestBodyBytes ?? RETRY_DEFAULT_MAX_REQUEST_BODY_BYTES;
  const networkErrors = options.disableRetryOnNetworkError !== true;
  const anyMethod = options.retryNonIdempotentMethod === true;
  return (next: Handler): Handler => {
    if (attempts <= 1) return next;
    return async (req, res) => {
      const state = requestState(req);
      let statuses: StatusRanges = [];
      if (statusRanges.length > 0 && (anyMethod || !NON_IDEMPOTENT_METHODS.has(req.method ?? 'GET'))) {
        // A body too large to keep is forwarded once and not retried on status.
        if (await keepBodyForReplay(req, state, maxBody)) statuses = statusRanges;
      }
      const start = clock.now();
      const backoff = new RetryBackoff(initial, attempts, start, random);
      const before = res.getHeaders();
      const editsBefore = headEditMark(res);
      for (let attempt = 1; ; attempt++) {
        if (attempt === attempts) return next(req, res);
        // The wait before the next try, drawn when this try's outcome is known; undefined: give up.
        let wait: number | undefined;
        const guard =
          statuses.length > 0
            ? new AttemptGuard(res, (status) => {
                if (!retriesStatus(status, statuses, clock.now() - start, timeoutMs)) return false;
                wait = backoff.next(clock.now());
                return wait !== undefined;
              })
            : undefined;
        try {
          await next(req, res);
          guard?.restore();
          if (guard?.discarded === undefined) return;
        } catch (error) {
          guard?.restore();
          if (guard?.discarded === undefined) {
            const retry = shouldRetry({
              error,
              responseStarted: res.headersSent,
              bodyReplayable: bodyReplayable(req.headers, state.replayBody, req),
              elapsedMs: clock.now() - start,
              timeoutMs,
              networkErrors,
              statuses,
            });
            if (!retry) throw error;
            wait = backoff.next(clock.now());
            if (wait === undefined) throw error;
          }
        }
        state.retryAttempts = attempt;
        resetHeaders(res, before);
        // Edits a failed try added (a sticky cookie, a service's headers) are for that try only.
        dropHeadEditsSince(res, editsBefore);
        await pause(clock, wait as number, res);
      }
    };
  };
}

/** The retry middleware's definition: no state across requests, time from the middleware clock. */
export const retry: MiddlewareDefinition<RetryOptions> = {
  create: (options, ctx) => ({ wrap: createRetry(options, ctx.clock) }),
};
