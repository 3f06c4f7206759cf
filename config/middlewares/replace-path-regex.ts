import { z } from 'zod';

/** `replacePathRegex`: rewrites the path with a Go regexp and a replacement (Traefik's ReplacePathRegex). */
export const ReplacePathRegexSchema = z.strictObject({
  regex: z
    .string()
    .describe(
      'Go (RE2) regular expression matched against the escaped path (no query), e.g. ^/foo/(.*); spaces around it are ignored',
    ),
  replacement: z.string().describe(
    // biome-ignore lint/suspicious/noTemplateCurlyInString: ${1} is Go's replacement syntax, not a template
    'The new path; ${1} or $1 stand for groups of regex, e.g. /bar/$1; the original path goes in X-Replaced-Path',
  ),
});
