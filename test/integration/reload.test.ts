import { Pool } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DynamicConfigSchema } from '../../config/dynamic.ts';
import type { Snapshot } from '../../providers/provider.ts';
import { type Backend, startServer, until } from '../helpers/backends.ts';
import { get, startWharf, type TestWharf } from '../helpers/wharf.ts';

let a: Backend & { healthy: boolean };
let b: Backend;

beforeAll(async () => {
  const state = { healthy: true };
  const backendA = await startServer((req, res) => {
    if (req.url === '/health') res.writeHead(state.healthy ? 200 : 503).end();
    else res.end('a');
  });
  a = Object.assign(state, backendA);
  b = await startServer((_req, res) => res.end('b'));
});
afterAll(async () => {
  await a?.close();
  await b?.close();
});

let w: TestWharf | undefined;
afterEach(async () => {
  await w?.stop();
  w = undefined;
});

const route = (host: string, service: string) => ({ rule: `Host(\`${host}\`)`, service });
const lb = (...urls: string[]) => ({ loadBalancer: { servers: urls.map((url) => ({ url })) } });

describe('hot reload from the file provider', () => {
  it('serves an edited file live: new routes appear, removed ones disappear', async () => {
    w = await startWharf({ http: { routers: { one: route('one.test', 's') }, services: { s: lb(a.url) } } });
    expect((await get(w.web, '/', 'one.test')).text).toBe('a');
    await w.reload({ http: { routers: { two: route('two.test', 's') }, services: { s: lb(b.url) } } });
    expect((await get(w.web, '/', 'two.test')).text).toBe('b');
    expect((await get(w.web, '/', 'one.test')).status).toBe(404);
  });

  it('keeps the last good configuration when the file breaks, and reports file and line', async () => {
    w = await startWharf({ http: { routers: { one: route('one.test', 's') }, services: { s: lb(a.url) } } });
    await w.writeRaw('http:\n  routers:\n    one:\n      rule: "Host(`one.test`)"\n     service: s\n');
    expect((await get(w.web, '/', 'one.test')).text).toBe('a');
    const diags =
      await w.getJson<Array<{ code: string; subject: string; message: string }>>('/api/diagnostics');
    const bad = diags.body.find((d) => d.code === 'FILE_INVALID');
    expect(bad?.subject).toBe(w.dynamicFile);
    expect(bad?.message).toMatch(/line 5/);
    expect(bad?.message).toContain('last good version keeps serving');
    await w.reload({ http: { routers: { one: route('one.test', 's') }, services: { s: lb(b.url) } } });
    expect((await get(w.web, '/', 'one.test')).text).toBe('b');
    expect((await w.getJson<unknown[]>('/api/diagnostics')).body).toEqual([]);
  });

  it('a bad item disables only itself; the API shows it disabled with the key and a suggestion', async () => {
    w = await startWharf({
      http: {
        routers: {
          good: route('good.test', 's'),
          typo: { rule: 'Host(`typo.test`)', service: 's', priorty: 5 },
        },
        services: { s: lb(a.url) },
      },
    });
    expect((await get(w.web, '/', 'good.test')).text).toBe('a');
    expect((await get(w.web, '/', 'typo.test')).status).toBe(404);
    const typo = await w.getJson<{ status: string; error: string[] }>('/api/http/routers/typo@file');
    expect(typo.body.status).toBe('disabled');
    expect(typo.body.error.join('\n')).toMatch(/priorty/);
    expect(typo.body.error.join('\n')).toMatch(/priority/);
  });
});

describe('state that survives a reload', () => {
  it('health state and keep-alive pools of unchanged services are kept', async () => {
    a.healthy = false;
    try {
      const hc = { path: '/health', interval: '1h', timeout: '1s' };
      const base = {
        routers: { r: route('r.test', 'hc'), k: route('k.test', 'keep') },
        services: { hc: { loadBalancer: { servers: [{ url: a.url }], healthCheck: hc } }, keep: lb(b.url) },
      };
      w = await startWharf({ http: base });
      const status = async () =>
        (await w!.getJson<{ serverStatus: Record<string, string> }>('/api/http/services/hc@file')).body
          .serverStatus[a.url];
      await expect.poll(status, { timeout: 5000 }).toBe('DOWN');
      for (let i = 0; i < 5; i++) expect((await get(w.web, '/', 'k.test')).text).toBe('b');
      const connectionsBefore = b.connections.total;
      const cached = () => w!.wharf.tableRef.current().table.serviceCache;
      const runtimesBefore = [cached().get('hc@file')?.runtime, cached().get('keep@file')?.runtime];
      await w.reload({ http: { ...base, routers: { ...base.routers, extra: route('extra.test', 'keep') } } });
      // The very same runtimes serve after the reload, so health state and pool references carry over.
      expect([cached().get('hc@file')?.runtime, cached().get('keep@file')?.runtime]).toEqual(runtimesBefore);
      expect(await status()).toBe('DOWN');
      expect((await get(w.web, '/', 'r.test')).status).toBe(503);
      for (let i = 0; i < 5; i++) expect((await get(w.web, '/', 'k.test')).text).toBe('b');
      expect(b.connections.total).toBe(connectionsBefore);
    } finally {
      a.healthy = true;
    }
  });
});

describe('reloads under load', () => {
  it('1,000 consecutive reloads lose no request', async () => {
    w = await startWharf({
      http: { routers: { r: route('load.test', 's') }, services: { s: lb(a.url, b.url) } },
    });
    const configs = [0, 1].map((i) =>
      DynamicConfigSchema.parse({
        http: {
          routers: { r: route('load.test', 's'), [`extra${i}`]: route(`extra${i}.test`, 's') },
          services: { s: { loadBalancer: { servers: [{ url: a.url, weight: 1 + i }, { url: b.url }] } } },
        },
      }),
    );
    const pool = new Pool(w.web, { connections: 8 });
    const statuses = new Map<number, number>();
    let sent = 0;
    let reloading = true;
    const client = async () => {
      while (reloading) {
        sent++;
        const r = await pool.request({ path: '/', method: 'GET', headers: { host: 'load.test' } });
        await r.body.dump();
        statuses.set(r.statusCode, (statuses.get(r.statusCode) ?? 0) + 1);
      }
    };
    const clients = Array.from({ length: 8 }, client);
    const reloader = w.wharf.reloader;
    const before = reloader.reloads;
    for (let i = 0; i < 1000; i++) {
      const snap: Snapshot = { provider: 'file', config: configs[i % 2]!, diagnostics: [] };
      expect(await reloader.apply(new Map([['file', snap]]))).toBe(true);
      await new Promise((r) => setImmediate(r));
    }
    reloading = false;
    await Promise.all(clients);
    await pool.close();
    expect(reloader.reloads - before).toBe(1000);
    expect(sent).toBeGreaterThan(1000);
    expect(Object.fromEntries(statuses)).toEqual({ 200: sent });
    // Old generations drained and released their load balancers: only the two origins in use keep pools.
    await until(() => w!.wharf.pools.size === 2, 'pools of retired generations to close');
  }, 120_000);
});
