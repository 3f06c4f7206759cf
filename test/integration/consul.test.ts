import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConsulProviderSchema } from '../../config/static.ts';
import { silentLogger } from '../../core/log.ts';
import { ConsulProvider } from '../../providers/consul/consul-provider.ts';
import { ReadLimiter } from '../../providers/consul/read-limiter.ts';
import { type ConsulTestServer, startConsulTestServer } from '../consul/server.ts';
import { type Backend, startServer, until } from '../helpers/backends.ts';
import { get, startWharf, type TestWharf } from '../helpers/wharf.ts';

/** The provider logs this once when Consul stops answering. */
const UNREACHABLE = 'Consul unreachable; the last good configuration keeps serving, retrying with backoff';

// The Consul KV provider against the Consul test server (test/consul/), end to end through Wharf.

let consul: ConsulTestServer;
let backend: Backend;
let w: TestWharf;

/** One transaction of `set` (and `delete-tree`) operations: all visible at once. */
async function txn(ops: Array<{ set?: [string, string]; deleteTree?: string }>): Promise<void> {
  const body = ops.map((o) =>
    o.set
      ? { KV: { Verb: 'set', Key: o.set[0], Value: Buffer.from(o.set[1]).toString('base64') } }
      : { KV: { Verb: 'delete-tree', Key: o.deleteTree } },
  );
  const r = await request(`${consul.url}/v1/txn`, { method: 'PUT', body: JSON.stringify(body) });
  const text = await r.body.text();
  if (r.statusCode !== 200) throw new Error(`txn failed ${r.statusCode}: ${text}`);
}
const put = async (key: string, value: string, server: ConsulTestServer = consul) => {
  const r = await request(`${server.url}/v1/kv/${key}`, { method: 'PUT', body: value });
  await r.body.dump();
};
const router = (name: string, host: string, service = 'svc'): Array<{ set: [string, string] }> => [
  { set: [`wharf/http/routers/${name}/rule`, `Host(\`${host}\`)`] },
  { set: [`wharf/http/routers/${name}/service`, service] },
];
const status = async (host: string) => (await get(w.web, '/', host)).status;

beforeAll(async () => {
  consul = await startConsulTestServer();
  backend = await startServer((_req, res) => res.end('from-consul'));
  w = await startWharf(
    {},
    { providers: { providersThrottleDuration: '100ms', consul: { endpoints: [consul.url] } } },
    { logs: true },
  );
});
afterAll(async () => {
  await w?.stop();
  await consul?.close();
  await backend?.close();
});

describe('Consul KV provider', () => {
  it('starts with an empty configuration when the root does not exist, then routes what a transaction adds', async () => {
    expect(await status('a.consul.test')).toBe(404);
    await txn([
      ...router('a', 'a.consul.test'),
      { set: ['wharf/http/services/svc/loadbalancer/servers/0/url', backend.url] },
    ]);
    await expect.poll(() => status('a.consul.test'), { timeout: 5000 }).toBe(200);
    expect((await get(w.web, '/', 'a.consul.test')).text).toBe('from-consul');
  });

  it('changes and removes routes as the KV tree changes', async () => {
    await txn([{ set: ['wharf/http/routers/a/rule', 'Host(`a2.consul.test`)'] }]);
    await expect.poll(() => status('a2.consul.test'), { timeout: 5000 }).toBe(200);
    expect(await status('a.consul.test')).toBe(404);
    await txn([{ deleteTree: 'wharf/http/routers/a/' }]);
    await expect.poll(() => status('a2.consul.test'), { timeout: 5000 }).toBe(404);
  });

  it('a bad key disables only its router; the API names the key', async () => {
    await txn([
      ...router('good', 'good.consul.test'),
      ...router('bad', 'bad.consul.test'),
      { set: ['wharf/http/routers/bad/priority', 'high'] },
    ]);
    await expect.poll(() => status('good.consul.test'), { timeout: 5000 }).toBe(200);
    expect(await status('bad.consul.test')).toBe(404);
    const bad = await w.getJson<{ status: string; error: string[] }>('/api/http/routers/bad@consul');
    expect(bad.body.status).toBe('disabled');
    expect(bad.body.error.join(' ')).toContain('wharf/http/routers/bad/priority');
  });

  it('keeps serving through an outage and picks up changes after it', async () => {
    const outages = () => w.logs.filter((l) => l.msg === UNREACHABLE).length;
    const before = outages();
    consul.pause();
    // Once the provider has found Consul gone (its read failed and it said so), the last configuration serves.
    await until(() => outages() > before, 'the provider to notice the outage');
    expect(await status('good.consul.test')).toBe(200);
    await consul.resume();
    await txn(router('after', 'after.consul.test'));
    await expect.poll(() => status('after.consul.test'), { timeout: 10_000 }).toBe(200);
  });

  it('resets when the index goes backwards (snapshot restore) and serves the restored tree', async () => {
    const before = consul.snapshot();
    await txn(router('later', 'later.consul.test'));
    await expect.poll(() => status('later.consul.test'), { timeout: 5000 }).toBe(200);
    // Restore while the provider's blocking query is parked: it returns early and the provider looks again
    // at once. (A restore between two queries is seen when the next one's wait ends, as with Consul.)
    await until(() => consul.stats.waiting > 0, 'the provider to park a blocking query');
    consul.restoreSnapshot(before);
    await expect.poll(() => status('later.consul.test'), { timeout: 10_000 }).toBe(404);
    expect(await status('good.consul.test')).toBe(200);
  });

  it('serves a 1,000-router tree', async () => {
    for (let start = 0; start < 1000; start += 64) {
      const ops = [];
      for (let i = start; i < Math.min(start + 64, 1000); i++)
        ops.push(...router(`bulk${i}`, `bulk${i}.consul.test`));
      await txn(ops);
    }
    await expect
      .poll(
        async () =>
          (await w.getJson<{ http: { routers: { total: number } } }>('/api/overview')).body.http.routers
            .total,
        { timeout: 10_000 },
      )
      .toBeGreaterThanOrEqual(1000);
    expect(await status('bulk999.consul.test')).toBe(200);
  });

  // The provider's read limiter (a burst of 4, then one read per 250 ms) runs on a clock that stands still
  // here: no token comes back during the test, so every read past the burst must first be granted a wait.
  // Counting what the limiter granted replaces measuring time.
  it('a write storm does not make the read loop spin', async () => {
    const storm = await startConsulTestServer();
    const limiter = new CountingLimiter(4, 250, () => 0);
    const provider = new ConsulProvider({
      config: ConsulProviderSchema.parse({ endpoints: [storm.url] }),
      logger: silentLogger(),
      limiter,
    });
    const s = await startWharf(
      {},
      { providers: { providersThrottleDuration: '100ms' } },
      { providers: [provider] },
    );
    try {
      await put('wharf/http/services/svc/loadbalancer/servers/0/url', backend.url, storm);
      const before = storm.stats.requests;
      for (let i = 0; i < 200; i++)
        await put('wharf/http/routers/storm/rule', `Host(\`storm${i}.consul.test\`)`, storm);
      await put('wharf/http/routers/storm/service', 'svc', storm);
      await expect
        .poll(async () => (await get(s.web, '/', 'storm199.consul.test')).status, { timeout: 20_000 })
        .toBe(200);
      // Our own writes were 201 requests; the rest are the provider's reads.
      const reads = storm.stats.requests - before - 201;
      expect(reads).toBeLessThanOrEqual(limiter.taken); // no read without asking the limiter
      expect(limiter.taken - limiter.waits).toBeLessThanOrEqual(4); // only the burst went without a wait
      expect(reads).toBeLessThan(200); // bounded by the limiter, not by the number of writes
    } finally {
      await s.stop();
      await storm.close();
    }
  });
});

/** The provider's read limiter, counting the reads it was asked for and the waits it imposed. */
class CountingLimiter extends ReadLimiter {
  taken = 0;
  waits = 0;
  override take(): number {
    const wait = super.take();
    this.taken++;
    if (wait > 0) this.waits++;
    return wait;
  }
}
