import type { ConnectionOptions } from 'node:tls';
import type { z } from 'zod';
import type { RateLimitRedisSchema } from '../../config/middlewares/rate-limit-redis.ts';
import { clientTls } from '../forward-auth/client-tls.ts';

/** The validated `rateLimit.redis` options. */
export type RateLimitRedisOptions = z.infer<typeof RateLimitRedisSchema>;

/** Traefik's defaults (`Redis.SetDefaults`) and go-redis's dial timeout for a value of 0 or less. */
const DEFAULT_ENDPOINT = 'localhost:6379';
const DEFAULT_READ_MS = 3000;
const DEFAULT_WRITE_MS = 3000;
const DEFAULT_DIAL_MS = 5000;

/** A Redis address split for net.connect. */
export interface RedisAddress {
  readonly host: string;
  readonly port: number;
}

/** How to reach Redis, decided from the options once per rateLimit instance. */
export interface RedisPlan {
  /** `single`: one server (endpoints has one address); `cluster`: seed nodes of a Redis Cluster, as go-redis's UniversalClient decides. */
  readonly mode: 'single' | 'cluster';
  readonly addresses: readonly RedisAddress[];
  readonly username: string | undefined;
  readonly password: string | undefined;
  /** Database to SELECT; a cluster has only 0. */
  readonly database: number;
  /** TLS options (CA, client certificate, verification), or undefined for plain TCP. */
  readonly tls: ConnectionOptions | undefined;
  /** Longest wait to connect, in ms. */
  readonly dialMs: number;
  /** Longest wait for one check, sent and answered, in ms; undefined: no limit (readTimeout ≤ 0). */
  readonly commandMs: number | undefined;
  /** Options accepted for Traefik compatibility that change nothing here, as sentences to log once. */
  readonly ignored: readonly string[];
}

/** Splits `host:port` (`[::1]:6379` for IPv6); the schema already checked the form. */
export function parseRedisAddress(endpoint: string): RedisAddress {
  const colon = endpoint.lastIndexOf(':');
  const host = endpoint.slice(0, colon);
  return { host: host.startsWith('[') ? host.slice(1, -1) : host, port: Number(endpoint.slice(colon + 1)) };
}

/**
 * Turns `rateLimit.redis` into a connection plan, as Traefik's newRedisLimiter configures go-redis:
 * endpoints default to localhost:6379, several endpoints mean a Redis Cluster; dialTimeout ≤ 0 is 5s;
 * readTimeout ≤ 0 means no limit (go-redis's -1). A check is one command written then answered, so its
 * limit is readTimeout + writeTimeout (a positive writeTimeout only). Throws when the TLS files are unusable.
 */
export function planRedis(options: RateLimitRedisOptions): RedisPlan {
  const endpoints = options.endpoints ?? [DEFAULT_ENDPOINT];
  const mode = endpoints.length > 1 ? 'cluster' : 'single';
  const read = options.readTimeout ?? DEFAULT_READ_MS;
  const write = options.writeTimeout ?? DEFAULT_WRITE_MS;
  const dial = options.dialTimeout ?? DEFAULT_DIAL_MS;
  const ignored: string[] = [];
  const pool = (['poolSize', 'minIdleConns', 'maxActiveConns'] as const).filter(
    (k) => (options[k] ?? 0) !== 0,
  );
  if (pool.length > 0)
    ignored.push(
      `redis.${pool.join(', redis.')}: no effect in Wharf, which pipelines every check over one connection per Redis node`,
    );
  if (mode === 'cluster' && (options.db ?? 0) !== 0)
    ignored.push(
      `redis.db ${options.db}: ignored with several endpoints (a Redis Cluster has only database 0)`,
    );
  return {
    mode,
    addresses: endpoints.map(parseRedisAddress),
    username: options.username === '' ? undefined : options.username,
    password: options.password === '' ? undefined : options.password,
    database: mode === 'cluster' ? 0 : (options.db ?? 0),
    tls: options.tls === undefined ? undefined : clientTls(options.tls),
    dialMs: dial > 0 ? dial : DEFAULT_DIAL_MS,
    commandMs: read > 0 ? read + Math.max(write, 0) : undefined,
    ignored,
  };
}
