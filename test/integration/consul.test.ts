import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConsulTestServer, startConsulTestServer } from '../consul/server.ts';
import { type Backend, startServer, until } from '../helpers/backends.ts';
import { get, startWharf, type TestWharf } from '../helpers/wharf.ts';

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
const put = async (key: string, value: string) => {
  const r = await request(`${consul.url}/v1/kv/${key}`, { method: 'PUT', body: value });
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
    consul.pause();
    await new Promise((r) => setTimeout(r, 300));
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

  it('a write storm does not make the read loop spin', async () => {
    const before = consul.stats.requests;
    const t0 = Date.now();
    for (let i = 0; i < 200; i++)
      await put('wharf/http/routers/storm/rule', `Host(\`storm${i}.consul.test\`)`);
    await put('wharf/http/routers/storm/service', 'svc');
    await expect.poll(() => status('storm199.consul.test'), { timeout: 5000 }).toBe(200);
    // Our own writes were 201 requests; the provider's reads are bounded by its limiter
    // (a burst of 4, then one per 250 ms), not by the number of writes.
    const reads = consul.stats.requests - before - 201;
    expect(reads).toBeLessThanOrEqual(4 + Math.ceil((Date.now() - t0) / 250) + 2);
    expect(reads).toBeLessThan(200);
  });
});
