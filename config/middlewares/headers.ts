import { z } from 'zod';
import { HeaderNameSchema, HeaderValueSchema } from '../header-syntax.ts';

// Traefik v3.7's `headers` middleware (pkg/config/dynamic/middlewares.go, type Headers), key for key.
// Header names must be tokens and values free of control characters (config/header-syntax.ts); values are
// sent as Go sends them (UTF-8 bytes; CR and LF as spaces). Lists joined into one header value (the CORS
// lists) are checked as values too, since they end up in one.

/** Zod metadata of a key Traefik v3 still accepts but ignores: canonicalize.ts warns with `replacement`. */
function deprecated(description: string, replacement: string) {
  return { description, deprecated: true, replacement };
}

const REDIRECT_INSTEAD =
  "Traefik v3 ignores it, and so does Wharf: no redirection happens. Redirect with a redirectScheme middleware or the entryPoint's http.redirections instead";
const HOST_INSTEAD =
  'Traefik v3 ignores it, and so does Wharf: no redirection happens. Use a redirectRegex middleware instead';

const ValueList = z.array(HeaderValueSchema);

/** Options of the headers middleware: custom, security (unrolled/secure's) and CORS headers. */
export const HeadersSchema = z.strictObject({
  customRequestHeaders: z
    .record(HeaderNameSchema, HeaderValueSchema)
    .optional()
    .describe(
      'Headers set on the request; an empty value removes the header (and X-Forwarded-For stays removed: the proxy does not add it back); Host sets the request host',
    ),
  customResponseHeaders: z
    .record(HeaderNameSchema, HeaderValueSchema)
    .optional()
    .describe(
      "Headers set on the response, over the backend's and the security headers; an empty value removes the header",
    ),

  accessControlAllowCredentials: z
    .boolean()
    .optional()
    .describe('Send Access-Control-Allow-Credentials: true (the request may carry cookies and credentials)'),
  accessControlAllowHeaders: ValueList.optional().describe(
    'Access-Control-Allow-Headers of preflight answers; "*" with accessControlAllowCredentials echoes the Access-Control-Request-Headers asked for',
  ),
  accessControlAllowMethods: ValueList.optional().describe(
    'Access-Control-Allow-Methods of preflight answers; "*" with accessControlAllowCredentials echoes the Access-Control-Request-Method asked for',
  ),
  accessControlAllowOriginList: ValueList.optional().describe(
    'Origins allowed, e.g. https://app.example.com; "*" allows any (sent as the request\'s Origin when accessControlAllowCredentials is set)',
  ),
  accessControlAllowOriginListRegex: z
    .array(z.string())
    .optional()
    .describe(
      "Origins allowed by regular expression (Go/RE2 syntax, unanchored: write ^ and $); the request's Origin is sent back",
    ),
  accessControlExposeHeaders: ValueList.optional().describe(
    'Access-Control-Expose-Headers: response headers scripts may read ("*" is not sent with accessControlAllowCredentials)',
  ),
  accessControlMaxAge: z
    .number()
    .int()
    .optional()
    .describe('Access-Control-Max-Age of preflight answers: seconds a browser may cache them'),
  addVaryHeader: z
    .boolean()
    .optional()
    .describe('Add Origin to the Vary response header (responses differ by Origin)'),

  allowedHosts: z
    .array(z.string())
    .optional()
    .describe(
      'Host names allowed (compared without case, port included); any other answers 500 "Bad Host" (default: all)',
    ),
  hostsProxyHeaders: z
    .array(z.string())
    .optional()
    .describe(
      'Request headers that hold the host for allowedHosts (e.g. X-Forwarded-Host), first non-empty wins',
    ),
  sslProxyHeaders: z
    .record(z.string(), z.string())
    .optional()
    .describe(
      'Request headers whose value marks a request as HTTPS for HSTS and publicKey, e.g. X-Forwarded-Proto: https',
    ),

  stsSeconds: z
    .number()
    .int()
    .min(0)
    .optional()
    .describe('max-age of Strict-Transport-Security, sent on HTTPS requests only (0: not sent)'),
  stsIncludeSubdomains: z.boolean().optional().describe('Add includeSubDomains to Strict-Transport-Security'),
  stsPreload: z.boolean().optional().describe('Add preload to Strict-Transport-Security'),
  forceSTSHeader: z
    .boolean()
    .optional()
    .describe('Send Strict-Transport-Security on plain HTTP requests too'),
  frameDeny: z.boolean().optional().describe('Send X-Frame-Options: DENY'),
  customFrameOptionsValue: HeaderValueSchema.optional().describe(
    'X-Frame-Options value, e.g. SAMEORIGIN (over frameDeny)',
  ),
  contentTypeNosniff: z.boolean().optional().describe('Send X-Content-Type-Options: nosniff'),
  browserXssFilter: z.boolean().optional().describe('Send X-XSS-Protection: 1; mode=block'),
  customBrowserXSSValue: HeaderValueSchema.optional().describe(
    'X-XSS-Protection value (over browserXssFilter)',
  ),
  contentSecurityPolicy: HeaderValueSchema.optional().describe(
    "Content-Security-Policy value; $NONCE becomes 'nonce-<random>', new for each response",
  ),
  contentSecurityPolicyReportOnly: HeaderValueSchema.optional().describe(
    "Content-Security-Policy-Report-Only value; $NONCE becomes 'nonce-<random>', new for each response",
  ),
  publicKey: HeaderValueSchema.optional().describe(
    'Public-Key-Pins value (HPKP, obsolete in browsers), sent on HTTPS requests only',
  ),
  referrerPolicy: HeaderValueSchema.optional().describe('Referrer-Policy value'),
  permissionsPolicy: HeaderValueSchema.optional().describe('Permissions-Policy value'),
  isDevelopment: z
    .boolean()
    .optional()
    .describe(
      'Development mode: allowedHosts is not checked; Strict-Transport-Security and Public-Key-Pins are not sent',
    ),

  featurePolicy: z
    .string()
    .optional()
    .meta(
      deprecated(
        'Deprecated; ignored (Traefik v3 ignores it): use permissionsPolicy',
        'Traefik v3 ignores it, and so does Wharf: no Feature-Policy header is sent. Use permissionsPolicy instead',
      ),
    ),
  sslRedirect: z
    .boolean()
    .optional()
    .meta(
      deprecated(
        'Deprecated; ignored (Traefik v3 ignores it): use a redirectScheme middleware or entryPoint redirections',
        REDIRECT_INSTEAD,
      ),
    ),
  sslTemporaryRedirect: z
    .boolean()
    .optional()
    .meta(
      deprecated(
        'Deprecated; ignored (Traefik v3 ignores it): use a redirectScheme middleware or entryPoint redirections',
        REDIRECT_INSTEAD,
      ),
    ),
  sslHost: z
    .string()
    .optional()
    .meta(
      deprecated('Deprecated; ignored (Traefik v3 ignores it): use a redirectRegex middleware', HOST_INSTEAD),
    ),
  sslForceHost: z
    .boolean()
    .optional()
    .meta(
      deprecated('Deprecated; ignored (Traefik v3 ignores it): use a redirectRegex middleware', HOST_INSTEAD),
    ),
});

/** The headers middleware's options, as validated. */
export type HeadersOptions = z.infer<typeof HeadersSchema>;
