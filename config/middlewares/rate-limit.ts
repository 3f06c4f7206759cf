import { z } from 'zod';
import { DurationSchema } from '../duration.ts';
import { RateLimitRedisSchema } from './rate-limit-redis.ts';
import { SourceCriterionSchema } from './source-criterion.ts';

// rateLimit, key for key as Traefik v3.7 (pkg/config/dynamic/middlewares.go, pkg/middlewares/ratelimiter).

/** The rateLimit middleware: a token bucket per source, in memory or in Redis. */
export const RateLimitSchema = z.strictObject({
  average: z.number().int().min(0).optional().meta({
    description: 'Requests allowed per period and source, on average; 0: no limit',
    docDefault: '0',
  }),
  period: DurationSchema.optional().meta({
    description: 'The period of average: the rate is average / period (e.g. average 6, period 1m: 1 per 10s)',
    docDefault: '1s',
  }),
  burst: z.number().int().min(0).optional().meta({
    description: 'Requests a source may send at once (the bucket size); 0 means 1',
    docDefault: '1',
  }),
  sourceCriterion: SourceCriterionSchema.optional().meta({
    description: 'How requests are grouped into sources (one of its keys)',
    docDefault: 'ipStrategy: the connection peer address',
  }),
  redis: RateLimitRedisSchema.optional().describe(
    'Keep the buckets in Redis, shared by every Wharf (and Traefik) replica using it; unset: in memory, per instance',
  ),
});
