import { z } from 'zod';
import { DurationSchema } from '../duration.ts';

// retry, key for key as Traefik v3.7 (pkg/config/dynamic/middlewares.go, Retry). Wharf retries network
// errors only (a server that could not be reached): retrying on response statuses (`status`, and the
// `maxRequestBodyBytes` / `retryNonIdempotentMethod` keys that only shape it) is not supported yet, so a
// non-empty `status` leaves the middleware out with a clear error rather than silently doing less.
// Descriptions are user documentation (docs/reference/dynamic.md, docs/middlewares/retry.md).

/** Options of the retry middleware: repeat a request that could not reach a server. */
export const RetrySchema = z.strictObject({
  attempts: z
    .number()
    .int()
    .min(1, { error: 'attempts must be 1 or more (Traefik refuses 0 or less as well)' })
    .describe('How many times the request is tried in all, the first attempt included (required, 1 or more)'),
  initialInterval: DurationSchema.optional().meta({
    description:
      'First wait of the exponential backoff between attempts; the waits grow to about twice it over the attempts, with ±50% jitter (0 or unset: retry at once)',
    docDefault: '0s',
  }),
  timeout: DurationSchema.optional().meta({
    description:
      'How long after the first attempt started a new attempt may still begin (0 or unset: no limit)',
    docDefault: '0s',
  }),
  status: z
    .array(z.string())
    .optional()
    .refine((v) => v === undefined || v.length === 0, {
      error:
        'status (retry on response status codes) is not supported by Wharf yet, so this middleware is left out; remove the key',
    })
    .describe('Not supported by Wharf yet: a non-empty list leaves the middleware out with an error'),
  maxRequestBodyBytes: z.number().int().optional().meta({
    description:
      'Accepted for compatibility: in Traefik it limits the body kept for status retries, which Wharf does not do',
    docDefault: '2097152',
  }),
  disableRetryOnNetworkError: z
    .boolean()
    .optional()
    .refine((v) => v !== true, {
      error:
        'disableRetryOnNetworkError needs status, which Wharf does not support yet (Traefik refuses it without status too); remove the key',
    })
    .describe('Must stay false: with network retries off and no status support nothing would be retried'),
  retryNonIdempotentMethod: z
    .boolean()
    .optional()
    .describe(
      'Accepted for compatibility: in Traefik it lets status retries repeat POST, PATCH and LOCK; network-error retries never depended on it',
    ),
});
