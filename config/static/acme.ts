import { z } from 'zod';
import { DurationSchema } from '../duration.ts';

// Traefik v3.7's ACME keys that config/static.ts's AcmeResolverSchema did not have
// (pkg/provider/acme/provider.go `Configuration`, `DNSChallenge`, `Propagation`), key for key.
// Descriptions are user documentation (docs/reference/static.md, docs/acme.md).

/** `dnsChallenge.propagation`: how the TXT record is checked before the CA is asked to validate. */
export const PropagationSchema = z.strictObject({
  disableChecks: z
    .boolean()
    .default(false)
    .describe('Do not check that the TXT record is served; only wait delayBeforeChecks (not recommended)'),
  disableANSChecks: z
    .boolean()
    .default(false)
    .describe("Do not check the zone's authoritative nameservers (port 53) for the TXT record"),
  requireAllRNS: z
    .boolean()
    .default(false)
    .describe('Also require every recursive nameserver (resolvers) to serve the TXT record'),
  delayBeforeChecks: DurationSchema.default(0).describe(
    'Wait this long before each propagation check (default 0s)',
  ),
});

/** `dnsChallenge`: DNS-01 through a DNS provider configured by its environment variables (lego's names). */
export const DnsChallengeSchema = z.strictObject({
  provider: z
    .string()
    .describe(
      'DNS provider (lego name): rfc2136, exec or httpreq; its settings come from environment variables (RFC2136_NAMESERVER, EXEC_PATH, HTTPREQ_ENDPOINT, ...)',
    ),
  resolvers: z
    .array(z.string())
    .optional()
    .describe(
      'Recursive nameservers (host or host:port) used to find the zone and check propagation (default: /etc/resolv.conf)',
    ),
  propagation: PropagationSchema.optional().describe(
    'Propagation checks; without this block both the authoritative and all recursive nameservers are checked',
  ),
  delayBeforeCheck: DurationSchema.optional().describe(
    'Deprecated: use propagation.delayBeforeChecks (a warning at start)',
  ),
  disablePropagationCheck: z
    .boolean()
    .optional()
    .describe('Deprecated: use propagation.disableChecks (a warning at start)'),
});

/** The ACME keys added to `certificatesResolvers.<name>.acme` (spread into AcmeResolverSchema). */
export const AcmeExtraKeys = {
  dnsChallenge: DnsChallengeSchema.optional().describe(
    'Prove control with DNS-01 (a TXT record at _acme-challenge.<domain>); the only challenge for wildcards',
  ),
  profile: z
    .string()
    .optional()
    .describe('Certificate profile asked of the CA in each new order (ACME profiles, e.g. "shortlived")'),
  emailAddresses: z
    .array(z.string())
    .optional()
    .describe('Email addresses for the CSR (accepted; Wharf does not put them in the CSR: a warning)'),
  disableCommonName: z
    .boolean()
    .default(false)
    .describe('Leave the common name out of the CSR (the names are only in subjectAltName)'),
  caServerName: z
    .string()
    .optional()
    .describe("Server name (SNI and certificate check) for the CA server's HTTPS"),
  caSystemCertPool: z
    .boolean()
    .default(false)
    .describe('With caCertificates: trust the system roots too (default false: only caCertificates)'),
  clientResponseHeaderTimeout: DurationSchema.optional().describe(
    "Timeout for the CA's response headers (Traefik's default 30s; at most clientTimeout). Accepted; Wharf applies clientTimeout to each whole request",
  ),
  certificateTimeout: DurationSchema.optional().describe(
    'Timeout for the CA to issue the certificate after finalization (Traefik default 30s). Accepted; Wharf polls the order with its own backoff',
  ),
};

export type DnsChallengeConfig = z.infer<typeof DnsChallengeSchema>;
export type PropagationConfig = z.infer<typeof PropagationSchema>;
