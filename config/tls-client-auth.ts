import { z } from 'zod';

/** Traefik's client authentication types, Go's crypto/tls names. */
export const CLIENT_AUTH_TYPES = [
  'NoClientCert',
  'RequestClientCert',
  'RequireAnyClientCert',
  'VerifyClientCertIfGiven',
  'RequireAndVerifyClientCert',
] as const;

/** `tls.options.<name>.clientAuth`: mutual TLS, asking clients for a certificate (Traefik's ClientAuth). */
export const ClientAuthSchema = z
  .strictObject({
    caFiles: z
      .array(z.string())
      .optional()
      .describe(
        'CA certificates client certificates are verified against: PEM files, or the PEM text itself',
      ),
    clientAuthType: z
      .string()
      .optional()
      .describe(
        `${CLIENT_AUTH_TYPES.join(', ')} (default NoClientCert, or RequireAndVerifyClientCert when caFiles is set)`,
      ),
  })
  .describe('Client certificate authentication (mutual TLS)');

/** The validated clientAuth options. */
export type ClientAuth = z.infer<typeof ClientAuthSchema>;
