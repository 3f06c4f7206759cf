import { createClient } from '@redis/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TOKEN_BUCKET_SCRIPT } from '../../middleware/rate-limit/redis-token-bucket.ts';
import { freePort } from '../acme/pebble.ts';
import { type Backend, startServer, until } from '../helpers/backends.ts';
import { certFactory } from '../helpers/certs.ts';
import { ensureRedis, type RedisServer, startRedis } from '../helpers/redis-server.ts';
import { get, startWharf, type TestWharf } from '../helpers/wharf.ts';

// rateLimit with its buckets in a real Redis (Debian's redis-server, started here): the bucket script,
// failing closed while Redis is down or hung, Redis's authentication, databases, TLS and Cluster, and the
// connection's lifecycle. Several Wharf processes sharing one limit: rate-limit-redis-replicas.test.ts.

const skip = await ensureRedis();

let backend: Backend;
let redis: RedisServer;

const dynamic = (rateLimit: Record<string, unknown>) => ({
  http: {
    routers: { rl: { rule: 'Host(`rl.test`)', service: 'b', middlewares: ['limit'] } },
    middlewares: { limit: { rateLimit } },
    services: { b: { loadBalancer: { servers: [{ url: backend.url }] } } },
  },
});

interface Inspector {
  sendCommand(args: string[]): Promise<unknown>;
  close(): Promise<void>;
}

/** A plain client of the test's own, to look into Redis. */
async function inspect(server: RedisServer, options: { password?: string } = {}): Promise<Inspector> {
  const c = createClient({ socket: { host: '127.0.0.1', port: server.port }, ...options });
  c.on('error', () => {});
  await c.connect();
  return c as unknown as Inspector;
}

// What a test started, stopped after it whether it passed or not (last started, first stopped).
const cleanups: Array<() => unknown> = [];
function track<T>(value: T, stop: (v: T) => unknown): T {
  cleanups.push(() => stop(value));
  return value;
}
afterEach(async () => {
  for (const stop of cleanups.splice(0).reverse()) await stop();
});

// One Redis and one backend for the whole file (every describe uses them).
beforeAll(async () => {
  if (skip !== undefined) return;
  backend = await startServer((_req, res) => res.end('ok'));
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.remove();
  await backend?.close();
});

describe.skipIf(skip !== undefined)(`rateLimit.redis with a real Redis${skip ? ` (${skip})` : ''}`, () => {
  it('the bucket script: burst tokens at once, then refusals with the wait; a key per source that expires when full', async () => {
    const c = track(await inspect(redis), (x) => x.close());
    // 1 token per hour, burst 3, longest wait 0.5s: nothing refills during the test.
    const args = [String(1 / 3600 / 1e6), '3', String(500e3)];
    const check = (key: string) => c.sendCommand(['EVAL', TOKEN_BUCKET_SCRIPT, '1', key, ...args]);
    const replies = [];
    for (let i = 0; i < 4; i++) replies.push(await check('rate:t:a'));
    expect(replies.slice(0, 3)).toEqual([
      [1, 0],
      [1, 0],
      [1, 0],
    ]);
    const [taken, wait] = replies[3] as [number, number];
    expect(taken).toBe(0);
    // One token is missing: an hour, less the microseconds that passed.
    expect(wait).toBeGreaterThan(3590e9);
    expect(wait).toBeLessThanOrEqual(3600e9);
    // Another source has its own bucket.
    expect(await check('rate:t:b')).toEqual([1, 0]);
    // Expires when full again: 3 hours for 3 tokens missing (refusals take nothing).
    const ttl = Number(await c.sendCommand(['PTTL', 'rate:t:a']));
    expect(ttl).toBeGreaterThan(3 * 3600e3 - 60e3);
    expect(ttl).toBeLessThanOrEqual(3 * 3600e3);
    // Traefik's fields: last (microseconds since the epoch, Redis's clock) and tokens (a fraction).
    const [last, tokens] = (await c.sendCommand(['HMGET', 'rate:t:a', 'last', 'tokens'])) as string[];
    expect(Math.abs(Number(last) / 1e3 - Date.now())).toBeLessThan(60e3);
    expect(Number(tokens)).toBeGreaterThanOrEqual(0);
    expect(Number(tokens)).toBeLessThan(0.01);
  });
});

/** Wharf's connections to a Redis: client ids other than the inspecting client's own. */
async function wharfConnections(c: Inspector): Promise<string[]> {
  const own = String(await c.sendCommand(['CLIENT', 'ID']));
  const list = String(await c.sendCommand(['CLIENT', 'LIST']));
  return list
    .split('\n')
    .map((line) => /^id=(\d+)/.exec(line)?.[1])
    .filter((id): id is string => id !== undefined && id !== own);
}

describe.skipIf(skip !== undefined)('rateLimit.redis through a running router', () => {
  const status = async (w: TestWharf) => (await get(w.web, '/', 'rl.test')).status;
  const lines = (w: TestWharf, text: string) => w.logs.filter((l) => l.msg.includes(text)).length;

  it('answers 500 while Redis is down, logs that once, and limits again once Redis is back', async () => {
    const own = track(await startRedis(), (r) => r.remove());
    const limit = { average: 1, period: '1h', burst: 2, redis: { endpoints: [own.endpoint] } };
    const w = await startWharf(dynamic(limit), {}, { logs: true });
    try {
      expect([await status(w), await status(w), await status(w)]).toEqual([200, 200, 429]);
      await own.stop();
      for (let i = 0; i < 5; i++) {
        const res = await get(w.web, '/', 'rl.test');
        // Traefik's answer when the bucket cannot be read or written: it fails closed.
        expect([res.status, res.text, res.headers['x-content-type-options']]).toEqual([
          500,
          'Could not insert/update bucket\n',
          'nosniff',
        ]);
      }
      expect(lines(w, 'Redis is unreachable')).toBe(1);

      // Back, empty (no persistence): full buckets once the client has reconnected by itself.
      await own.start();
      let first = 500;
      const deadline = Date.now() + 30_000;
      while (first === 500 && Date.now() < deadline) {
        first = await status(w);
        if (first === 500) await new Promise((r) => setTimeout(r, 50));
      }
      expect([first, await status(w), await status(w)]).toEqual([200, 200, 429]);
      expect(lines(w, 'Redis is reachable again')).toBe(1);
      expect(lines(w, 'Redis is unreachable')).toBe(1);
    } finally {
      await w.stop();
    }
  }, 60_000);

  it('fails a check after readTimeout + writeTimeout when Redis hangs, instead of holding the request', async () => {
    const own = track(await startRedis(), (r) => r.remove());
    const redisOptions = { endpoints: [own.endpoint], readTimeout: '300ms', writeTimeout: '100ms' };
    const w = await startWharf(
      dynamic({ average: 1, period: '1h', burst: 2, redis: redisOptions }),
      {},
      { logs: true },
    );
    try {
      expect(await status(w)).toBe(200);
      own.pause();
      // Without a limit these would wait for as long as Redis is frozen (the test would time out).
      expect([await status(w), await status(w), await status(w)]).toEqual([500, 500, 500]);
      expect(lines(w, 'Redis is unreachable')).toBe(1);
      own.resume();
      let next = 500;
      const deadline = Date.now() + 15_000;
      while (next === 500 && Date.now() < deadline) next = await status(w);
      // Limiting again. The checks that timed out were still run by Redis once it resumed (Redis had
      // read them), and took the burst's last token: a timed-out check may count, as with Traefik.
      expect(next).toBe(429);
      expect(lines(w, 'Redis is reachable again')).toBe(1);
    } finally {
      own.resume();
      await w.stop();
    }
  }, 60_000);

  it('authenticates as an ACL user, selects the database, and fails closed with a wrong password', async () => {
    const own = track(
      await startRedis({ password: 'admin-pw', users: ['wharf on >wharf-pw ~rate:* &* +@all'] }),
      (r) => r.remove(),
    );
    const redisOptions = { endpoints: [own.endpoint], username: 'wharf', password: 'wharf-pw', db: 3 };
    const w = await startWharf(
      dynamic({ average: 1, period: '1h', burst: 1, redis: redisOptions }),
      {},
      { logs: true },
    );
    const c = track(await inspect(own, { password: 'admin-pw' }), (x) => x.close());
    try {
      expect([await status(w), await status(w)]).toEqual([200, 429]);
      const key = 'rate:limit@file:127.0.0.1';
      expect(await c.sendCommand(['EXISTS', key])).toBe(0);
      await c.sendCommand(['SELECT', '3']);
      expect(await c.sendCommand(['EXISTS', key])).toBe(1);

      await w.reload(
        dynamic({ average: 1, period: '1h', burst: 1, redis: { ...redisOptions, password: 'wrong' } }),
      );
      await until(() => lines(w, 'Redis is unreachable') > 0, 'the outage log line', 15_000);
      expect((await get(w.web, '/', 'rl.test')).status).toBe(500);
    } finally {
      await w.stop();
    }
  }, 60_000);

  it('speaks TLS to Redis, verifying its certificate against tls.ca', async () => {
    const certs = track(certFactory(), (f) => f.remove());
    const pair = certs.make('redis', ['127.0.0.1']);
    const own = track(await startRedis({ tls: pair }), (r) => r.remove());
    const limit = (tls: Record<string, unknown>) => ({
      average: 1,
      period: '1h',
      burst: 1,
      redis: { endpoints: [own.endpoint], tls },
    });
    const w = await startWharf(dynamic(limit({ ca: pair.certFile })), {}, { logs: true });
    try {
      expect([await status(w), await status(w)]).toEqual([200, 429]);
      // Without the CA the self-signed certificate is refused: no bucket, 500.
      await w.reload(dynamic(limit({ insecureSkipVerify: false })));
      await until(() => lines(w, 'Redis is unreachable') > 0, 'the outage log line', 15_000);
      expect((await get(w.web, '/', 'rl.test')).status).toBe(500);
    } finally {
      await w.stop();
    }
  }, 60_000);

  it('with several endpoints, talks to a Redis Cluster through its seed nodes', async () => {
    const own = track(await startRedis({ cluster: true }), (r) => r.remove());
    const c = track(await inspect(own), (x) => x.close());
    const dead = await freePort();
    let w: TestWharf | undefined;
    try {
      // A cluster of one node holding every slot.
      await c.sendCommand(['CLUSTER', 'ADDSLOTSRANGE', '0', '16383']);
      const deadline = Date.now() + 15_000;
      while (!String(await c.sendCommand(['CLUSTER', 'INFO'])).includes('cluster_state:ok')) {
        if (Date.now() > deadline) throw new Error('the test cluster never became ok');
        await new Promise((r) => setTimeout(r, 50));
      }
      // One seed node is dead: the other one tells where the slots are.
      const endpoints = [`127.0.0.1:${dead}`, own.endpoint];
      w = await startWharf(
        dynamic({ average: 1, period: '1h', burst: 2, redis: { endpoints } }),
        {},
        { logs: true },
      );
      const got = [await status(w), await status(w), await status(w)];
      expect(got, JSON.stringify(w.logs.filter((l) => l.level >= 40))).toEqual([200, 200, 429]);
      expect(await c.sendCommand(['EXISTS', 'rate:limit@file:127.0.0.1'])).toBe(1);
    } finally {
      await w?.stop();
    }
  }, 60_000);

  it('keeps its connection across reloads that leave it unchanged, and closes it when replaced or stopped', async () => {
    const own = track(await startRedis(), (r) => r.remove());
    const c = track(await inspect(own), (x) => x.close());
    const limit = (burst: number) => ({
      average: 1,
      period: '1h',
      burst,
      redis: { endpoints: [own.endpoint] },
    });
    const withExtra = (burst: number) => {
      const d = dynamic(limit(burst));
      (d.http.routers as Record<string, unknown>).extra = { rule: 'Host(`extra.test`)', service: 'b' };
      return d;
    };
    const w = await startWharf(dynamic(limit(2)));
    try {
      expect(await status(w)).toBe(200);
      const before = await wharfConnections(c);
      expect(before).toHaveLength(1);

      await w.reload(withExtra(2));
      expect((await get(w.web, '/', 'extra.test')).status).toBe(200);
      expect([await status(w), await status(w)]).toEqual([200, 429]);
      expect(await wharfConnections(c)).toEqual(before);

      // New options: a new instance and connection, but the bucket is Redis's, under the same key (the
      // middleware's name): a reload does not refill it.
      await w.reload(withExtra(5));
      expect(await status(w)).toBe(429);
      const deadline = Date.now() + 15_000;
      let now = await wharfConnections(c);
      while ((now.length !== 1 || now[0] === before[0]) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
        now = await wharfConnections(c);
      }
      expect(now).toHaveLength(1);
      expect(now[0]).not.toBe(before[0]);
    } finally {
      await w.stop();
    }
    const deadline = Date.now() + 15_000;
    while ((await wharfConnections(c)).length > 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    expect(await wharfConnections(c)).toEqual([]);
  }, 60_000);
});
