import { z } from 'zod';

// Traefik v3's passTLSClientCert options (pkg/config/dynamic/middlewares.go), key for key.

const flag = (what: string) => z.boolean().optional().describe(what);

/** Which parts of the subject distinguished name go into X-Forwarded-Tls-Client-Cert-Info. */
export const TlsClientCertSubjectSchema = z.strictObject({
  country: flag('Add the country (C)'),
  province: flag('Add the state or province (ST)'),
  locality: flag('Add the locality (L)'),
  organization: flag('Add the organization (O)'),
  organizationalUnit: flag('Add the organizational unit (OU)'),
  commonName: flag('Add the common name (CN)'),
  serialNumber: flag('Add the subject serialNumber attribute (SN), not the certificate serial number'),
  domainComponent: flag('Add the domain components (DC)'),
});

/** Which parts of the issuer distinguished name go into the header; Traefik has no organizationalUnit here. */
export const TlsClientCertIssuerSchema = TlsClientCertSubjectSchema.omit({ organizationalUnit: true });

/** The certificate fields passed in X-Forwarded-Tls-Client-Cert-Info. */
export const TlsClientCertInfoSchema = z.strictObject({
  notAfter: flag('Add the end of validity (NA, Unix seconds)'),
  notBefore: flag('Add the start of validity (NB, Unix seconds)'),
  sans: flag('Add the subject alternative names (SAN): DNS names, e-mail addresses, IP addresses, URIs'),
  serialNumber: flag('Add the certificate serial number (decimal)'),
  subject: TlsClientCertSubjectSchema.optional().describe('Subject fields to add'),
  issuer: TlsClientCertIssuerSchema.optional().describe('Issuer fields to add'),
});

/** passTLSClientCert: passes the client certificate of a mutual-TLS connection to the backend in headers. */
export const PassTlsClientCertSchema = z.strictObject({
  pem: flag('Set X-Forwarded-Tls-Client-Cert to the certificate (base64 DER, PEM without its armour)'),
  info: TlsClientCertInfoSchema.optional().describe(
    'Set X-Forwarded-Tls-Client-Cert-Info to the selected certificate fields (URL-encoded)',
  ),
});

/** The validated passTLSClientCert options. */
export type PassTlsClientCert = z.infer<typeof PassTlsClientCertSchema>;
