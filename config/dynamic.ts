import { z } from 'zod';
import { DurationSchema } from './duration.ts';
import { HealthCheckSchema } from './health-check.ts';
import {
  FailoverErrorsSchema,
  HighestRandomWeightSchema,
  PassiveHealthCheckSchema,
} from './load-balancing.ts';
import { BanSchema } from './middlewares/ban.ts';
import { BasicAuthSchema } from './middlewares/basic-auth.ts';
import { BufferingSchema } from './middlewares/buffering.ts';
import { CircuitBreakerSchema } from './middlewares/circuit-breaker.ts';
import { CompressSchema } from './middlewares/compress.ts';
import { ContentTypeSchema } from './middlewares/content-type.ts';
import { DigestAuthSchema } from './middlewares/digest-auth.ts';
import { EncodedCharactersSchema } from './middlewares/encoded-characters.ts';
import { ErrorsSchema } from './middlewares/errors.ts';
import { ForwardAuthSchema } from './middlewares/forward-auth.ts';
import { GrpcWebSchema } from './middlewares/grpc-web.ts';
import { HeadersSchema } from './middlewares/headers.ts';
import { InFlightReqSchema } from './middlewares/in-flight-req.ts';
import { IpAllowListSchema, IpWhiteListSchema } from './middlewares/ip-allow-list.ts';
import { PassTlsClientCertSchema } from './middlewares/pass-tls-client-cert.ts';
import { RateLimitSchema } from './middlewares/rate-limit.ts';
import { RedirectRegexSchema } from './middlewares/redirect-regex.ts';
import { ReplacePathRegexSchema } from './middlewares/replace-path-regex.ts';
import { RetrySchema } from './middlewares/retry.ts';
import { StripPrefixRegexSchema } from './middlewares/strip-prefix-regex.ts';
import { WafSchema } from './middlewares/waf.ts';
import { ServiceMiddlewaresSchema } from './service-middlewares.ts';
import { ClientAuthSchema } from './tls-client-auth.ts';
import { DefaultGeneratedCertSchema } from './tls-store.ts';
import { ServersTransportSchema } from './transports.ts';

// The routing ("dynamic") configuration: Traefik v3's tree, key for key. A Traefik dynamic file that uses
// only these features loads unchanged. Descriptions are user documentation (docs/configuration.md).

const StringList = z.array(z.string());

/** One backend server of a load balancer. */
export const ServerSchema = z.strictObject({
  url: z
    .url({
      protocol: /^(https?|h2c)$/,
      hostname: /./,
      error: 'must be an http://, https:// or h2c:// URL with a host, e.g. http://10.0.0.5:8080',
    })
    .describe('Server URL, e.g. http://10.0.0.5:8080; h2c:// talks HTTP/2 without TLS (gRPC)'),
  weight: z
    .number()
    .int()
    .min(0)
    .optional()
    .describe('Relative weight for weighted round robin (default 1); 0 takes the server out'),
  preservePath: z
    .boolean()
    .optional()
    .describe('Keep the path of the server URL in front of the request path'),
});

export { HealthCheckSchema };

/** Sticky-session cookie options. */
export const StickyCookieSchema = z.strictObject({
  name: z.string().optional().describe('Cookie name (default: derived from the service name)'),
  secure: z.boolean().optional(),
  httpOnly: z.boolean().optional(),
  sameSite: z.enum(['none', 'lax', 'strict', '']).optional(),
  maxAge: z.number().int().optional().describe('Cookie Max-Age in seconds; 0 makes a session cookie'),
  path: z.string().optional().describe('Cookie path (default /)'),
  domain: z.string().optional(),
});

// Servers transports (issue 18): their schemas live in config/transports.ts.
export { ForwardingTimeoutsSchema, ServersTransportSchema } from './transports.ts';

/** A load-balanced set of servers. */
export const LoadBalancerSchema = z.strictObject({
  servers: z.array(ServerSchema).optional().describe('Backend servers'),
  passHostHeader: z.boolean().optional().describe('Forward the client Host header (default true)'),
  healthCheck: HealthCheckSchema.optional(),
  passiveHealthCheck: PassiveHealthCheckSchema.optional(), // load-balancing.ts
  sticky: z.strictObject({ cookie: StickyCookieSchema.optional() }).optional(),
  responseForwarding: z
    .strictObject({
      flushInterval: DurationSchema.optional().describe(
        'How often to flush the response to the client (default 100ms; negative: at every write; server-sent events and responses without Content-Length are flushed at every write)',
      ),
    })
    .optional(),
  strategy: z
    .enum(['wrr', 'p2c', 'hrw', 'leasttime'])
    .optional()
    .describe(
      'Balancing strategy (default wrr): wrr (weighted round robin), p2c (power of two choices), hrw (highest random weight of the client IP) or leasttime (least response time)',
    ),
  serversTransport: z
    .string()
    .optional()
    .describe(
      'Servers transport (http.serversTransports.<name>): name or name@provider; default@internal is the static serversTransport (the default)',
    ),
});

/** A service that balances over other services (canary releases). */
export const WeightedSchema = z.strictObject({
  services: z
    .array(z.strictObject({ name: z.string().min(1), weight: z.number().int().min(0).optional() }))
    .describe('Services and their weights'),
  sticky: z.strictObject({ cookie: StickyCookieSchema.optional() }).optional(),
  healthCheck: z.strictObject({}).optional(),
});

/** A service that sends to a fallback while the main service has no healthy server. */
export const FailoverSchema = z.strictObject({
  service: z.string().min(1).describe('Main service'),
  fallback: z.string().min(1).describe('Service used while the main one is down'),
  healthCheck: z.strictObject({}).optional(),
  errors: FailoverErrorsSchema.optional(), // load-balancing.ts
});

/** A service that copies a share of requests to mirrors and answers from the main service. */
export const MirroringSchema = z.strictObject({
  service: z.string().min(1).describe('Main service that answers'),
  mirrors: z
    .array(z.strictObject({ name: z.string().min(1), percent: z.number().min(0).max(100).optional() }))
    .optional()
    .describe('Mirror services and the percentage of requests each receives'),
  mirrorBody: z.boolean().optional().describe('Copy request bodies to mirrors (default true)'),
  maxBodySize: z
    .number()
    .int()
    .optional()
    .describe('Largest body copied to mirrors, in bytes (-1: no limit)'),
  healthCheck: z.strictObject({}).optional(),
});

/** An HTTP service: exactly one of loadBalancer, weighted, highestRandomWeight, failover, mirroring. */
export const ServiceSchema = z.strictObject({
  middlewares: ServiceMiddlewaresSchema.optional(), // service-middlewares.ts
  loadBalancer: LoadBalancerSchema.optional(),
  weighted: WeightedSchema.optional(),
  highestRandomWeight: HighestRandomWeightSchema.optional(), // load-balancing.ts
  failover: FailoverSchema.optional(),
  mirroring: MirroringSchema.optional(),
});

/** The service kinds, in the order they are reported. */
export const SERVICE_KINDS = [
  'loadBalancer',
  'weighted',
  'highestRandomWeight',
  'failover',
  'mirroring',
] as const;

// --- middlewares -------------------------------------------------------------------------------------

export const AddPrefixSchema = z.strictObject({
  prefix: z
    .string()
    .min(1, 'prefix cannot be empty')
    .describe('Prefix added in front of the path, e.g. /api (a missing leading / is added, as Traefik does)'),
});
export const StripPrefixSchema = z.strictObject({
  prefixes: z
    .array(z.string().min(1))
    .min(1)
    .describe('Prefixes removed from the path; the first that matches wins'),
  forceSlash: z.boolean().optional().describe('Deprecated in Traefik; accepted and ignored'),
});
export const ReplacePathSchema = z.strictObject({
  path: z.string().startsWith('/').describe('New path; the original goes in X-Replaced-Path'),
});
export const RedirectSchemeSchema = z.strictObject({
  scheme: z.string().min(1).describe('Target scheme, e.g. https'),
  // Text whatever the source, as in Traefik (a string field): a file's 443 and a label's "443" are one value.
  port: z
    .union([z.string(), z.number().int()])
    .transform(String)
    .optional()
    .describe('Target port (default: the scheme default)'),
  permanent: z.boolean().optional().describe('301/308 instead of 302/307'),
});
export const ChainSchema = z.strictObject({
  middlewares: StringList.min(1).describe('Middlewares applied in order'),
});

/** A middleware: exactly one type key with that type's options (`stripPrefix: {prefixes: [...]}`). */
export const MiddlewareSchema = z.strictObject({
  addPrefix: AddPrefixSchema.optional(),
  stripPrefix: StripPrefixSchema.optional(),
  replacePath: ReplacePathSchema.optional(),
  headers: HeadersSchema.optional(),
  redirectScheme: RedirectSchemeSchema.optional(),
  chain: ChainSchema.optional(),
  ipAllowList: IpAllowListSchema.optional(),
  ipWhiteList: IpWhiteListSchema.optional().meta({
    deprecated: true,
    replacement: 'use ipAllowList instead',
  }),
  redirectRegex: RedirectRegexSchema.optional(),
  replacePathRegex: ReplacePathRegexSchema.optional(),
  stripPrefixRegex: StripPrefixRegexSchema.optional(),
  contentType: ContentTypeSchema.optional(),
  encodedCharacters: EncodedCharactersSchema.optional(),
  passTLSClientCert: PassTlsClientCertSchema.optional(),
  forwardAuth: ForwardAuthSchema.optional(),
  basicAuth: BasicAuthSchema.optional(),
  digestAuth: DigestAuthSchema.optional(),
  compress: CompressSchema.optional(),
  rateLimit: RateLimitSchema.optional(),
  inFlightReq: InFlightReqSchema.optional(),
  circuitBreaker: CircuitBreakerSchema.optional(),
  buffering: BufferingSchema.optional(),
  retry: RetrySchema.optional(),
  errors: ErrorsSchema.optional(),
  ban: BanSchema.optional(), // issue 17: middleware/ban
  grpcWeb: GrpcWebSchema.optional(),
  waf: WafSchema.optional(), // issue 17: Wharf's own (middleware/waf/)
});

/** Traefik middleware types Wharf does not implement yet: reported as such, not as unknown keys. */
export const UNSUPPORTED_MIDDLEWARE_TYPES = ['plugin'] as const;

// --- routers -----------------------------------------------------------------------------------------

export const RouterTlsSchema = z
  .strictObject({
    options: z
      .string()
      .optional()
      .describe(
        "TLS options for this router's hosts: a tls.options name, e.g. modern@file (default: default)",
      ),
    certResolver: z
      .string()
      .optional()
      .describe('Certificate resolver (certificatesResolvers.<name>, ACME) that obtains the certificate'),
    domains: z
      .array(z.strictObject({ main: z.string().optional(), sans: StringList.optional() }))
      .optional()
      .describe('Domains to get certificates for, instead of those in the Host rules (for certResolver)'),
  })
  .describe('Serve this router over TLS only (HTTPS on its entryPoints); `tls: {}` uses the default options');

const TRACE_VERBOSITY =
  'minimal (default): the entryPoint and upstream spans; detailed: also router, middleware and service spans';

/** An HTTP router: a rule, the entryPoints it listens on, its middlewares and its service. */
export const RouterSchema = z.strictObject({
  rule: z.string().optional().describe('Matching rule, e.g. Host(`a.com`) && PathPrefix(`/api`)'),
  ruleSyntax: z
    .string()
    .optional()
    .describe(
      'Rule language: v3, or v2 for Traefik v2 rules (several arguments, {name:regexp} placeholders, Headers, Query(`k=v`)); default core.defaultRuleSyntax (v3); deprecated by Traefik',
    ),
  entryPoints: StringList.optional().describe('EntryPoints the router listens on (default: all)'),
  middlewares: StringList.optional().describe('Middlewares applied in order before the service'),
  service: z.string().optional().describe('Service that answers; name or name@provider'),
  priority: z.number().int().optional().describe('Higher wins; 0 or unset means the rule length'),
  tls: RouterTlsSchema.optional(),
  observability: z
    .strictObject({
      accessLogs: z.boolean().optional(),
      metrics: z.boolean().optional(),
      tracing: z.boolean().optional(),
      traceVerbosity: z.enum(['minimal', 'detailed']).optional().describe(TRACE_VERBOSITY),
    })
    .optional(),
});

// --- tls (certificates, options, stores) ------------------------------------------------------------

/** A certificate and its key: file paths, or the PEM text itself. */
export const CertificateSchema = z.strictObject({
  certFile: z.string().describe('Certificate file (PEM, leaf first), or the PEM text itself'),
  keyFile: z.string().describe('Private key file (PEM), or the PEM text itself'),
  stores: StringList.optional().describe('Stores to add it to; only default exists'),
});

/** One set of TLS options, chosen by routers through `tls.options`. */
export const TlsOptionsSchema = z.strictObject({
  minVersion: z
    .string()
    .optional()
    .describe('Lowest TLS version: VersionTLS10, VersionTLS11, VersionTLS12 (default), VersionTLS13'),
  maxVersion: z.string().optional().describe('Highest TLS version (default VersionTLS13)'),
  cipherSuites: StringList.optional().describe(
    'TLS 1.0-1.2 cipher suites by Go name, e.g. TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 (TLS 1.3 suites are always on)',
  ),
  curvePreferences: StringList.optional().describe(
    'Key exchange groups in order: CurveP256, CurveP384, CurveP521, X25519, X25519MLKEM768',
  ),
  sniStrict: z
    .boolean()
    .optional()
    .describe('Refuse clients whose server name (SNI) no certificate serves, instead of the default one'),
  alpnProtocols: StringList.optional().describe(
    'ALPN protocols in order of preference (default h2, http/1.1, acme-tls/1)',
  ),
  clientAuth: ClientAuthSchema.optional(),
  disableSessionTickets: z
    .boolean()
    .optional()
    .describe(
      'Refuse TLS session resumption by session tickets (TLS 1.2 and 1.3); every connection does a full handshake',
    ),
});

/** A certificate store; only `default` exists. */
export const TlsStoreSchema = z.strictObject({
  defaultCertificate: CertificateSchema.omit({ stores: true })
    .optional()
    .describe('Certificate for server names no other certificate serves (default: a generated one)'),
  defaultGeneratedCert: DefaultGeneratedCertSchema.optional().describe(
    'Default certificate obtained by a certificate resolver (ACME) for this domain; defaultCertificate wins over it',
  ),
});

export const TlsConfigSchema = z.strictObject({
  certificates: z.array(CertificateSchema).optional().describe('Certificates, chosen by server name (SNI)'),
  options: z
    .record(z.string(), TlsOptionsSchema)
    .optional()
    .describe('Named TLS options; `default` applies to routers that name none'),
  stores: z.record(z.string(), TlsStoreSchema).optional().describe('Certificate stores; only default exists'),
});

/** The whole routing configuration of one provider (or of all, after merging). */
export const DynamicConfigSchema = z.strictObject({
  http: z
    .strictObject({
      routers: z.record(z.string(), RouterSchema).optional(),
      services: z.record(z.string(), ServiceSchema).optional(),
      middlewares: z.record(z.string(), MiddlewareSchema).optional(),
      serversTransports: z
        .record(z.string(), ServersTransportSchema)
        .optional()
        .describe('Named servers transports, chosen by services through loadBalancer.serversTransport'),
    })
    .optional(),
  tls: TlsConfigSchema.optional(),
});

export type Server = z.infer<typeof ServerSchema>;
export type HealthCheck = z.infer<typeof HealthCheckSchema>;
export type StickyCookie = z.infer<typeof StickyCookieSchema>;
export type LoadBalancer = z.infer<typeof LoadBalancerSchema>;
export type { ForwardingTimeouts, ServersTransportConfig } from './transports.ts';
export type Weighted = z.infer<typeof WeightedSchema>;
export type Failover = z.infer<typeof FailoverSchema>;
export type Mirroring = z.infer<typeof MirroringSchema>;
export type ServiceConfig = z.infer<typeof ServiceSchema>;
export type MiddlewareConfig = z.infer<typeof MiddlewareSchema>;
export type MiddlewareKind = keyof MiddlewareConfig;
export type RouterConfig = z.infer<typeof RouterSchema>;
export type TlsConfig = z.infer<typeof TlsConfigSchema>;
export type TlsOptions = z.infer<typeof TlsOptionsSchema>;
export type CertificateConfig = z.infer<typeof CertificateSchema>;
export type DynamicConfig = z.infer<typeof DynamicConfigSchema>;
/** The input shape (durations still as written), as a file, label set or KV tree gives it. */
export type DynamicConfigInput = z.input<typeof DynamicConfigSchema>;

/** The kinds of middleware Wharf implements, from the schema. */
export const MIDDLEWARE_KINDS = Object.keys(MiddlewareSchema.shape) as MiddlewareKind[];

/** The single type key of a middleware, or an error text when it has none or several. */
export function middlewareKind(m: MiddlewareConfig): MiddlewareKind | { problem: string } {
  const kinds = MIDDLEWARE_KINDS.filter((k) => m[k] !== undefined);
  if (kinds.length === 1) return kinds[0] as MiddlewareKind;
  if (kinds.length === 0)
    return { problem: `no middleware type given; use one of ${MIDDLEWARE_KINDS.join(', ')}` };
  return { problem: `several middleware types given (${kinds.join(', ')}); a middleware has exactly one` };
}

/** The single kind of a service, or an error text when it has none or several. */
export function serviceKind(s: ServiceConfig): (typeof SERVICE_KINDS)[number] | { problem: string } {
  const kinds = SERVICE_KINDS.filter((k) => s[k] !== undefined);
  if (kinds.length === 1) return kinds[0] as (typeof SERVICE_KINDS)[number];
  if (kinds.length === 0) return { problem: `no service type given; use one of ${SERVICE_KINDS.join(', ')}` };
  return { problem: `several service types given (${kinds.join(', ')}); a service has exactly one` };
}
