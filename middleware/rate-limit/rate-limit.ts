import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';
import type { RateLimitSchema } from '../../config/middlewares/rate-limit.ts';
import { goDurationString } from '../go-duration.ts';
import type { Handler, MiddlewareContext, MiddlewareDefinition, MiddlewareRuntime } from '../middleware.ts';
import { plainError } from '../plain-error.ts';
import { compileSourceCriterion } from '../source-criterion.ts';
import { RedisBuckets } from './redis-buckets.ts';
import { planRedis } from './redis-options.ts';
import type { BucketDecision } from './redis-token-bucket.ts';
import { MAX_SOURCES, TokenBuckets } from './token-buckets.ts';

type RateLimitOptions = z.infer<typeof RateLimitSchema>;

/** Traefik's rate figures for given options (pkg/middlewares/ratelimiter/rate_limiter.go). */
export interface RateLimitPlan {
  /** Tokens per second; Infinity: no limit (average 0). */
  readonly rate: number;
  readonly burst: number;
  /** Longest wait, in nanoseconds, a request is held for its token instead of being refused. */
  readonly maxDelayNs: number;
}

/**
 * Traefik's arithmetic: rate = average / period (period 0 or absent: 1s; negative: an error), burst at
 * least 1, and the longest wait 1 / (2 × rate) computed with Go's integer durations (the rate truncated
 * to whole requests per second), or 0.5s when the rate is below one per second.
 */
export function planRateLimit(
  options: Pick<RateLimitOptions, 'average' | 'period' | 'burst'>,
): RateLimitPlan {
  const periodNs = Math.round((options.period ?? 0) * 1e6);
  if (periodNs < 0)
    throw new Error(`period ${options.period}ms is negative: give a positive duration, e.g. 1s`);
  const burst = Math.max(options.burst ?? 1, 1);
  const average = options.average ?? 0;
  if (average <= 0) return { rate: Number.POSITIVE_INFINITY, burst, maxDelayNs: 0 };
  const rate = (average * 1e9) / (periodNs === 0 ? 1e9 : periodNs);
  const maxDelayNs = rate < 1 ? 500e6 : Math.trunc(1e9 / (Math.trunc(rate) * 2));
  return { rate, burst, maxDelayNs };
}

/**
 * Limits each source (sourceCriterion, by default the peer address) to `average` requests per `period`
 * with bursts of `burst`, as Traefik's in-memory rateLimit: a request whose token comes within the
 * longest wait is held until then; a later one is answered 429 `Too Many Requests` with `Retry-After`
 * (whole seconds, rounded up) and `X-Retry-In` (Go's duration text). One instance per router, as Traefik
 * builds one per router; its buckets survive reloads that leave its options unchanged.
 */
export const rateLimit: MiddlewareDefinition<RateLimitOptions> = {
  perRouter: true,
  create: (options, ctx) => build(options, ctx),
};

function build(options: RateLimitOptions, ctx: MiddlewareContext): MiddlewareRuntime {
  const plan = planRateLimit(options);
  const criterion = compileSourceCriterion(options.sourceCriterion, 'ipStrategy');
  for (const text of criterion.ignored) ctx.logger.warn({ middleware: ctx.name }, text);
  // average 0: Traefik's infinite rate lets every request through at once; nothing to remember.
  if (plan.rate === Number.POSITIVE_INFINITY) return { wrap: (next) => next };
  if (options.redis !== undefined) return redisRateLimit(options.redis, plan, criterion.source, ctx);
  const buckets = new TokenBuckets(plan.rate, plan.burst, MAX_SOURCES);
  const source = criterion.source;
  const clock = ctx.clock;
  const { maxDelayNs } = plan;
  return {
    wrap: (next) => (req, res) => {
      const wait = buckets.take(source(req), clock.now(), maxDelayNs);
      if (wait === 0) return next(req, res);
      if (wait > maxDelayNs) {
        ctx.logger.debug({ middleware: ctx.name, router: ctx.router }, 'rateLimit: request refused');
        tooManyRequests(req, res, wait);
        return Promise.resolve();
      }
      return holdThen(req, res, wait, () => next(req, res), ctx);
    },
  };
}

/**
 * The same limit with its buckets in Redis (Traefik's redisLimiter): one atomic check per request; when
 * Redis cannot answer, the request is answered 500 `Could not insert/update bucket`, as Traefik does
 * (it fails closed), and RedisBuckets logs the outage once.
 */
function redisRateLimit(
  redis: NonNullable<RateLimitOptions['redis']>,
  plan: RateLimitPlan,
  source: (req: IncomingMessage) => string,
  ctx: MiddlewareContext,
): MiddlewareRuntime {
  const connection = planRedis(redis);
  const logFields = { middleware: ctx.name, router: ctx.router };
  for (const text of connection.ignored) ctx.logger.warn(logFields, text);
  const buckets = new RedisBuckets({
    ...plan,
    plan: connection,
    middleware: ctx.name,
    logger: ctx.logger,
    logFields,
  });
  const check = async (req: IncomingMessage, res: ServerResponse, next: Handler): Promise<void> => {
    let decision: BucketDecision;
    try {
      decision = await buckets.take(source(req));
    } catch {
      // Logged by RedisBuckets once per outage, not per request.
      if (!res.headersSent && !res.destroyed) plainError(res, 500, 'Could not insert/update bucket\n');
      return;
    }
    if (decision.waitNs === 0) return next(req, res);
    if (!decision.taken) {
      ctx.logger.debug(logFields, 'rateLimit: request refused');
      tooManyRequests(req, res, decision.waitNs);
      return;
    }
    return holdThen(req, res, decision.waitNs, () => next(req, res), ctx);
  };
  return { wrap: (next) => (req, res) => check(req, res, next), close: () => buckets.close() };
}

/** Waits `ns` on the clock, then runs `go`; a client that leaves meanwhile is not served (its token stays spent, as in Traefik). */
function holdThen(
  req: IncomingMessage,
  res: ServerResponse,
  ns: number,
  go: () => Promise<void>,
  ctx: MiddlewareContext,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const gone = () => {
      timer.cancel();
      resolve();
    };
    const timer = ctx.clock.setTimeout(() => {
      res.off('close', gone);
      go().then(resolve, reject);
    }, ns / 1e6);
    res.once('close', gone);
    if (req.destroyed) gone();
  });
}

/** Traefik's serveDelayError: Retry-After, X-Retry-In, then the status text written as a Go handler would (sniffed as plain text). */
function tooManyRequests(req: IncomingMessage, res: ServerResponse, waitNs: number): void {
  const body = 'Too Many Requests';
  res.writeHead(429, {
    'retry-after': String(Math.ceil(waitNs / 1e9)),
    'x-retry-in': goDurationString(waitNs),
    'content-type': 'text/plain; charset=utf-8',
    'content-length': body.length,
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}
