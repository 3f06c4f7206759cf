import { z } from 'zod';
import { DurationSchema } from '../duration.ts';
import { statusRangeProblem } from './errors.ts';

// retry, key for key as Traefik v3.7 (pkg/config/dynamic/middlewares.go `Retry`, pkg/middlewares/retry).
// Descriptions are user documentation (docs/reference/dynamic.md, docs/middlewares/retry.md).

/** Traefik's default of `maxRequestBodyBytes` (dynamic.RetryDefaultMaxRequestBodyBytes, 2 MiB). */
export const RETRY_DEFAULT_MAX_REQUEST_BODY_BYTES = 2 * 1024 * 1024;

/** One status or range (`503`, `500-599`), or several separated by commas, as errors' `status` takes them. */
const StatusRange = z.string().superRefine((text, ctx) => {
  for (const part of text.split(',')) {
    const problem = statusRangeProblem(part);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  }
});

/** Options of the retry middleware: repeat a request that could not reach a server, or got a chosen status. */
export const RetrySchema = z
  .strictObject({
    attempts: z
      .number()
      .int()
      .min(1, { error: 'attempts must be 1 or more (Traefik refuses 0 or less as well)' })
      .describe(
        'How many times the request is tried in all, the first attempt included (required, 1 or more)',
      ),
    initialInterval: DurationSchema.optional().meta({
      description:
        'First wait of the exponential backoff between attempts; the waits grow to about twice it over the attempts, with ±50% jitter (0 or unset: retry at once)',
      docDefault: '0s',
    }),
    timeout: DurationSchema.optional().meta({
      description:
        'How long after the first attempt started a failed attempt may still be retried (0 or unset: no limit)',
      docDefault: '0s',
    }),
    status: z.array(StatusRange).optional().meta({
      description:
        'Response statuses that are retried too: codes (503), ranges (500-599), or both (502,503-504); the last attempt is answered whatever its status. Only for GET, HEAD and the other idempotent methods unless retryNonIdempotentMethod is set',
      docDefault: '[] (statuses are not retried)',
    }),
    maxRequestBodyBytes: z
      .number()
      .int()
      .optional()
      .meta({
        description:
          'Largest request body kept to be sent again for status retries; a request with a larger body is not retried on status (network errors still are). Negative: no limit',
        docDefault: String(RETRY_DEFAULT_MAX_REQUEST_BODY_BYTES),
      }),
    disableRetryOnNetworkError: z.boolean().optional().meta({
      description:
        'Do not retry requests that could not reach a server (only status retries remain; needs status)',
      docDefault: 'false',
    }),
    retryNonIdempotentMethod: z.boolean().optional().meta({
      description:
        'Retry POST, PATCH and LOCK requests on status too (network-error retries never depend on the method)',
      docDefault: 'false',
    }),
  })
  .superRefine((options, ctx) => {
    // As Traefik (retry.New): nothing would ever be retried.
    if (options.disableRetryOnNetworkError === true && (options.status ?? []).length === 0)
      ctx.addIssue({
        code: 'custom',
        path: ['disableRetryOnNetworkError'],
        message:
          'disableRetryOnNetworkError needs status: without it nothing would be retried (Traefik refuses it too); add status or remove the key',
      });
  });
