import { isIP } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { DurationSchema, formatDuration } from './duration.ts';
import { type LoadConfigResult, type LoadStaticOptions, loadConfig } from './load-static.ts';
import { ConsulProviderSchema, DockerProviderSchema, StaticConfigSchema } from './static.ts';
import { REGISTRAR_ENV_PREFIX } from './static-args.ts';

// The registrar's configuration: which Docker Engine it watches, which Consul it publishes to and how this
// host is named there. Loaded like the router's static configuration (file, WHARF_REGISTRAR_* variables,
// flags; flags beat env beat file), with the same key names where the two overlap.

/** Host ids become a Consul KV key segment: no "/", no spaces, nothing Consul or a URL would mangle. */
const HOST_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/** Consul accepts session TTLs from 10s to 24h. */
const TTL_MIN_MS = 10_000;
const TTL_MAX_MS = 86_400_000;

/** `consul`: the router's providers.consul keys that say where Consul is and under which KV prefix. */
export const RegistrarConsulSchema = ConsulProviderSchema.pick({
  endpoints: true,
  rootKey: true,
  token: true,
  tls: true,
}).extend({
  rootKey: ConsulProviderSchema.shape.rootKey.describe(
    'KV prefix the registrar publishes under; routers read it with the same providers.consul.rootKey (default wharf)',
  ),
});

/** `registrar`: how this host and its containers' addresses appear in Consul. */
export const RegistrarOptionsSchema = z
  .strictObject({
    hostId: z
      .string()
      .regex(HOST_ID, {
        error:
          'use 1 to 128 characters: letters, digits, "_", "." and "-", starting with a letter or digit (it becomes a Consul key segment)',
      })
      .optional()
      .describe("This host's name in Consul (a KV key segment); default: the Docker Engine's ID"),
    address: z
      .enum(['container', 'host'])
      .default('container')
      .describe(
        "Address published for each server: container (the container's IP on its network) or host (registrar.hostIP with the container's published port)",
      ),
    hostIP: z
      .string()
      .refine((text) => isIP(text) !== 0, {
        error: (issue) =>
          `"${String(issue.input)}" is not an IP address; give an IPv4 or IPv6 literal (e.g. 192.0.2.10 or 2001:db8::10, no brackets), not a host name`,
      })
      .optional()
      .describe('IP address of this host that routers can reach; required when registrar.address is host'),
    ttl: DurationSchema.pipe(
      z.number().refine((ms) => ms >= TTL_MIN_MS && ms <= TTL_MAX_MS, {
        error: (issue) =>
          `${formatDuration(Number(issue.input))} is out of range: Consul accepts session TTLs from 10s to 24h`,
      }),
    )
      .default(30_000)
      .describe(
        "TTL of the registrar's Consul session: how long Consul waits for a renewal before it invalidates the session (default 30s; 10s to 24h)",
      ),
    healthFile: z.string().default(join(tmpdir(), 'wharf-registrar.health.json')).meta({
      description:
        'Where the registrar writes its health state, read by `wharf-registrar healthcheck` (default: in the temp directory, $TMPDIR or /tmp)',
      // The real default depends on the machine; the generated reference shows this instead.
      docDefault: '<temp dir>/wharf-registrar.health.json',
    }),
    metricsFile: z
      .string()
      .optional()
      .describe(
        "Write the registrar's metrics (publishes, conflicts, publish latency) in Prometheus's text format to this file, with the health file, e.g. for node_exporter's textfile collector (default: none; the registrar listens on no port)",
      ),
    healthMaxAge: DurationSchema.pipe(
      z.number().refine((ms) => ms > 0, {
        error: (issue) => `${formatDuration(Number(issue.input))} is not a positive duration`,
      }),
    )
      .default(30_000)
      .describe(
        'How old the health file may be before `wharf-registrar healthcheck` says unhealthy (default 30s)',
      ),
  })
  .superRefine((options, ctx) => {
    if (options.address === 'host' && options.hostIP === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['hostIP'],
        message:
          "required when registrar.address is host: each server is then published as this IP with the container's published port; set it to an IP address of this host that routers can reach",
      });
    }
  });

/** The registrar's whole configuration. */
export const RegistrarConfigSchema = z.strictObject({
  providers: z
    .strictObject({
      docker: DockerProviderSchema.prefault({}).describe(
        'The Docker Engine whose containers and labels are published, read as the router reads them',
      ),
    })
    .prefault({}),
  consul: RegistrarConsulSchema.prefault({}).describe('The Consul the registrar publishes to'),
  registrar: RegistrarOptionsSchema.prefault({}).describe('This host, its addresses and its health'),
  log: StaticConfigSchema.shape.log,
});

export type RegistrarConsulConfig = z.infer<typeof RegistrarConsulSchema>;
export type RegistrarOptions = z.infer<typeof RegistrarOptionsSchema>;
export type RegistrarConfig = z.infer<typeof RegistrarConfigSchema>;
export type RegistrarConfigInput = z.input<typeof RegistrarConfigSchema>;

/** The validated registrar configuration (defaults applied), or every problem found. */
export type LoadRegistrarResult = LoadConfigResult<RegistrarConfig>;

/** Loads and validates the registrar's configuration from a file, WHARF_REGISTRAR_* variables and flags. */
export function loadRegistrarConfig(opts: LoadStaticOptions): LoadRegistrarResult {
  return loadConfig({
    ...opts,
    schema: RegistrarConfigSchema,
    envPrefix: REGISTRAR_ENV_PREFIX,
    flagExample: '--consul.endpoints=127.0.0.1:8500',
  });
}
