import { z } from 'zod';

// buffering (Traefik v3.7 `dynamic.Buffering`, run by vulcand/oxy's buffer): the same keys and defaults.
// oxy refuses negative sizes (the middleware is not built), so they are invalid values here. The
// retryExpression is parsed when the middleware is built (middleware/buffering/retry-expression.ts), as
// Traefik parses it, so a bad one disables this middleware only, with the column of the problem.
// Descriptions are user documentation (docs/reference/dynamic.md, docs/middlewares/buffering.md).

const bytes = (description: string, docDefault: string) =>
  z.number().int().min(0).optional().meta({ description, docDefault });

/** Options of the buffering middleware: read whole bodies before passing them on, with size limits. */
export const BufferingSchema = z.strictObject({
  maxRequestBodyBytes: bytes(
    'Largest request body, in bytes; a larger one (announced by Content-Length or read) is answered 413 and not forwarded (0: no limit)',
    '0',
  ),
  memRequestBodyBytes: bytes(
    'Request body bytes kept in memory; a larger body goes to a temporary file, removed when the request ends (0: 1048576)',
    '1048576',
  ),
  maxResponseBodyBytes: bytes(
    'Largest response body, in bytes; a larger one is not forwarded and the client gets 500 (0: no limit)',
    '0',
  ),
  memResponseBodyBytes: bytes(
    'Response body bytes kept in memory; a larger body goes to a temporary file, removed when the request ends (0: 1048576)',
    '1048576',
  ),
  retryExpression: z
    .string()
    .optional()
    .describe(
      'Condition to replay the request on once its response is held, e.g. IsNetworkError() && Attempts() <= 2 (functions IsNetworkError(), Attempts(), ResponseCode(), RequestMethod(); 10 replays at most; empty: never)',
    ),
});
