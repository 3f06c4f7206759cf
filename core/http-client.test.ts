import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, buildConnector, Pool, redirectInterceptor, request, undiciInternals } from './http-client.ts';

// http-client.ts requires undici's files by path; these tests fail when an undici update moves them.
describe('http-client: undici by deep paths', () => {
  const server = createServer((req, res) => {
    if (req.url === '/moved') {
      res.writeHead(302, { location: '/here' }).end();
      return;
    }
    res.setHeader('content-type', 'text/plain');
    res.end(`${req.method} ${req.url} host=${req.headers.host} x=${req.headers['x-test'] ?? ''}`);
  });
  let base = '';
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('request() sends method, path, query and headers through the dispatcher', async () => {
    const dispatcher = new Agent();
    try {
      const res = await request(`${base}/a/b?c=1`, {
        dispatcher,
        method: 'POST',
        headers: { 'x-test': 'yes' },
      });
      expect(res.statusCode).toBe(200);
      expect(await res.body.text()).toBe(`POST /a/b?c=1 host=${base.slice(7)} x=yes`);
      const get = await request(new URL(`${base}/`), { dispatcher });
      expect(await get.body.text()).toMatch(/^GET \/ /);
      // An empty method is GET, as with undici's own request() (healthCheck.method may be "").
      const empty = await request(`${base}/e`, { dispatcher, method: '' as 'GET' });
      expect(await empty.body.text()).toMatch(/^GET \/e /);
    } finally {
      await dispatcher.close();
    }
  });

  it('a dispatcher composed with the redirect interceptor follows redirections', async () => {
    const agent = new Agent();
    try {
      const plain = await request(`${base}/moved`, { dispatcher: agent });
      await plain.body.dump();
      expect(plain.statusCode).toBe(302);
      const follows = agent.compose(redirectInterceptor({ maxRedirections: 2 }));
      const res = await request(`${base}/moved`, { dispatcher: follows });
      expect(res.statusCode).toBe(200);
      expect(await res.body.text()).toMatch(/^GET \/here /);
    } finally {
      await agent.close();
    }
  });

  // Last, and loaded only here: undici's index installs the request API on its own, which would hide a
  // missing installation in http-client.ts from the tests above.
  it('resolves to the classes and interceptor undici exports', async () => {
    const undici = await import('undici');
    expect(Agent).toBe(undici.Agent);
    expect(Pool).toBe(undici.Pool);
    expect(redirectInterceptor).toBe(undici.interceptors.redirect);
    expect(buildConnector).toBe(undici.buildConnector);
    const pool = new Pool('http://127.0.0.1:1');
    expect(typeof (pool as unknown as Record<symbol, unknown>)[undiciInternals.kRemoveClient]).toBe(
      'function',
    );
    expect(Array.isArray((pool as unknown as Record<symbol, unknown>)[undiciInternals.kClients])).toBe(true);
    await pool.close();
    expect(undiciInternals.kSize.description).toBe('size');
    expect(undiciInternals.kConnected.description).toBe('connected');
  });
});
