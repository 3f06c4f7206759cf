import { z } from 'zod';

/**
 * `contentType`: lets the response's Content-Type be detected from its body when the server sent none
 * (Traefik's ContentType). Without this middleware Wharf, like Traefik v3, adds no Content-Type.
 */
export const ContentTypeSchema = z.strictObject({
  autoDetect: z
    .boolean()
    .optional()
    .describe(
      'Deprecated in Traefik v3 (a warning): false makes the middleware do nothing; true or absent detects the Content-Type',
    ),
});
