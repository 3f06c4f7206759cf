import { z } from 'zod';
import { DurationSchema } from '../duration.ts';

// rateLimit.redis, key for key as Traefik v3.7 (`dynamic.Redis` in pkg/config/dynamic/middlewares.go, its
// TLS `types.ClientTLS`). Descriptions are user documentation (docs/reference/dynamic.md).

// host:port, the form go-redis dials: a name or IPv4 address, or an IPv6 address in brackets.
const ENDPOINT = /^(?:\[[0-9a-fA-F:.]+\]|[^\s:/[\]@]+):(\d{1,5})$/;

/** One Redis address, `host:port` (`[::1]:6379` for IPv6). */
export const RedisEndpointSchema = z.string().refine(
  (text) => {
    const port = Number(ENDPOINT.exec(text)?.[1] ?? 0);
    return port >= 1 && port <= 65535;
  },
  { error: 'must be host:port with a port from 1 to 65535, e.g. redis:6379 or [::1]:6379' },
);

/** TLS towards Redis (Traefik's `ClientTLS`): ca, cert and key are each a PEM file path or the PEM text. */
export const RateLimitRedisTlsSchema = z.strictObject({
  ca: z
    .string()
    .min(1)
    .optional()
    .describe(
      'CA certificates (PEM file path, or the PEM text) that sign the Redis server certificate (default: the system CAs)',
    ),
  cert: z
    .string()
    .min(1)
    .optional()
    .describe('Client certificate (PEM file path, or the PEM text) sent to Redis; needs key'),
  key: z
    .string()
    .min(1)
    .optional()
    .describe('Private key of the client certificate (PEM file path, or the PEM text); needs cert'),
  insecureSkipVerify: z.boolean().optional().meta({
    description: 'Accept any certificate from Redis (no chain or name check); for tests only',
    docDefault: 'false',
  }),
});

/** Traefik's `redis` option of rateLimit: the buckets live in Redis, shared by every replica using it. */
export const RateLimitRedisSchema = z.strictObject({
  endpoints: z.array(RedisEndpointSchema).min(1).optional().meta({
    description: 'Redis addresses (host:port); several: the seed nodes of a Redis Cluster',
    docDefault: 'localhost:6379',
  }),
  tls: RateLimitRedisTlsSchema.optional().describe('TLS towards Redis; unset: plain TCP'),
  username: z
    .string()
    .optional()
    .describe('ACL user name (Redis 6+); unset with a password: the default user'),
  password: z.string().optional().describe('Password (AUTH) of the user, or of requirepass'),
  db: z.number().int().min(0).optional().meta({
    description: 'Database selected after connecting (a single endpoint; Redis Cluster has only 0)',
    docDefault: '0',
  }),
  poolSize: z.number().int().min(0).optional().meta({
    description:
      "go-redis's pool size in Traefik; accepted, no effect in Wharf: checks are pipelined over one connection per Redis node",
    docDefault: '0',
  }),
  minIdleConns: z.number().int().min(0).optional().meta({
    description:
      "go-redis's idle connections kept in Traefik; accepted, no effect in Wharf (one connection, always open)",
    docDefault: '0',
  }),
  maxActiveConns: z.number().int().min(0).optional().meta({
    description:
      "go-redis's connection cap in Traefik; accepted, no effect in Wharf (one connection per Redis node)",
    docDefault: '0',
  }),
  readTimeout: DurationSchema.optional().meta({
    description:
      'Longest wait for the reply to a check (a check fails after readTimeout + writeTimeout, then the request gets 500); 0 or negative: no limit',
    docDefault: '3s',
  }),
  writeTimeout: DurationSchema.optional().meta({
    description:
      'Added to readTimeout as the limit of one check (Wharf does not time sending apart); 0 or negative: nothing added',
    docDefault: '3s',
  }),
  dialTimeout: DurationSchema.optional().meta({
    description: 'Longest wait to connect (TCP and TLS handshakes); 0 or negative: 5s',
    docDefault: '5s',
  }),
});
