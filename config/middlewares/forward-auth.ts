import { z } from 'zod';
import { HeaderNameSchema } from '../header-syntax.ts';

// forwardAuth (Traefik v3.7 `dynamic.ForwardAuth`): the same keys and defaults. Descriptions are user
// documentation (docs/reference/dynamic.md, docs/middlewares/forward-auth.md).

/** TLS towards the authentication server (Traefik's `ClientTLS`): each of ca, cert, key is a file path or PEM text. */
export const ForwardAuthTlsSchema = z.strictObject({
  ca: z
    .string()
    .min(1)
    .optional()
    .describe(
      'CA certificates (PEM file path, or the PEM text itself) that sign the auth server certificate (default: the system CAs)',
    ),
  cert: z
    .string()
    .min(1)
    .optional()
    .describe(
      'Client certificate (PEM file path, or the PEM text itself) sent to the auth server; needs key',
    ),
  key: z
    .string()
    .min(1)
    .optional()
    .describe('Private key of the client certificate (PEM file path, or the PEM text itself); needs cert'),
  insecureSkipVerify: z
    .boolean()
    .optional()
    .describe('Accept any certificate from the auth server (no chain or name check); for tests only'),
  caOptional: z
    .boolean()
    .optional()
    .describe('Deprecated in Traefik (client authentication is a server-side option); accepted and ignored'),
});

/** Options of the forwardAuth middleware: ask an HTTP service whether the request may pass. */
export const ForwardAuthSchema = z.strictObject({
  address: z
    .url({
      protocol: /^https?$/,
      hostname: /./,
      error:
        'must be an http:// or https:// URL of the authentication server, e.g. http://authelia:9091/api/verify',
    })
    .describe('URL of the authentication server; every request is checked by a request to it'),
  tls: ForwardAuthTlsSchema.optional().describe('TLS towards the authentication server (https addresses)'),
  trustForwardHeader: z
    .boolean()
    .optional()
    .describe(
      "true: send the X-Forwarded-* headers the entryPoint kept (set forwardedHeaders.trustedIPs there); false: replace them all; unset: Traefik's legacy mix (a warning)",
    ),
  authResponseHeaders: z
    .array(HeaderNameSchema)
    .optional()
    .describe('Headers copied from a 2xx auth response onto the request, replacing those the client sent'),
  authResponseHeadersRegex: z
    .string()
    .min(1)
    .optional()
    .describe(
      'Go regular expression: request headers matching it are removed, then those of a 2xx auth response matching it are copied (unanchored: use ^ and $)',
    ),
  authRequestHeaders: z
    .array(HeaderNameSchema)
    .optional()
    .describe('Request headers sent to the auth server (default: all, hop-by-hop headers excepted)'),
  maxResponseBodySize: z.number().int().min(-1).optional().meta({
    description: 'Largest auth server response body read, in bytes; a larger one answers 401 (-1: no limit)',
    docDefault: '-1',
  }),
  addAuthCookiesToResponse: z
    .array(z.string().min(1))
    .optional()
    .describe(
      "Cookies (by name) set by a 2xx auth response that are added to the response, replacing the backend's",
    ),
  headerField: HeaderNameSchema.optional().describe(
    'Auth response header whose value names the user in the access log (ClientUsername)',
  ),
  forwardBody: z
    .boolean()
    .optional()
    .describe('Send the request body to the auth server too (it is read into memory first; default false)'),
  maxBodySize: z.number().int().min(-1).optional().meta({
    description:
      'Largest request body sent with forwardBody, in bytes; a larger one answers 401 (-1: no limit)',
    docDefault: '-1',
  }),
  preserveLocationHeader: z
    .boolean()
    .optional()
    .describe(
      'Pass a relative Location of a non-2xx auth response as is, instead of resolving it against the auth server address',
    ),
  preserveRequestMethod: z
    .boolean()
    .optional()
    .describe('Ask the auth server with the request method instead of GET'),
  authSigninURL: z
    .string()
    .min(1)
    .optional()
    .describe('Where a 401 of the auth server redirects the client to (302) instead of passing the 401 on'),
});

/** Options of the forwardAuth middleware, as validated. */
export type ForwardAuthOptions = z.infer<typeof ForwardAuthSchema>;
