import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Backend, type Echo, startEchoServer } from '../helpers/backends.ts';
import { get, startWharf, type TestWharf } from '../helpers/wharf.ts';

let echo: Backend;
let other: Backend;
let w: TestWharf;

const svc = (url: string) => ({ loadBalancer: { servers: [{ url }] } });

beforeAll(async () => {
  echo = await startEchoServer();
  other = await startEchoServer();
  w = await startWharf({
    http: {
      routers: {
        host: { rule: 'Host(`a.test`)', service: 'echo' },
        api: { rule: 'Host(`a.test`) && PathPrefix(`/api`)', service: 'other', middlewares: ['strip'] },
        wildcard: { rule: 'Host(`*.wild.test`)', service: 'echo' },
        add: { rule: 'Host(`add.test`)', service: 'echo', middlewares: ['add'] },
        replace: { rule: 'Host(`replace.test`)', service: 'echo', middlewares: ['replace'] },
        hdr: { rule: 'Host(`hdr.test`)', service: 'echo', middlewares: ['hdr'] },
        chained: { rule: 'Host(`chain.test`)', service: 'echo', middlewares: ['both'] },
        redirect: { rule: 'Host(`redir.test`)', service: 'echo', middlewares: ['to-https'] },
        prio: { rule: 'PathPrefix(`/prio`)', priority: 1, service: 'other' },
        prioHigh: { rule: 'Host(`prio.test`)', priority: 100, service: 'echo' },
        method: { rule: 'Host(`m.test`) && Method(`POST`)', service: 'other' },
        query: { rule: 'Host(`q.test`) && Query(`v`, `2`)', service: 'other' },
        header: { rule: 'Host(`h.test`) && Header(`X-Canary`, `yes`)', service: 'other' },
        badrule: { rule: 'Host(`bad.test`', service: 'echo' },
        nosvc: { rule: 'Host(`nosvc.test`)', service: 'missing' },
      },
      middlewares: {
        strip: { stripPrefix: { prefixes: ['/api'] } },
        add: { addPrefix: { prefix: '/v1' } },
        replace: { replacePath: { path: '/fixed' } },
        hdr: {
          headers: {
            customRequestHeaders: { 'X-Custom': 'yes', 'User-Agent': '' },
            customResponseHeaders: { 'X-Resp': 'r', 'Content-Type': 'text/x-overridden' },
            frameDeny: true,
          },
        },
        both: { chain: { middlewares: ['strip', 'add'] } },
        'to-https': { redirectScheme: { scheme: 'https', permanent: true } },
      },
      services: {
        echo: svc(echo.url),
        other: { loadBalancer: { servers: [{ url: other.url }], passHostHeader: false } },
      },
    },
  });
});

afterAll(async () => {
  await w?.stop();
  await echo?.close();
  await other?.close();
});

const served = (text: string) => JSON.parse(text) as Echo;

describe('routing', () => {
  const cases: Array<{
    name: string;
    host: string;
    path: string;
    headers?: Record<string, string>;
    status: number;
    backend?: 'echo' | 'other';
    url?: string;
  }> = [
    {
      name: 'Host routes to its service',
      host: 'a.test',
      path: '/x?y=1',
      status: 200,
      backend: 'echo',
      url: '/x?y=1',
    },
    {
      name: 'Host is case-insensitive and ignores the port',
      host: 'A.Test:8080',
      path: '/',
      status: 200,
      backend: 'echo',
    },
    {
      name: 'longer rule wins by default priority, stripPrefix applies',
      host: 'a.test',
      path: '/api/users',
      status: 200,
      backend: 'other',
      url: '/users',
    },
    {
      name: 'stripPrefix keeps the path rooted',
      host: 'a.test',
      path: '/api',
      status: 200,
      backend: 'other',
      url: '/',
    },
    { name: 'one-label wildcard', host: 'x.wild.test', path: '/', status: 200, backend: 'echo' },
    { name: 'wildcard does not match two labels', host: 'x.y.wild.test', path: '/', status: 404 },
    { name: 'no route answers 404', host: 'nothing.test', path: '/', status: 404 },
    {
      name: 'explicit priority beats rule length',
      host: 'prio.test',
      path: '/prio',
      status: 200,
      backend: 'echo',
    },
    { name: 'Query matcher', host: 'q.test', path: '/?v=2', status: 200, backend: 'other' },
    { name: 'Query matcher miss', host: 'q.test', path: '/?v=3', status: 404 },
    {
      name: 'Header matcher',
      host: 'h.test',
      path: '/',
      headers: { 'x-canary': 'yes' },
      status: 200,
      backend: 'other',
    },
    { name: 'router with a bad rule is not served', host: 'bad.test', path: '/', status: 404 },
    { name: 'router with a missing service is not served', host: 'nosvc.test', path: '/', status: 404 },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const r = await get(w.web, c.path, c.host, c.headers);
      expect(r.status).toBe(c.status);
      if (c.backend) {
        const e = served(r.text);
        expect(e.headers['x-forwarded-host']).toBe(c.host);
        // 'other' does not pass the Host header, so its backend sees its own address: tells them apart.
        expect(e.headers.host).toBe(c.backend === 'other' ? new URL(other.url).host : c.host);
        if (c.url) expect(e.url).toBe(c.url);
      }
    });
  }

  it('Method matcher', async () => {
    const { request } = await import('undici');
    const post = await request(`${w.web}/`, { method: 'POST', headers: { host: 'm.test' }, body: 'x' });
    expect(post.statusCode).toBe(200);
    await post.body.dump();
    expect((await get(w.web, '/', 'm.test')).status).toBe(404);
  });

  it('404 body is short plain text', async () => {
    const r = await get(w.web, '/', 'nothing.test');
    expect(r.headers['content-type']).toMatch(/^text\/plain/);
    expect(r.text.trim()).toBe('404 Not Found');
  });
});

describe('middlewares', () => {
  it('addPrefix', async () => {
    expect(served((await get(w.web, '/users?a=1', 'add.test')).text).url).toBe('/v1/users?a=1');
  });
  it('replacePath keeps the query and sends the original in X-Replaced-Path', async () => {
    const e = served((await get(w.web, '/orig/path?q=1', 'replace.test')).text);
    expect(e.url).toBe('/fixed?q=1');
    expect(e.headers['x-replaced-path']).toBe('/orig/path');
  });
  it('headers sets and removes request headers and overrides response headers', async () => {
    const r = await get(w.web, '/', 'hdr.test', { 'user-agent': 'test-agent' });
    const e = served(r.text);
    expect(e.headers['x-custom']).toBe('yes');
    expect(e.headers['user-agent']).toBeUndefined();
    expect(r.headers['x-resp']).toBe('r');
    expect(r.headers['content-type']).toBe('text/x-overridden');
    expect(r.headers['x-frame-options']).toBe('DENY');
  });
  it('chain applies its members in order', async () => {
    const e = served((await get(w.web, '/api/x', 'chain.test')).text);
    expect(e.url).toBe('/v1/x');
    expect(e.headers['x-forwarded-prefix']).toBe('/api');
  });
  it('redirectScheme redirects plain HTTP to HTTPS, 301 for GET', async () => {
    const r = await get(w.web, '/p?q=1', 'redir.test');
    expect(r.status).toBe(301);
    expect(r.headers.location).toBe('https://redir.test/p?q=1');
  });
  it('redirectScheme keeps the method with 308 for POST', async () => {
    const { request } = await import('undici');
    const r = await request(`${w.web}/p`, { method: 'POST', headers: { host: 'redir.test' }, body: 'x' });
    await r.body.dump();
    expect(r.statusCode).toBe(308);
  });
  it('redirectScheme passes requests already on the target scheme (trusted X-Forwarded-Proto)', async () => {
    // The test entryPoint trusts nobody, so a client-sent X-Forwarded-Proto is replaced: still redirected.
    const r = await get(w.web, '/', 'redir.test', { 'x-forwarded-proto': 'https' });
    expect(r.status).toBe(301);
  });
});

describe('API reports bad routers without affecting others', () => {
  it('shows disabled routers with their errors', async () => {
    const bad = await w.getJson<{ status: string; error: string[] }>('/api/http/routers/badrule@file');
    expect(bad.status).toBe(200);
    expect(bad.body.status).toBe('disabled');
    expect(bad.body.error.join(' ')).toMatch(/column/);
    const nosvc = await w.getJson<{ status: string; error: string[] }>('/api/http/routers/nosvc@file');
    expect(nosvc.body.status).toBe('disabled');
    expect(nosvc.body.error.join(' ')).toContain('missing@file');
    const ok = await w.getJson<{ status: string; using: string[] }>('/api/http/routers/host@file');
    expect(ok.body).toMatchObject({ status: 'enabled', using: ['web'] });
  });
});
