import { z } from 'zod';
import { DurationSchema } from './duration.ts';
import { statusRangeProblem } from './middlewares/errors.ts';

// Load-balancing options beyond Traefik's wrr (Traefik v3.7 pkg/config/dynamic/http_config.go):
// passiveHealthCheck of a loadBalancer, the highestRandomWeight service and failover's `errors`.
// Descriptions are user documentation (docs/reference/dynamic.md, docs/load-balancing.md).

/** Traefik's PassiveServerHealthCheck: servers that fail real requests are taken out for a while. */
export const PassiveHealthCheckSchema = z.strictObject({
  failureWindow: DurationSchema.optional().meta({
    description: 'Window in which maxFailedAttempts failures take a server out; also how long it stays out',
    docDefault: '10s',
  }),
  maxFailedAttempts: z.number().int().optional().meta({
    description:
      'Failures (connection errors or 5xx answers) within failureWindow that take a server out; a success resets the count',
    docDefault: '1',
  }),
});

/** A service that picks one of its child services by rendezvous hashing of the client IP. */
export const HighestRandomWeightSchema = z.strictObject({
  services: z
    .array(
      z.strictObject({
        name: z.string().min(1),
        weight: z.number().int().min(0).optional().describe('Relative weight (default 1); 0 leaves it out'),
      }),
    )
    .describe('Child services and their weights; a client IP always reaches the same child while it is up'),
  healthCheck: z.strictObject({}).optional(),
});

const StatusRange = z.string().superRefine((text, ctx) => {
  for (const part of text.split(',')) {
    const problem = statusRangeProblem(part);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  }
});

/** Traefik's FailoverError: statuses of the main service that send the request to the fallback instead. */
export const FailoverErrorsSchema = z.strictObject({
  status: z.array(StatusRange).optional().meta({
    description:
      'Statuses of the main service (codes or ranges, e.g. 500-599) after which the request goes to the fallback',
    docDefault: '[] (status-based failover off)',
  }),
  maxRequestBodyBytes: z.number().int().optional().meta({
    description:
      'Largest request body kept to replay to the fallback; a larger one is refused with 413 (-1: no limit)',
    docDefault: '-1',
  }),
});

/** Options of loadBalancer.passiveHealthCheck. */
export type PassiveHealthCheck = z.infer<typeof PassiveHealthCheckSchema>;
/** A highestRandomWeight service. */
export type HighestRandomWeight = z.infer<typeof HighestRandomWeightSchema>;
/** Options of failover.errors. */
export type FailoverErrors = z.infer<typeof FailoverErrorsSchema>;
