import { describe, expect, it } from 'vitest';
import { RateLimitRedisSchema } from '../../config/middlewares/rate-limit-redis.ts';
import { parseRedisAddress, planRedis } from './redis-options.ts';

const base = {
  mode: 'single',
  addresses: [{ host: 'localhost', port: 6379 }],
  username: undefined,
  password: undefined,
  database: 0,
  tls: undefined,
  dialMs: 5000,
  commandMs: 6000,
  ignored: [],
};

describe('planRedis (Traefik newRedisLimiter and go-redis defaults)', () => {
  it.each([
    ['defaults: localhost:6379, dial 5s, read 3s + write 3s', {}, base],
    [
      'one endpoint, credentials, database',
      { endpoints: ['redis:6380'], username: 'u', password: 'p', db: 2 },
      { ...base, addresses: [{ host: 'redis', port: 6380 }], username: 'u', password: 'p', database: 2 },
    ],
    ['empty credentials are none', { username: '', password: '' }, base],
    [
      'several endpoints: a Redis Cluster, database 0 only',
      { endpoints: ['a:7000', '[::1]:7001'], db: 1 },
      {
        ...base,
        mode: 'cluster',
        addresses: [
          { host: 'a', port: 7000 },
          { host: '::1', port: 7001 },
        ],
        ignored: ['redis.db 1: ignored with several endpoints (a Redis Cluster has only database 0)'],
      },
    ],
    [
      'timeouts',
      { readTimeout: 250, writeTimeout: 50, dialTimeout: 100 },
      { ...base, dialMs: 100, commandMs: 300 },
    ],
    ['readTimeout 0: no limit, as go-redis -1', { readTimeout: 0 }, { ...base, commandMs: undefined }],
    ['readTimeout negative: no limit', { readTimeout: -1000 }, { ...base, commandMs: undefined }],
    ['writeTimeout 0: only the read limit', { writeTimeout: 0 }, { ...base, commandMs: 3000 }],
    ['dialTimeout 0 or negative: 5s', { dialTimeout: 0 }, base],
    [
      'pool settings: accepted, logged as without effect',
      { poolSize: 50, minIdleConns: 0, maxActiveConns: 200 },
      {
        ...base,
        ignored: [
          'redis.poolSize, redis.maxActiveConns: no effect in Wharf, which pipelines every check over one connection per Redis node',
        ],
      },
    ],
    [
      'TLS without files: verification kept, or skipped on request',
      { tls: { insecureSkipVerify: true } },
      { ...base, tls: { rejectUnauthorized: false } },
    ],
    ['TLS, empty: the system CAs', { tls: {} }, { ...base, tls: {} }],
  ])('%s', (_name, options, expected) => {
    expect(planRedis(options)).toEqual(expected);
  });

  it('refuses a cert without its key, as Traefik', () => {
    expect(() => planRedis({ tls: { cert: '-----BEGIN CERTIFICATE-----' } })).toThrow('both cert and key');
  });
});

describe('redis endpoints', () => {
  it.each([
    ['localhost:6379', { host: 'localhost', port: 6379 }],
    ['10.0.0.5:1', { host: '10.0.0.5', port: 1 }],
    ['[2001:db8::1]:65535', { host: '2001:db8::1', port: 65535 }],
  ])('%s is %j', (endpoint, address) => {
    expect(RateLimitRedisSchema.safeParse({ endpoints: [endpoint] }).success).toBe(true);
    expect(parseRedisAddress(endpoint)).toEqual(address);
  });

  it.each([
    'localhost',
    'localhost:0',
    'localhost:65536',
    'redis://localhost:6379',
    '::1:6379',
    'a b:6379',
    ':6379',
  ])('%s is refused', (endpoint) => {
    expect(RateLimitRedisSchema.safeParse({ endpoints: [endpoint] }).success).toBe(false);
  });

  it('an empty list is refused', () => {
    expect(RateLimitRedisSchema.safeParse({ endpoints: [] }).success).toBe(false);
  });
});
