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

describe('large reloads run in slices', () => {
  /** A file snapshot with `n` Host routers on service `s` at `origin`, plus `extra` routers to a.test's backend. */
  const big = (n: number, prefix: string, origin: string): Snapshot => {
    const routers: Record<string, unknown> = { keep: route('keep.test', 'k') };
    for (let i = 0; i < n; i++) routers[`${prefix}${i}`] = route(`${prefix}${i}.test`, 's');
    return {
      provider: 'file',
      config: DynamicConfigSchema.parse({ http: { routers, services: { s: lb(origin), k: lb(a.url) } } }),
      diagnostics: [],
    };
  };
  /** One event-loop turn: the reload, handing back with setImmediate, runs one slice in between. */
  const turn = () => new Promise<void>((r) => setImmediate(r));

  it('serves requests on the current table while a 20,000-router reload compiles', async () => {
    w = await startWharf(
      { http: { routers: { keep: route('keep.test', 'k') }, services: { k: lb(a.url) } } },
      {},
      { reloadSliceMs: 0 },
    );
    const reloader = w.wharf.reloader;
    const before = reloader.reloads;
    const applied = reloader.apply(new Map([['file', big(20_000, 'r', b.url)]]));
    // Answered while the reload is still in progress: the generation in service has not changed yet.
    const answer = await get(w.web, '/', 'keep.test');
    expect(answer.text).toBe('a');
    expect(reloader.reloads).toBe(before);
    expect(await applied).toBe(true);
    expect(reloader.reloads).toBe(before + 1);
    expect((await get(w.web, '/', 'r19999.test')).text).toBe('b');
  }, 60_000);

  it('a newer snapshot abandons the reload in progress, which closes what it built', async () => {
    w = await startWharf(
      { http: { routers: { keep: route('keep.test', 'k') }, services: { k: lb(a.url) } } },
      {},
      { reloadSliceMs: 0 },
    );
    const { reloader, pools } = w.wharf;
    const poolsBefore = pools.size;
    const before = reloader.reloads;
    // The abandoned configuration's service is the only one with this origin (never contacted).
    const first = reloader.apply(new Map([['file', big(20_000, 'old', 'http://127.0.0.1:9')]]));
    // Wait, turn by turn, until it is provisioning: its load balancer holds a pool for its origin.
    for (let i = 0; pools.size === poolsBefore; i++) {
      expect(i).toBeLessThan(1_000_000);
      await turn();
    }
    const second = reloader.apply(new Map([['file', big(10, 'new', b.url)]]));
    // Both callers learn that the newer configuration is in service.
    expect(await Promise.all([first, second])).toEqual([true, true]);
    expect(reloader.abandoned).toBe(1);
    expect(reloader.reloads).toBe(before + 1);
    const routers = w.wharf.tableRef.current().table.info.routers;
    expect([routers.has('new9@file'), routers.has('old0@file'), routers.size]).toEqual([true, false, 11]);
    expect((await get(w.web, '/', 'new9.test')).text).toBe('b');
    expect((await get(w.web, '/', 'old0.test')).status).toBe(404);
    // Nothing of the abandoned one is left: its pool closed; only a's (keep) and b's (the new service).
    expect(pools.size).toBe(2);
  }, 60_000);

  it('a reload that replaced an abandoned one is not abandoned in turn, so a steady stream still lands', async () => {
    w = await startWharf(
      { http: { routers: { keep: route('keep.test', 'k') }, services: { k: lb(a.url) } } },
      {},
      { reloadSliceMs: 0 },
    );
    const reloader = w.wharf.reloader;
    const before = reloader.reloads;
    const results: Array<Promise<boolean>> = [];
    // Five large snapshots, each given while the previous reload still runs.
    for (let i = 0; i < 5; i++) {
      results.push(reloader.apply(new Map([['file', big(5000, `g${i}-`, b.url)]])));
      for (let t = 0; t < 50; t++) await turn();
    }
    expect(await Promise.all(results)).toEqual([true, true, true, true, true]);
    // At most every other one was abandoned (without that rule: four abandoned, one applied); the last
    // one given is in service.
    expect(reloader.abandoned).toBeGreaterThan(0);
    expect(reloader.abandoned).toBeLessThanOrEqual(reloader.reloads - before);
    expect(w.wharf.tableRef.current().table.info.routers.has('g4-0@file')).toBe(true);
  }, 60_000);
});
