import { z } from 'zod';

// Traefik v3.7's `tls.stores.<name>.defaultGeneratedCert` (pkg/tls/tls.go `GeneratedCert`): the default
// certificate obtained by a certificate resolver instead of a generated self-signed one.

/** `tls.stores.default.defaultGeneratedCert`: a resolver and the domain of the default certificate. */
export const DefaultGeneratedCertSchema = z.strictObject({
  resolver: z.string().describe('Certificate resolver (certificatesResolvers.<name>) that obtains it'),
  domain: z
    .strictObject({
      main: z.string().describe('Main name of the certificate'),
      sans: z.array(z.string()).optional().describe('Other names (subject alternative names)'),
    })
    .describe('The names of the default certificate'),
});

export type DefaultGeneratedCert = z.infer<typeof DefaultGeneratedCertSchema>;
