import { connect } from 'node:net';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { DynamicConfigSchema } from '../../config/dynamic.ts';
import type { Snapshot } from '../../providers/provider.ts';
import { type Backend, startServer, until } from '../helpers/backends.ts';
import { get, startWharf, type TestWharf } from '../helpers/wharf.ts';

// Regression tests for faults found in review: each one used to crash, hang, leak or misroute.

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanup.length > 0) await cleanup.pop()?.();
});
async function wharfWith(dynamic: unknown, extra: Record<string, unknown> = {}): Promise<TestWharf> {
  const w = await startWharf(dynamic, extra);
  cleanup.push(() => w.stop());
  return w;
}
async function backend(handler: Parameters<typeof startServer>[0]): Promise<Backend> {
  const b = await startServer(handler);
  cleanup.push(() => b.close());
  return b;
}
const named = (name: string) => backend((req, res) => req.resume().on('end', () => res.end(name)));

describe('isolation of bad items', () => {
  it('an ftp server URL disables its service only; others serve and later reloads still apply', async () => {
    const ok = await named('ok');
    const w = await wharfWith({
      http: {
        routers: {
          good: { rule: 'Host(`good.test`)', service: 'good' },
          bad: { rule: 'Host(`bad.test`)', service: 'bad' },
        },
        services: {
          good: { loadBalancer: { servers: [{ url: ok.url }] } },
          bad: { loadBalancer: { servers: [{ url: 'ftp://127.0.0.1:9' }] } },
        },
      },
    });
    expect((await get(w.web, '/', 'good.test')).text).toBe('ok');
    const bad = await w.getJson<{ status: string; error: string[] }>('/api/http/services/bad@file');
    expect(bad.body.status).toBe('disabled');
    expect(bad.body.error.join(' ')).toMatch(/http:\/\/, https:\/\/ or h2c:\/\/ URL/);
    await w.reload({
      http: {
        routers: { later: { rule: 'Host(`later.test`)', service: 'good' } },
        services: { good: { loadBalancer: { servers: [{ url: ok.url }] } } },
      },
    });
    expect((await get(w.web, '/', 'later.test')).text).toBe('ok');
  });

  it('the API stays on the wharf entryPoint when ping moves to web', async () => {
    const ok = await named('user-api');
    const w = await wharfWith(
      {
        http: {
          routers: { api: { rule: 'PathPrefix(`/api`)', service: 's' } },
          services: { s: { loadBalancer: { servers: [{ url: ok.url }] } } },
        },
      },
      { ping: { entryPoint: 'web' } },
    );
    expect((await get(w.web, '/api/version', 'x.test')).text).toBe('user-api');
    expect((await get(w.web, '/ping', 'x.test')).text).toBe('OK');
    expect((await w.getJson('/api/version')).status).toBe(200);
  });
});

describe('mirroring limits', () => {
  it('a body over maxBodySize is not mirrored, the main service gets all of it, and the connection stays usable', async () => {
    let mirrored = 0;
    const main = await backend((req, res) => {
      let n = 0;
      req.on('data', (c: Buffer) => (n += c.length)).on('end', () => res.end(`main got ${n}`));
    });
    const mirror = await backend((req, res) => {
      mirrored++;
      req.resume().on('end', () => res.end());
    });
    const w = await wharfWith({
      http: {
        routers: { m: { rule: 'Host(`m.test`)', service: 'mirror' } },
        services: {
          main: { loadBalancer: { servers: [{ url: main.url }] } },
          copy: { loadBalancer: { servers: [{ url: mirror.url }] } },
          mirror: {
            mirroring: { service: 'main', maxBodySize: 10, mirrors: [{ name: 'copy', percent: 100 }] },
          },
        },
      },
    });
    // Two requests on one raw keep-alive connection: the second must be answered too.
    const socket = connect(Number(new URL(w.web).port), '127.0.0.1');
    let text = '';
    socket.on('data', (d: Buffer) => (text += d));
    const body = 'x'.repeat(100);
    const req = `POST / HTTP/1.1\r\nHost: m.test\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
    socket.write(req + req);
    await until(() => (text.match(/main got 100/g) ?? []).length === 2, 'both answers on one connection');
    socket.destroy();
    const small = await request(`${w.web}/`, { method: 'POST', headers: { host: 'm.test' }, body: 'tiny' });
    expect(await small.body.text()).toBe('main got 4');
    await until(() => mirrored === 1, 'the small body to be mirrored');
  });

  it('behind buffering, mirrors get the body the middleware already read, and the main service too', async () => {
    const got: string[] = [];
    const reader = (who: string) =>
      backend((req, res) => {
        let body = '';
        req
          .on('data', (c: Buffer) => (body += c))
          .on('end', () => {
            got.push(`${who}:${body}`);
            res.end(`${who} got ${body.length}`);
          });
      });
    const main = await reader('main');
    const mirror = await reader('copy');
    const w = await wharfWith({
      http: {
        routers: { m: { rule: 'Host(`m.test`)', service: 'mirror', middlewares: ['buffer'] } },
        middlewares: { buffer: { buffering: { maxRequestBodyBytes: 1000 } } },
        services: {
          main: { loadBalancer: { servers: [{ url: main.url }] } },
          copy: { loadBalancer: { servers: [{ url: mirror.url }] } },
          mirror: { mirroring: { service: 'main', mirrors: [{ name: 'copy', percent: 100 }] } },
        },
      },
    });
    const r = await request(`${w.web}/`, {
      method: 'POST',
      headers: { host: 'm.test' },
      body: 'hello mirror',
    });
    expect(await r.body.text()).toBe('main got 12');
    await until(() => got.length === 2, 'the main service and the mirror both answered');
    expect(got.sort()).toEqual(['copy:hello mirror', 'main:hello mirror']);
  });

  // With a grace period of 1 h, a stop() that waited for the mirror copy would not end within the test's
  // timeout: that it ends at all, and cut the copy's connection, is the check (no clock involved).
  it('a mirror that never answers does not hold up stop()', async () => {
    const main = await named('main');
    const hang = await backend(() => {});
    const w = await startWharf(
      {
        http: {
          routers: { m: { rule: 'Host(`m.test`)', service: 'mirror' } },
          services: {
            main: { loadBalancer: { servers: [{ url: main.url }] } },
            hang: { loadBalancer: { servers: [{ url: hang.url }] } },
            mirror: { mirroring: { service: 'main', mirrors: [{ name: 'hang', percent: 100 }] } },
          },
        },
      },
      {
        entryPoints: {
          web: { address: '127.0.0.1:0', transport: { lifeCycle: { graceTimeOut: '1h' } } },
          wharf: { address: '127.0.0.1:0' },
        },
      },
    );
    expect((await get(w.web, '/', 'm.test')).text).toBe('main');
    await until(() => hang.connections.open > 0, 'the mirror copy to reach the hanging server');
    await w.stop();
    await until(() => hang.connections.open === 0, 'stop() to abort the mirror copy');
  });
});

describe('state carried across reloads', () => {
  it('an unchanged load balancer is the same runtime after a reload: no new probes, same health state', async () => {
    let probes = 0;
    const a = await backend((req, res) => {
      if (req.url === '/health') probes++;
      res.end('a');
    });
    // A service the reload adds, with a health check of its own: its first probe, started by the same
    // provisioning as any probe a rebuilt `s` would start, is the sign the reload's probes have gone out.
    let laterProbes = 0;
    const b = await backend((req, res) => {
      if (req.url === '/health') laterProbes++;
      res.end('b');
    });
    const hc = { path: '/health', interval: '1h' };
    const base = {
      routers: { r: { rule: 'Host(`r.test`)', service: 's' } },
      services: { s: { loadBalancer: { servers: [{ url: a.url }], healthCheck: hc } } },
    };
    const w = await wharfWith({ http: base });
    await until(() => probes === 1, 'the first probe');
    const before = w.wharf.tableRef.current().table.serviceCache.get('s@file')?.runtime;
    await w.reload({
      http: {
        routers: { ...base.routers, other: { rule: 'Host(`o.test`)', service: 'later' } },
        services: {
          ...base.services,
          later: { loadBalancer: { servers: [{ url: b.url }], healthCheck: hc } },
        },
      },
    });
    expect(w.wharf.tableRef.current().table.serviceCache.get('s@file')?.runtime).toBe(before);
    await until(() => laterProbes === 1, "the reload's probes (the new service's first one)");
    expect(probes).toBe(1);
  });

  it('a weighted service keeps its rotation across reloads (a rebuilt one would restart at its first child)', async () => {
    const [x, y] = [await named('x'), await named('y')];
    const w = await wharfWith({ http: {} });
    const config = (extra: number) =>
      DynamicConfigSchema.parse({
        http: {
          routers: {
            r: { rule: 'Host(`w.test`)', service: 'canary' },
            [`extra${extra}`]: { rule: `Host(\`e${extra}.test\`)`, service: 'x' },
          },
          services: {
            x: { loadBalancer: { servers: [{ url: x.url }] } },
            y: { loadBalancer: { servers: [{ url: y.url }] } },
            canary: { weighted: { services: [{ name: 'x' }, { name: 'y' }] } },
          },
        },
      });
    const seen: string[] = [];
    for (let i = 0; i < 6; i++) {
      const snap: Snapshot = { provider: 'file', config: config(i), diagnostics: [] };
      await w.wharf.reloader.apply(new Map([['file', snap]]));
      seen.push((await get(w.web, '/', 'w.test')).text);
    }
    expect(seen).toEqual(['x', 'y', 'x', 'y', 'x', 'y']);
  });
});

describe('redirectScheme', () => {
  it('passes requests that already came over the target scheme (trusted X-Forwarded-Proto)', async () => {
    const ok = await named('served');
    const w = await wharfWith(
      {
        http: {
          routers: { r: { rule: 'Host(`r.test`)', service: 's', middlewares: ['https'] } },
          middlewares: { https: { redirectScheme: { scheme: 'https' } } },
          services: { s: { loadBalancer: { servers: [{ url: ok.url }] } } },
        },
      },
      {
        entryPoints: {
          web: { address: '127.0.0.1:0', forwardedHeaders: { insecure: true } },
          wharf: { address: '127.0.0.1:0' },
        },
      },
    );
    expect((await get(w.web, '/', 'r.test', { 'x-forwarded-proto': 'https' })).text).toBe('served');
    const plain = await get(w.web, '/', 'r.test');
    expect(plain.status).toBe(302);
    expect(plain.headers.location).toBe('https://r.test/');
  });
});
