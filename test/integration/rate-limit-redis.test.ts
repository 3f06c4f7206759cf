import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@redis/client';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { TOKEN_BUCKET_SCRIPT } from '../../middleware/rate-limit/redis-token-bucket.ts';
import { freePort } from '../acme/pebble.ts';
import { type Backend, startServer, until } from '../helpers/backends.ts';
import { certFactory } from '../helpers/certs.ts';
import { programEnv } from '../helpers/program-env.ts';
import { ensureRedis, type RedisServer, startRedis } from '../helpers/redis-server.ts';
import { get, startWharf, type TestWharf } from '../helpers/wharf.ts';

// rateLimit with its buckets in a real Redis (Debian's redis-server, started here): shared by several
// Wharf processes, failing closed while Redis is down, and Redis's authentication, databases and TLS.

const skip = await ensureRedis();
const BIN = join(import.meta.dirname, '../../bin/wharf.js');

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
    const c = await inspect(redis);
    try {
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
    } finally {
      await c.close();
    }
  });
});

/** A Wharf process (bin/wharf.js) serving `dynamic` from a file on a port of its own. */
interface WharfProcess {
  readonly base: string;
  readonly child: ChildProcess;
  output: string;
}

async function spawnWharf(dir: string, index: number, config: unknown): Promise<WharfProcess> {
  const port = await freePort();
  const file = join(dir, `dynamic-${index}.yml`);
  writeFileSync(file, stringify(config));
  const child = spawn(
    process.execPath,
    [
      BIN,
      `--entryPoints.web.address=127.0.0.1:${port}`,
      `--providers.file.filename=${file}`,
      '--log.format=json',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: programEnv() },
  );
  const p: WharfProcess = { base: `http://127.0.0.1:${port}`, child, output: '' };
  child.stdout?.on('data', (d: Buffer) => (p.output += d));
  child.stderr?.on('data', (d: Buffer) => (p.output += d));
  return p;
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  process.kill(child.pid, 'SIGTERM');
  await exited;
}

describe.skipIf(skip !== undefined)('three Wharf processes on one Redis', () => {
  const processes: WharfProcess[] = [];
  let dir = '';
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wharf-redis-replicas-'));
  });
  afterAll(async () => {
    await Promise.all(processes.map((p) => stopProcess(p.child)));
    rmSync(dir, { recursive: true, force: true });
  });

  it('together admit burst + rate × time, not three times that', async () => {
    // A rate well below what six clients send even on a loaded machine, so the limit is what decides.
    const rate = 10;
    const burst = 5;
    const config = dynamic({ average: rate, period: '1s', burst, redis: { endpoints: [redis.endpoint] } });
    (config.http.routers as Record<string, unknown>).ready = { rule: 'Host(`ready.test`)', service: 'b' };
    for (let i = 0; i < 3; i++) processes.push(await spawnWharf(dir, i, config));
    for (const p of processes) {
      const deadline = Date.now() + 30_000;
      for (;;) {
        const status = await get(p.base, '/', 'ready.test').then(
          (r) => r.status,
          () => 0,
        );
        if (status === 200) break;
        if (Date.now() > deadline)
          throw new Error(
            `Wharf at ${p.base} never served (exit ${p.child.exitCode} ${p.child.signalCode}):\n${p.output}`,
          );
        await new Promise((r) => setTimeout(r, 50));
      }
    }

    const counts = processes.map(() => ({ admitted: 0, refused: 0, other: 0 }));
    let next = 0;
    const window = 3000;
    const started = performance.now();
    const worker = async () => {
      // Bounded in time (the window) and in count.
      for (let n = 0; n < 5000 && performance.now() - started < window; n++) {
        const i = next++ % processes.length;
        const res = await request(`${(processes[i] as WharfProcess).base}/`, {
          headers: { host: 'rl.test' },
        });
        await res.body.dump();
        const c = counts[i] as { admitted: number; refused: number; other: number };
        if (res.statusCode === 200) c.admitted++;
        else if (res.statusCode === 429) c.refused++;
        else c.other++;
      }
    };
    await Promise.all(Array.from({ length: 6 }, worker));
    const elapsed = (performance.now() - started) / 1000;

    const admitted = counts.reduce((s, c) => s + c.admitted, 0);
    const refused = counts.reduce((s, c) => s + c.refused, 0);
    // Tokens that can exist during the run: the burst, the refill over the elapsed time, and the longest
    // wait a request may be held for its token (1 / (2 × rate)).
    const most = burst + rate * (elapsed + 1 / (2 * rate));
    const detail = JSON.stringify({ counts, elapsed, most });
    expect(
      counts.every((c) => c.other === 0),
      detail,
    ).toBe(true);
    // Three limits of their own would admit about three times as much.
    expect(admitted, detail).toBeLessThanOrEqual(Math.ceil(most));
    // Six clients never idle use the refill too (half of it, for a loaded machine).
    expect(admitted, detail).toBeGreaterThanOrEqual(burst + Math.floor((rate * elapsed) / 2));
    expect(refused, detail).toBeGreaterThan(0);
    // Every process took part: each admitted some and refused some.
    expect(
      counts.every((c) => c.admitted > 0 && c.refused > 0),
      detail,
    ).toBe(true);
  }, 90_000);
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
    const own = await startRedis();
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
      await own.remove();
    }
  }, 60_000);

  it('fails a check after readTimeout + writeTimeout when Redis hangs, instead of holding the request', async () => {
    const own = await startRedis();
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
      await own.remove();
    }
  }, 60_000);

  it('authenticates as an ACL user, selects the database, and fails closed with a wrong password', async () => {
    const own = await startRedis({ password: 'admin-pw', users: ['wharf on >wharf-pw ~rate:* &* +@all'] });
    const redisOptions = { endpoints: [own.endpoint], username: 'wharf', password: 'wharf-pw', db: 3 };
    const w = await startWharf(
      dynamic({ average: 1, period: '1h', burst: 1, redis: redisOptions }),
      {},
      { logs: true },
    );
    const c = await inspect(own, { password: 'admin-pw' });
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
      await c.close();
      await w.stop();
      await own.remove();
    }
  }, 60_000);

  it('speaks TLS to Redis, verifying its certificate against tls.ca', async () => {
    const certs = certFactory();
    const pair = certs.make('redis', ['127.0.0.1']);
    const own = await startRedis({ tls: pair });
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
      await own.remove();
      certs.remove();
    }
  }, 60_000);

  it('with several endpoints, talks to a Redis Cluster through its seed nodes', async () => {
    const own = await startRedis({ cluster: true });
    const c = await inspect(own);
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
      await c.close();
      await own.remove();
    }
  }, 60_000);

  it('keeps its connection across reloads that leave it unchanged, and closes it when replaced or stopped', async () => {
    const own = await startRedis();
    const c = await inspect(own);
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
    await c.close();
    await own.remove();
  }, 60_000);
});
