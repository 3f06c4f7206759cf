import { z } from 'zod';

// compress, key for key as Traefik v3.7 (pkg/config/dynamic/middlewares.go, Compress). The combinations
// Traefik refuses (both content-type lists, an unknown or empty encoding list, a defaultEncoding outside
// `encodings`, an unparsable media type) are refused when the middleware is built
// (middleware/compress), with Traefik's reasons, so only that middleware is disabled.

/** The compress middleware: responses compressed with gzip, br or zstd as the client accepts. */
export const CompressSchema = z.strictObject({
  excludedContentTypes: z
    .array(z.string())
    .optional()
    .describe(
      'Media types never compressed, e.g. text/event-stream (application/grpc always is); exclusive with includedContentTypes',
    ),
  includedContentTypes: z
    .array(z.string())
    .optional()
    .describe('Media types compressed, no others; exclusive with excludedContentTypes'),
  minResponseBodyBytes: z.number().int().min(0).optional().meta({
    description: 'Smallest response body compressed, in bytes (0 means the default)',
    docDefault: '1024',
  }),
  encodings: z.array(z.string()).optional().meta({
    description:
      'Encodings offered, most preferred first, among gzip, br and zstd; breaks ties between equal client q-values',
    docDefault: '[gzip, br, zstd]',
  }),
  defaultEncoding: z
    .string()
    .optional()
    .describe(
      'Encoding used when the request has no Accept-Encoding or accepts * (one of encodings; default: none without Accept-Encoding, the first of encodings for *)',
    ),
});
