import { z } from 'zod';

/** `redirectRegex`: redirects when a Go regexp matches the request URL (Traefik's RedirectRegex). */
export const RedirectRegexSchema = z.strictObject({
  regex: z
    .string()
    .describe(
      'Go (RE2) regular expression matched against the request URL as scheme://host[:port]/path?query, e.g. ^http://localhost/(.*)',
    ),
  replacement: z
    .string()
    .min(1)
    // biome-ignore lint/suspicious/noTemplateCurlyInString: ${1} is Go's replacement syntax, not a template
    .describe('The redirect target; ${1} or $1 stand for groups of regex, e.g. http://mydomain/${1}'),
  permanent: z
    .boolean()
    .optional()
    .describe('Permanent redirect: 301 for GET, 308 for other methods (default false: 302 and 307)'),
});
