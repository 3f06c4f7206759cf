import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { StaticConfigInput } from '../../config/static.ts';
import { type ConsulTestServer, startConsulTestServer } from '../consul/server.ts';
import { type Backend, startEchoServer } from '../helpers/backends.ts';
import { get, startWharf, type TestWharf } from '../helpers/wharf.ts';

// The ban middleware through running routers: three replicas on one Consul test server share their bans
// (a client banned through one is refused by the others), bans expire, survive a restart, spare the allow
// list and are lifted everywhere by the API's DELETE; without Consul they stay in one process.

// htpasswd -nbB -C 4 alice secret
const ALICE = 'alice:$2y$04$Fah5im48xOVZ62A1Yz5nn.cBUBw44AsqD/ny3LfiZGShAqa/hLIlu';
const basic = (password: string) => `Basic ${Buffer.from(`alice:${password}`).toString('base64')}`;

/** Polls an asynchronous condition, one attempt at a time, until it holds or the deadline passes. */
async function eventually(
  condition: () => Promise<boolean>,
  what: string,
  timeoutMs = 5000,
): Promise<number> {
  const started = performance.now();
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return performance.now() - started;
}

let consul: ConsulTestServer;
let dir: string;
let files = 0;
let echo: Backend;
const replicas: TestWharf[] = [];

const dynamic = {
  http: {
    routers: {
      app: { rule: 'Host(`app.test`)', service: 'echo', middlewares: ['ban', 'auth'] },
      // The same with bans that outlast a test (the Consul outage test).
      long: { rule: 'Host(`long.test`)', service: 'echo', middlewares: ['long', 'auth'] },
    },
    middlewares: {
      // ban first: a banned client is refused before basicAuth runs, and ban sees basicAuth's refusals.
      ban: {
        ban: {
          maxRetry: 5,
          findTime: '1m',
          banTime: '4s',
          ipStrategy: { depth: 1 },
          allowList: ['203.0.113.0/24'],
        },
      },
      long: { ban: { maxRetry: 5, banTime: '1m', ipStrategy: { depth: 1 } } },
      auth: { basicAuth: { users: [ALICE] } },
    },
    services: {},
  },
};

function staticFor(withConsul: boolean, dynamicFile: string): Partial<StaticConfigInput> {
  return {
    entryPoints: {
      // The client address comes from X-Forwarded-For (ipStrategy depth 1), trusted from loopback.
      web: { address: '127.0.0.1:0', forwardedHeaders: { insecure: true } },
      wharf: { address: '127.0.0.1:0' },
    },
    ...(withConsul
      ? {
          providers: {
            providersThrottleDuration: '0s',
            file: { filename: dynamicFile, watch: false },
            consul: { endpoints: [`127.0.0.1:${consul.port}`], rootKey: 'wharf' },
          },
        }
      : {}),
    metrics: { prometheus: {} },
  };
}

async function start(withConsul = true): Promise<TestWharf> {
  const cfg = {
    ...dynamic,
    http: { ...dynamic.http, services: { echo: { loadBalancer: { servers: [{ url: echo.url }] } } } },
  };
  // The static providers replace startWharf's file provider: name a file of our own next to Consul.
  const file = join(dir, `dynamic-${++files}.yml`);
  await writeFile(file, stringify(cfg));
  return startWharf(cfg, staticFor(withConsul, file));
}

/** A request to the app through `w` from client `ip` with alice's `password`. */
async function login(w: TestWharf, ip: string, password: string, host = 'app.test'): Promise<number> {
  const res = await get(w.web, '/', host, { 'x-forwarded-for': ip, authorization: basic(password) });
  return res.status;
}

beforeAll(async () => {
  consul = await startConsulTestServer();
  dir = await mkdtemp(join(tmpdir(), 'wharf-ban-'));
  echo = await startEchoServer();
});
afterAll(async () => {
  await Promise.all(replicas.map((w) => w.stop()));
  await echo?.close();
  await consul?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('ban shared by three replicas through Consul', () => {
  beforeAll(async () => {
    for (let i = 0; i < 3; i++) replicas.push(await start());
    // Every replica serves the app (its ban middleware is built and reads the stored bans).
    for (const w of replicas)
      await eventually(async () => (await login(w, '192.0.2.250', 'secret')) === 200, 'the app');
  });

  it('ten failed logins through one: refused by the other two within a second; the ban then expires', async () => {
    const [a, b, c] = replicas as [TestWharf, TestWharf, TestWharf];
    const ip = '198.51.100.1';
    const statuses: number[] = [];
    let bannedAt = 0;
    for (let i = 0; i < 10; i++) {
      statuses.push(await login(a, ip, 'wrong'));
      if (i === 4) bannedAt = performance.now();
    }
    // Five failures ban; the next five are refused by ban before basicAuth runs.
    expect(statuses).toEqual([401, 401, 401, 401, 401, 403, 403, 403, 403, 403]);
    await eventually(
      async () => (await login(b, ip, 'secret')) === 403 && (await login(c, ip, 'secret')) === 403,
      'the other replicas refusing the banned client',
      1000,
    );
    const took = performance.now() - bannedAt;
    console.log(`[ban] refused by the other two replicas at most ${took.toFixed(0)} ms after the ban`);
    // Other clients are served.
    expect(await login(b, '198.51.100.2', 'secret')).toBe(200);
    // The API lists it with reason and expiry, on every replica.
    for (const w of replicas) {
      const { body } = await w.getJson<Array<Record<string, unknown>>>('/api/wharf/bans');
      expect(body.find((x) => x.ip === ip)).toMatchObject({
        middleware: 'ban@file',
        ip,
        reason: '5 failures within 1m: basicAuth ×5',
        offence: 1,
        store: 'consul',
      });
    }
    // One key in Consul, written once (one write per ban, not per request).
    const kv = await request(`${consul.url}/v1/kv/wharf/bans/ban@file/${ip}`);
    expect(kv.statusCode).toBe(200);
    const [entry] = (await kv.body.json()) as Array<{ CreateIndex: number; ModifyIndex: number }>;
    expect(entry?.ModifyIndex).toBe(entry?.CreateIndex);
    // banTime 4s: every replica serves the client again.
    await eventually(
      async () => (await Promise.all(replicas.map((w) => login(w, ip, 'secret')))).every((s) => s === 200),
      'the ban to expire on every replica',
      15_000,
    );
    // An ended ban's key is removed from Consul (by whichever replica sweeps first).
    await eventually(
      async () => {
        const r = await request(`${consul.url}/v1/kv/wharf/bans/ban@file/${ip}`);
        await r.body.dump();
        return r.statusCode === 404;
      },
      'the ended ban removed from Consul',
      15_000,
    );
  }, 30_000);

  it('the allow list is never banned', async () => {
    const ip = '203.0.113.9';
    for (let i = 0; i < 10; i++) expect(await login(replicas[0] as TestWharf, ip, 'wrong')).toBe(401);
    for (const w of replicas) expect(await login(w, ip, 'secret')).toBe(200);
  });

  it('DELETE on one replica lifts the ban everywhere', async () => {
    const ip = '198.51.100.3';
    const [a, b] = replicas as [TestWharf, TestWharf];
    for (let i = 0; i < 5; i++) await login(a, ip, 'wrong');
    await eventually(
      async () => (await Promise.all(replicas.map((w) => login(w, ip, 'secret')))).every((s) => s === 403),
      'the ban on every replica',
    );
    const res = await request(`${b.api}/api/wharf/bans/ban@file/${ip}`, { method: 'DELETE' });
    expect(res.statusCode).toBe(200);
    expect(await res.body.json()).toEqual({ middleware: 'ban@file', ip, lifted: true });
    await eventually(
      async () => (await Promise.all(replicas.map((w) => login(w, ip, 'secret')))).every((s) => s === 200),
      'the ban lifted on every replica',
      1000,
    );
    const again = await request(`${b.api}/api/wharf/bans/ban@file/${ip}`, { method: 'DELETE' });
    expect(again.statusCode).toBe(404);
    await again.body.dump();
  });

  it('a ban decided while Consul is unreachable is enforced there, and shared once Consul is back', async () => {
    const ip = '198.51.100.6';
    const [a, b] = replicas as [TestWharf, TestWharf];
    const long = (w: TestWharf, password: string) => login(w, ip, password, 'long.test');
    consul.pause();
    try {
      for (let i = 0; i < 5; i++) await long(a, 'wrong');
      expect(await long(a, 'secret')).toBe(403);
      expect(await long(b, 'secret')).toBe(200);
    } finally {
      await consul.resume();
    }
    // The replica writes it when its watch reaches Consul again; the others' watches reconnect with backoff.
    await eventually(async () => (await long(b, 'secret')) === 403, 'the ban on another replica', 20_000);
    const { body } = await b.getJson<Array<Record<string, unknown>>>('/api/wharf/bans/long@file');
    expect(body).toEqual([expect.objectContaining({ ip, reason: '5 failures within 10m: basicAuth ×5' })]);
  }, 30_000);

  it('a restarted replica keeps refusing a banned client', async () => {
    const ip = '198.51.100.4';
    const a = replicas[0] as TestWharf;
    for (let i = 0; i < 5; i++) await login(a, ip, 'wrong');
    expect(await login(a, ip, 'secret')).toBe(403);
    // Every replica stops and a new one starts on the same Consul: the ban is read back.
    const old = replicas.splice(0);
    await Promise.all(old.map((w) => w.stop()));
    const fresh = await start();
    replicas.push(fresh);
    await eventually(
      async () => (await login(fresh, ip, 'secret')) === 403,
      'the restarted replica refusing',
    );
    const metrics = await request(`${fresh.api}/metrics`);
    const text = await metrics.body.text();
    expect(text).toMatch(/^wharf_bans_active\{middleware="ban@file"\} [1-9]/m);
    expect(text).toMatch(/^wharf_ban_refusals_total\{middleware="ban@file"\} [1-9]/m);
  }, 30_000);
});

describe('ban without Consul', () => {
  it('keeps bans in the process: another router does not know them', async () => {
    const one = await start(false);
    const two = await start(false);
    try {
      const ip = '198.51.100.5';
      for (let i = 0; i < 5; i++) expect(await login(one, ip, 'wrong')).toBe(401);
      expect(await login(one, ip, 'secret')).toBe(403);
      expect(await login(two, ip, 'secret')).toBe(200);
      const { body } = await one.getJson<Array<Record<string, unknown>>>('/api/wharf/bans/ban@file');
      expect(body).toEqual([expect.objectContaining({ ip, store: 'memory' })]);
      const text = await (await request(`${one.api}/metrics`)).body.text();
      expect(text).toMatch(/^wharf_bans_total\{middleware="ban@file"\} 1$/m);
    } finally {
      await one.stop();
      await two.stop();
    }
  });
});
