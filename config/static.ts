import { z } from 'zod';
import { DurationSchema, parseDuration } from './duration.ts';
import { AccessLogSchema } from './static/access-log.ts';
import { AcmeExtraKeys } from './static/acme.ts';
import { ApiSchema, PingSchema } from './static/api.ts';
import { CoreSchema } from './static/core.ts';
import { EntryPointObservabilitySchema } from './static/entry-point-observability.ts';
import {
  entryPointExtras,
  entryPointForwardedExtras,
  entryPointHttpExtras,
  entryPointTransportExtras,
} from './static/entry-point-options.ts';
import { LogSchema } from './static/log.ts';
import { MetricsSchema } from './static/metrics.ts';
import { TracingSchema } from './static/tracing.ts';
import { StaticServersTransportSchema } from './transports.ts';

// The install ("static") configuration: Traefik v3's key names for what Wharf supports. Loaded once at
// start from a file (--configFile), environment (WHARF_*) and flags (--a.b.c=v); flags beat env beat file.

/** An `encodedCharacters` option: whether paths may hold this escape (Traefik's default since v3.6.7: true). */
const encodedCharacter = (what: string) =>
  z
    .boolean()
    .default(true)
    .describe(`Allow ${what} encoded in request paths (default true; false answers such requests with 400)`);

/** One listener. */
export const EntryPointSchema = z.strictObject({
  address: z.string().describe('Listen address, e.g. ":80", "127.0.0.1:8000", "[::1]:8080"'),
  asDefault: z
    .boolean()
    .optional()
    .describe('Routers without entryPoints attach to default entryPoints only'),
  http: z
    .strictObject({
      middlewares: z
        .array(z.string())
        .optional()
        .describe('Middlewares prepended to every router on this entryPoint (name@provider)'),
      redirections: z
        .strictObject({
          entryPoint: z.strictObject({
            to: z.string().describe('EntryPoint name (its port is used) or a port, e.g. websecure or :443'),
            scheme: z.string().default('https').describe('Scheme of the redirect (default https)'),
            permanent: z.boolean().default(true).describe('301/308 instead of 302/307 (default true)'),
            priority: z
              .number()
              .int()
              .optional()
              .describe(
                'Priority of the redirection against the routers of the entryPoint (default: above every router); a router with a higher priority is served without redirection',
              ),
          }),
        })
        .optional(),
      tls: z
        .strictObject({
          certResolver: z
            .string()
            .optional()
            .describe('Default certificate resolver (ACME) for routers on this entryPoint'),
          options: z.string().optional().describe('Default TLS options for routers on this entryPoint'),
          domains: z
            .array(z.strictObject({ main: z.string().optional(), sans: z.array(z.string()).optional() }))
            .optional()
            .describe('Default domains for the certificate resolver (ACME)'),
        })
        .optional()
        .describe('Serve every router on this entryPoint over TLS, as if each set `tls` with these values'),
      sanitizePath: z
        .boolean()
        .default(true)
        .describe(
          'Remove `.` and `..` segments and duplicate slashes from request paths before routing and forwarding (default true; false is unsafe)',
        ),
      encodedCharacters: z
        .strictObject({
          allowEncodedSlash: encodedCharacter('%2F (slash)'),
          allowEncodedBackSlash: encodedCharacter('%5C (back slash)'),
          allowEncodedNullCharacter: encodedCharacter('%00 (null character)'),
          allowEncodedSemicolon: encodedCharacter('%3B (semicolon)'),
          allowEncodedPercent: encodedCharacter('%25 (percent)'),
          allowEncodedQuestionMark: encodedCharacter('%3F (question mark)'),
          allowEncodedHash: encodedCharacter('%23 (hash)'),
        })
        .optional()
        .describe(
          'Which percent-encoded characters a request path may contain; a denied one is answered 400',
        ),
      ...entryPointHttpExtras,
    })
    .optional(),
  transport: z
    .strictObject({
      respondingTimeouts: z
        .strictObject({
          readTimeout: DurationSchema.default(60_000).describe(
            'Longest time to read a whole request (default 60s; 0: none)',
          ),
          writeTimeout: DurationSchema.optional().describe(
            'Longest time from reading a request to the end of its response (default: none)',
          ),
          idleTimeout: DurationSchema.default(180_000).describe(
            'Keep-alive idle time before closing (default 180s)',
          ),
        })
        .optional(),
      lifeCycle: z
        .strictObject({
          requestAcceptGraceTimeout: DurationSchema.optional().describe(
            'Keep accepting requests this long after a stop signal',
          ),
          graceTimeOut: DurationSchema.default(10_000).describe(
            'Time given to in-flight requests to finish on stop (default 10s)',
          ),
        })
        .optional(),
      ...entryPointTransportExtras,
    })
    .optional(),
  forwardedHeaders: z
    .strictObject({
      trustedIPs: z
        .array(z.string())
        .optional()
        .describe('Peers whose X-Forwarded-* headers are kept (IPs or CIDRs)'),
      insecure: z.boolean().optional().describe('Trust X-Forwarded-* headers from every peer'),
      ...entryPointForwardedExtras,
    })
    .optional(),
  observability: EntryPointObservabilitySchema.optional().describe(
    "Defaults of the routers on this entryPoint; a router's own observability key wins",
  ),
  ...entryPointExtras,
});

/** `providers.docker`: where the Docker Engine is and how container labels become configuration. */
export const DockerProviderSchema = z.strictObject({
  endpoint: z
    .string()
    .default('unix:///var/run/docker.sock')
    .describe('Docker Engine address: unix:///path/docker.sock or tcp://host:2376 (DOCKER_HOST when unset)'),
  tls: z
    .strictObject({
      ca: z.string().optional().describe('CA certificate file for a tcp:// endpoint'),
      cert: z.string().optional().describe('Client certificate file'),
      key: z.string().optional().describe('Client key file'),
      insecureSkipVerify: z.boolean().optional().describe("Do not verify the daemon's certificate"),
    })
    .optional(),
  labelPrefix: z
    .string()
    .default('wharf')
    .describe('Label prefix (default wharf; traefik reads existing Traefik labels)'),
  exposedByDefault: z
    .boolean()
    .default(true)
    .describe('Route containers without <prefix>.enable=true (default true)'),
  defaultRule: z
    .string()
    .default('Host(`{{ normalize .Name }}`)')
    .describe('Rule template for routers without a rule; .Name, .ContainerName, .Labels, normalize'),
  constraints: z
    .string()
    .optional()
    .describe('Which containers to consider: Label(`k`,`v`), LabelRegex(`k`,`re`), &&, ||, !'),
  network: z.string().optional().describe('Network whose address is used when a container is on several'),
  allowEmptyServices: z
    .boolean()
    .default(false)
    .describe('Keep the services of unhealthy or starting containers, with no server (503 instead of 404)'),
  watch: z.boolean().default(true).describe('Follow Docker events (default true)'),
  useBindPortIP: z
    .boolean()
    .default(false)
    .describe(
      "Address servers by the host IP and port their port is published on (when bound to a specific IP), instead of the container's own address",
    ),
});

/** `providers.consul`: where Consul is and which KV tree holds the routing configuration. */
export const ConsulProviderSchema = z.strictObject({
  endpoints: z
    .array(z.string())
    .min(1)
    .default(['127.0.0.1:8500'])
    .describe('Consul agents, host:port or http(s)://host:port; tried in turn when one fails'),
  rootKey: z.string().default('wharf').describe('KV prefix of the configuration (default wharf)'),
  token: z.string().optional().describe('ACL token, sent in X-Consul-Token'),
  namespace: z
    .string()
    .optional()
    .describe('Consul Enterprise namespace (the provider is then consul-<namespace>)'),
  tls: z
    .strictObject({
      ca: z.string().optional().describe('CA certificate file for https endpoints'),
      cert: z.string().optional().describe('Client certificate file'),
      key: z.string().optional().describe('Client key file'),
      insecureSkipVerify: z.boolean().optional().describe("Do not verify Consul's certificate"),
    })
    .optional(),
  stale: z
    .boolean()
    .default(false)
    .describe('Read from any server (?stale) instead of consistent reads through the leader (default false)'),
});

/** `certificatesResolvers.<name>.acme`: an ACME account and how it proves control of domains (Traefik's keys). */
export const AcmeResolverSchema = z.strictObject({
  email: z.string().optional().describe('Contact email of the ACME account'),
  caServer: z
    .string()
    .default('https://acme-v02.api.letsencrypt.org/directory')
    .describe("ACME directory URL (default Let's Encrypt production)"),
  caCertificates: z
    .array(z.string())
    .optional()
    .describe(
      "CA certificate files (PEM) trusted for the CA server's HTTPS (instead of the system roots unless caSystemCertPool)",
    ),
  storage: z
    .string()
    .default('acme.json')
    .describe(
      'Where the account and certificates are kept: a JSON file (default acme.json, mode 0600), "consul" (the providers.consul agents; shared by replicas) or consul://host:port/<rootKey>',
    ),
  keyType: z
    .enum(['EC256', 'EC384', 'RSA2048', 'RSA3072', 'RSA4096', 'RSA8192'])
    .default('RSA4096')
    .describe('Key type of the certificates (default RSA4096)'),
  certificatesDuration: z
    .union([z.number(), z.string()])
    .transform((value, ctx) => {
      // Traefik's unit is the hour; a duration with a unit ("90s", "24h") is Wharf's extension.
      const ms = /^\s*\d+(\.\d+)?\s*$/.test(String(value))
        ? Number(value) * 3_600_000
        : parseDuration(String(value));
      if (ms === undefined || ms <= 0) {
        ctx.addIssue({ code: 'custom', message: `"${value}" is not a number of hours nor a duration` });
        return z.NEVER;
      }
      return ms;
    })
    .prefault(2160)
    .describe(
      "Lifetime of the CA's certificates in hours (default 2160, 90 days) or as a duration; sets the renewal schedule",
    ),
  preferredChain: z.string().optional().describe('Issuer common name of the preferred alternate chain'),
  clientTimeout: DurationSchema.default(120_000).describe('Timeout of one request to the CA (default 2m)'),
  eab: z
    .strictObject({
      kid: z.string().describe('Key identifier from the CA'),
      hmacEncoded: z.string().describe('Base64url HMAC key from the CA'),
    })
    .optional()
    .describe('External account binding, for CAs that require one (ZeroSSL, Google)'),
  httpChallenge: z
    .strictObject({
      entryPoint: z
        .string()
        .describe('EntryPoint that answers HTTP-01 challenges (must be reachable on :80)'),
      delay: DurationSchema.optional().describe('Accepted for compatibility; Wharf asks the CA at once'),
    })
    .optional()
    .describe('Prove control with HTTP-01 (/.well-known/acme-challenge/ on the entryPoint)'),
  tlsChallenge: z
    .strictObject({
      delay: DurationSchema.optional().describe('Accepted for compatibility; Wharf asks the CA at once'),
    })
    .optional()
    .describe('Prove control with TLS-ALPN-01 on the TLS entryPoints (must be reachable on :443)'),
  ...AcmeExtraKeys, // dnsChallenge, profile, caServerName, ... (config/static/acme.ts)
});

export { StaticServersTransportSchema } from './transports.ts';

/** The whole static configuration. */
export const StaticConfigSchema = z.strictObject({
  entryPoints: z.record(z.string(), EntryPointSchema).optional().describe('Listeners by name'),
  providers: z
    .strictObject({
      providersThrottleDuration: DurationSchema.default(100).describe(
        'Least time between two reloads from the same provider (default 100ms; Traefik: 2s)',
      ),
      docker: DockerProviderSchema.optional().describe(
        'Containers and their labels as routing configuration',
      ),
      consul: ConsulProviderSchema.optional().describe('Routing configuration stored in Consul KV'),
      file: z
        .strictObject({
          filename: z.string().optional().describe('A dynamic configuration file (YAML, TOML or JSON)'),
          directory: z.string().optional().describe('A directory of dynamic configuration files'),
          watch: z
            .boolean()
            .default(true)
            .describe('Reload when the file or directory changes (default true)'),
        })
        .optional(),
    })
    .prefault({}),
  api: ApiSchema.optional().describe(
    "Traefik's read-only API and the dashboard (api@internal, dashboard@internal)",
  ),
  ping: PingSchema.optional().describe('The /ping health check (ping@internal)'),
  log: LogSchema.prefault({}).describe("Wharf's own log: level, format, file and its rotation"),
  certificatesResolvers: z
    .record(z.string(), z.strictObject({ acme: AcmeResolverSchema.describe('An ACME certificate resolver') }))
    .optional()
    .describe('Certificate resolvers by name, for routers with tls.certResolver'),
  serversTransport: StaticServersTransportSchema.optional().describe(
    'Default servers transport of every service (default@internal)',
  ),
  accessLog: AccessLogSchema.optional().describe(
    'Access log: one line per request (`--accessLog` alone turns it on)',
  ),
  metrics: MetricsSchema.optional().describe('Metrics exporters (Prometheus)'),
  tracing: TracingSchema.optional().describe('OpenTelemetry tracing of requests, exported with OTLP'),
  core: CoreSchema.optional().describe('The default rule syntax (core.defaultRuleSyntax)'),
});

export type EntryPointConfig = z.infer<typeof EntryPointSchema>;
export type DockerProviderConfig = z.infer<typeof DockerProviderSchema>;
export type ConsulProviderConfig = z.infer<typeof ConsulProviderSchema>;
export type AcmeResolverConfig = z.infer<typeof AcmeResolverSchema>;
export type StaticConfig = z.infer<typeof StaticConfigSchema>;
export type { StaticServersTransport } from './transports.ts';
export type StaticConfigInput = z.input<typeof StaticConfigSchema>;

/** The internal entryPoint for api, ping and metrics (Traefik's `traefik`). */
export const INTERNAL_ENTRYPOINT = 'wharf';
/** Its default address. */
export const INTERNAL_ENTRYPOINT_ADDRESS = ':8080';
