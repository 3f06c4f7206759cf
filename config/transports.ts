import { z } from 'zod';
import { DurationSchema } from './duration.ts';

// The servers transports (Traefik's `http.serversTransports.<name>` and the static `serversTransport`):
// how Wharf talks to the servers of the services that choose them. Traefik v3.7 keys and defaults; the
// runtime is router/services/transport-options.ts. Descriptions are user documentation (docs/transports.md).

/**
 * `forwardingTimeouts` of a servers transport (Traefik's keys and defaults). A value of 0 (or less) means
 * no limit. Shared by the static `serversTransport` and the dynamic `http.serversTransports.<name>`.
 */
export const ForwardingTimeoutsSchema = z.strictObject({
  // Defaults are applied where the transport is used (router/services/servers-transport.ts), so the API
  // shows the configuration as written; docDefault shows them in the reference.
  dialTimeout: DurationSchema.optional().meta({
    description:
      'Longest time to open a connection to a server (TCP, and TLS for https); expiry answers 504 (0: none)',
    docDefault: '30s',
  }),
  responseHeaderTimeout: DurationSchema.optional().meta({
    description:
      "Longest wait for a server's response headers once the request is sent; expiry answers 504 (0: none)",
    docDefault: '0s',
  }),
  idleConnTimeout: DurationSchema.optional().meta({
    description:
      'How long an idle keep-alive connection to a server stays open (0: until the server closes it)',
    docDefault: '1m30s',
  }),
  readIdleTimeout: DurationSchema.optional().meta({
    description:
      'HTTP/2 to servers: after this long without a frame from the server, send a PING to check the connection (0: never)',
    docDefault: '0s',
  }),
  pingTimeout: DurationSchema.optional().meta({
    description:
      'HTTP/2 to servers: close the connection when a PING sent after readIdleTimeout is not answered within this time',
    docDefault: '15s',
  }),
});

/** A certificate and its key, as files or PEM text (Traefik's FileOrContent). */
export const TransportCertificateSchema = z.strictObject({
  certFile: z.string().min(1).describe('Client certificate: a PEM file, or the PEM text itself'),
  keyFile: z.string().min(1).describe('Its private key: a PEM file, or the PEM text itself'),
});

const RootCAs = z
  .array(z.string().min(1))
  .describe(
    "CA certificates that sign the servers' certificates, instead of the system CAs: PEM files or PEM text (private CAs, self-signed servers)",
  );

const InsecureSkipVerify = z
  .boolean()
  .optional()
  .describe(
    'Accept any server certificate without verifying it (default false). Unsafe: anyone on the path can impersonate the server; prefer rootCAs',
  );

const MaxIdleConnsPerHost = z.number().int().optional().meta({
  description:
    'Idle keep-alive connections kept per server (0: the default, 200; negative: no reuse, one connection per request)',
  docDefault: '200',
});

const TlsVersion = z.enum(['VersionTLS10', 'VersionTLS11', 'VersionTLS12', 'VersionTLS13']);

/**
 * How Wharf talks to the servers of the services that use it (`loadBalancer.serversTransport`): TLS
 * verification and client certificates, HTTP/2, idle connections and timeouts.
 */
export const ServersTransportSchema = z.strictObject({
  serverName: z
    .string()
    .optional()
    .describe(
      'Server name sent in TLS SNI and checked against the server certificate (default: the host of the server URL)',
    ),
  insecureSkipVerify: InsecureSkipVerify,
  rootCAs: RootCAs.optional(),
  certificates: z
    .array(TransportCertificateSchema)
    .optional()
    .describe(
      "Client certificates Wharf presents to servers that ask for one (mutual TLS): the first one issued by a CA on the server's acceptable list, as Traefik does",
    ),
  minVersion: TlsVersion.optional().describe('Lowest TLS version offered to servers (default VersionTLS12)'),
  maxVersion: TlsVersion.optional().describe('Highest TLS version offered to servers (default VersionTLS13)'),
  maxIdleConnsPerHost: MaxIdleConnsPerHost,
  forwardingTimeouts: ForwardingTimeoutsSchema.optional().describe('Timeouts of requests to the servers'),
  disableHTTP2: z
    .boolean()
    .optional()
    .describe('Talk HTTP/1.1 to https servers (default false: HTTP/2 when the server offers it by ALPN)'),
  peerCertURI: z
    .string()
    .optional()
    .describe(
      'A URI the server certificate must list as a SAN (e.g. spiffe://example.org/backend); a certificate without it is refused',
    ),
});

/**
 * The static `serversTransport`: the transport of every service that names no other (Traefik turns it
 * into `default@internal`). Traefik's static transport has fewer keys than the dynamic ones.
 */
export const StaticServersTransportSchema = z.strictObject({
  insecureSkipVerify: InsecureSkipVerify,
  rootCAs: RootCAs.optional(),
  maxIdleConnsPerHost: MaxIdleConnsPerHost,
  // Traefik's static forwardingTimeouts lacks the HTTP/2 ping keys of the dynamic one.
  forwardingTimeouts: ForwardingTimeoutsSchema.pick({
    dialTimeout: true,
    responseHeaderTimeout: true,
    idleConnTimeout: true,
  })
    .optional()
    .describe('Timeouts of requests to the servers'),
});

export type ForwardingTimeouts = z.infer<typeof ForwardingTimeoutsSchema>;
export type ServersTransportConfig = z.infer<typeof ServersTransportSchema>;
export type StaticServersTransport = z.infer<typeof StaticServersTransportSchema>;
