import { z } from 'zod';

/** `stripPrefixRegex`: removes a prefix a Go regexp matches at the start of the path (Traefik's StripPrefixRegex). */
export const StripPrefixRegexSchema = z.strictObject({
  regex: z
    .array(z.string())
    .min(1)
    .describe(
      'Go (RE2) regular expressions tried in order on the path; the first whose match starts the path is removed and sent in X-Forwarded-Prefix, e.g. /foo/[a-z0-9]+/[0-9]+/',
    ),
});
