import { z } from 'zod';
import { DurationSchema } from '../duration.ts';

// circuitBreaker, key for key as Traefik v3.7 (pkg/config/dynamic/middlewares.go, CircuitBreaker). The
// expression is parsed when the middleware is built (middleware/circuit-breaker), as Traefik parses it, so
// a bad one disables this middleware only, with the column of the problem.

/** The circuitBreaker middleware: answers `responseCode` instead of calling the service while tripped. */
export const CircuitBreakerSchema = z.strictObject({
  expression: z
    .string()
    .describe(
      'Condition that trips the breaker, e.g. NetworkErrorRatio() > 0.30 || LatencyAtQuantileMS(50.0) > 100; required',
    ),
  checkPeriod: DurationSchema.optional().meta({
    description: 'Interval between checks of the expression (0 or less: the default)',
    docDefault: '100ms',
  }),
  fallbackDuration: DurationSchema.optional().meta({
    description: 'How long the breaker stays tripped before it starts recovering (0 or less: the default)',
    docDefault: '10s',
  }),
  recoveryDuration: DurationSchema.optional().meta({
    description:
      'How long the recovery lasts, during which traffic to the service ramps up (0 or less: the default)',
    docDefault: '10s',
  }),
  responseCode: z.number().int().optional().meta({
    description: 'Status answered while the breaker is tripped (a status Go names, 200 to 599)',
    docDefault: '503',
  }),
});
