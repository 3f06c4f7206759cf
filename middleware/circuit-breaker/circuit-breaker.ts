import type { z } from 'zod';
import { errorStatus, WharfError } from '../../config/errors.ts';
import type { CircuitBreakerSchema } from '../../config/middlewares/circuit-breaker.ts';
import { goStatusText } from '../go-status-text.ts';
import type { MiddlewareDefinition } from '../middleware.ts';
import { Breaker } from './breaker.ts';
import { compileCondition } from './expression.ts';

type CircuitBreakerOptions = z.infer<typeof CircuitBreakerSchema>;

/** oxy's defaults, which Traefik keeps for a duration of zero or less. */
const DEFAULTS = { checkPeriod: 100, fallbackDuration: 10_000, recoveryDuration: 10_000 };

/**
 * Traefik's circuitBreaker: one breaker per router (Traefik builds one per router, so one failing route
 * does not cut the others), which answers `responseCode` (default 503) with Go's status text while tripped.
 * The breaker's state lives in the instance, which a reload keeps while the options are unchanged.
 */
export const circuitBreaker: MiddlewareDefinition<CircuitBreakerOptions> = {
  perRouter: true,
  create: (options, ctx) => {
    const condition = compileCondition(options.expression);
    const status = responseStatus(options.responseCode);
    const positive = (v: number | undefined, d: number) => (v !== undefined && v > 0 ? v : d);
    const breaker = new Breaker(
      condition,
      {
        checkPeriod: positive(options.checkPeriod, DEFAULTS.checkPeriod),
        fallbackDuration: positive(options.fallbackDuration, DEFAULTS.fallbackDuration),
        recoveryDuration: positive(options.recoveryDuration, DEFAULTS.recoveryDuration),
      },
      ctx.clock,
    );
    const body = goStatusText(status);
    const clock = ctx.clock;
    return {
      status: () => {
        const until = breaker.until;
        return until === undefined
          ? { state: breaker.state }
          : { state: breaker.state, until: new Date(until).toISOString() };
      },
      wrap: (next) => async (req, res) => {
        const before = breaker.state;
        const admitted = breaker.admit();
        if (breaker.state !== before) logChange(before);
        if (!admitted) {
          // Go's WriteHeader then Write(StatusText): plain text, no body where HTTP forbids one.
          if (status === 204 || status === 304) res.writeHead(status).end();
          else
            res
              .writeHead(status, {
                'content-type': 'text/plain; charset=utf-8',
                'content-length': Buffer.byteLength(body),
              })
              .end(req.method === 'HEAD' ? undefined : body);
          return;
        }
        const start = clock.now();
        let thrown: unknown;
        try {
          await next(req, res);
        } catch (err) {
          thrown = err ?? new Error('rejected');
          throw err;
        } finally {
          // The proxy signals a failed exchange by throwing a WharfError, which the router renders with
          // its catalog status (UPSTREAM_UNREACHABLE 502, UPSTREAM_TIMEOUT 504, anything else 500): the
          // status the client gets is what is counted, as oxy counts what Traefik's proxy wrote.
          const code =
            thrown === undefined || res.headersSent
              ? res.statusCode
              : thrown instanceof WharfError
                ? errorStatus(thrown.code)
                : 500;
          const was = breaker.state;
          breaker.record(code, clock.now() - start);
          if (breaker.state !== was) logChange(was);
        }
      },
    };

    /** Logs a change of state once (a tripped breaker is a warning: the service is being cut off). */
    function logChange(previous: string): void {
      const fields = { middleware: ctx.name, router: ctx.router, state: breaker.state, previous };
      if (breaker.state === 'tripped') ctx.logger.warn(fields, 'circuitBreaker tripped');
      else ctx.logger.info(fields, `circuitBreaker ${breaker.state}`);
    }
  },
};

/** Traefik's default (0 or absent: 503) and a status Go has a text for; Wharf also refuses 1xx. */
function responseStatus(code: number | undefined): number {
  if (code === undefined || code === 0) return 503;
  if (code < 200 || goStatusText(code) === '')
    throw new Error(
      `responseCode ${code} is not a usable HTTP status: give a final status from 200 to 599 that HTTP names, e.g. 503`,
    );
  return code;
}
