import type { z } from 'zod';
import type { InFlightReqSchema } from '../../config/middlewares/in-flight-req.ts';
import type { MiddlewareDefinition } from '../middleware.ts';
import { compileSourceCriterion } from '../source-criterion.ts';

type InFlightReqOptions = z.infer<typeof InFlightReqSchema>;

/**
 * Lets at most `amount` requests of one source (sourceCriterion, by default the request Host) be in
 * progress at once, as Traefik's inFlightReq (oxy's connlimit): one more is answered 429 with the body
 * `max connections reached: <amount>`. A request stops counting when the next handler settles or its
 * response closes, whichever comes first, so client aborts, upstream errors and timeouts all release it.
 * One instance per router, as Traefik builds one per router; counters survive unchanged reloads.
 */
export const inFlightReq: MiddlewareDefinition<InFlightReqOptions> = {
  perRouter: true,
  create: (options, ctx) => {
    const amount = options.amount ?? 0;
    const criterion = compileSourceCriterion(options.sourceCriterion, 'requestHost');
    for (const text of criterion.ignored) ctx.logger.warn({ middleware: ctx.name }, text);
    if (amount === 0) {
      ctx.logger.warn(
        { middleware: ctx.name },
        'inFlightReq: amount is 0, so every request is refused with 429 (as in Traefik); set amount to allow some',
      );
    }
    const source = criterion.source;
    const counts = new Map<string, number>();
    const body = `max connections reached: ${amount}`;
    const headers = {
      'content-type': 'text/plain; charset=utf-8',
      'content-length': Buffer.byteLength(body),
    };
    return {
      wrap: (next) => async (req, res) => {
        const key = source(req);
        const current = counts.get(key) ?? 0;
        if (current >= amount) {
          ctx.logger.debug({ middleware: ctx.name, router: ctx.router }, 'inFlightReq: request refused');
          res.writeHead(429, headers);
          res.end(req.method === 'HEAD' ? undefined : body);
          return;
        }
        counts.set(key, current + 1);
        let held = true;
        const release = () => {
          if (!held) return;
          held = false;
          const n = (counts.get(key) ?? 1) - 1;
          // Without the delete the map would grow with every source ever seen.
          if (n <= 0) counts.delete(key);
          else counts.set(key, n);
        };
        res.once('close', release);
        try {
          await next(req, res);
        } finally {
          res.off('close', release);
          release();
        }
      },
    };
  },
};
