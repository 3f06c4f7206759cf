import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConsulTestServer, startConsulTestServer } from '../consul/server.ts';
import { type Backend, startServer } from '../helpers/backends.ts';
import { get, startWharf, type TestWharf } from '../helpers/wharf.ts';

// `middlewares` on a service (Traefik v3.7 Service.Middlewares) through a running router: they run for
// every router using the service, after the router's own middlewares; a child of a weighted service runs
// its own when picked; an unknown one leaves the service out with a diagnostic while the rest serves; and
// a reload that changes none of them keeps the weighted rotation and the rateLimit buckets.

// htpasswd -nbm carol secret
const CAROL = 'carol:$apr1$txDfCdrF$EoIhBAxbwthYp82/5rC130';
const basic = (user: string, password: string) => ({
  authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
});

let a: Backend;
let b: Backend;
let w: TestWharf;

/** A backend answering its name and the X-Svc, X-Child and X-Router request headers it received. */
const named = (name: string) =>
  startServer((req, res) => {
    const h = (k: string) => req.headers[k] ?? '-';
    res.end(`${name} svc=${h('x-svc')} child=${h('x-child')} router=${h('x-router')}`);
  });

const route = (host: string, service: string, middlewares?: string[]) => ({
  rule: `Host(\`${host}\`)`,
  service,
  ...(middlewares && { middlewares }),
});
const lb = (backend: Backend, middlewares?: string[]) => ({
  loadBalancer: { servers: [{ url: backend.url }] },
  ...(middlewares && { middlewares }),
});
const setHeader = (name: string, value: string) => ({ headers: { customRequestHeaders: { [name]: value } } });

const config = (extra: Record<string, unknown> = {}) => ({
  http: {
    routers: {
      guarded1: route('guarded1.test', 'guarded'),
      guarded2: route('guarded2.test', 'guarded'),
      tagged: route('tagged.test', 'tagged', ['router-tag']),
      canary: route('canary.test', 'canary'),
      broken: route('broken.test', 'broken'),
      rotate: route('rotate.test', 'rotate'),
      limited1: route('limited1.test', 'limited'),
      limited2: route('limited2.test', 'limited'),
      ...extra,
    },
    services: {
      guarded: lb(a, ['auth']),
      tagged: lb(a, ['svc-tag']),
      canary: { weighted: { services: [{ name: 'child-a' }, { name: 'child-b' }] } },
      'child-a': lb(a, ['child-tag']),
      'child-b': lb(b),
      broken: lb(a, ['ghost']),
      rotate: { weighted: { services: [{ name: 'rot-a' }, { name: 'rot-b' }] } },
      'rot-a': lb(a, ['child-tag']),
      'rot-b': lb(b, ['child-tag']),
      limited: lb(a, ['rl']),
    },
    middlewares: {
      auth: { basicAuth: { users: [CAROL] } },
      'router-tag': { headers: { customRequestHeaders: { 'X-Svc': 'router', 'X-Router': 'yes' } } },
      'svc-tag': setHeader('X-Svc', 'service'),
      'child-tag': setHeader('X-Child', 'yes'),
      // One request per hour after the burst: nothing refills during the test.
      rl: { rateLimit: { average: 1, period: '1h', burst: 2 } },
    },
  },
});

beforeAll(async () => {
  [a, b] = await Promise.all([named('a'), named('b')]);
  w = await startWharf(config());
});

afterAll(async () => {
  await w?.stop();
  await Promise.all([a?.close(), b?.close()]);
});

describe('service middlewares through a running router', () => {
  it('a basicAuth on a service protects every router using it', async () => {
    for (const host of ['guarded1.test', 'guarded2.test']) {
      const denied = await get(w.web, '/', host);
      expect(denied.status).toBe(401);
      expect(denied.headers['www-authenticate']).toBe('Basic realm="traefik"');
      const allowed = await get(w.web, '/', host, basic('carol', 'secret'));
      expect(allowed.status).toBe(200);
      expect(allowed.text).toMatch(/^a /);
    }
  });

  it("a headers middleware on a service applies, after the router's own middlewares", async () => {
    const res = await get(w.web, '/', 'tagged.test');
    expect(res.status).toBe(200);
    // The router's headers set X-Svc first; the service's, running after, overwrite it.
    expect(res.text).toBe('a svc=service child=- router=yes');
  });

  it('a child of a weighted service runs its own middlewares when it is picked', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 4; i++) seen.add((await get(w.web, '/', 'canary.test')).text);
    expect([...seen].sort()).toEqual(['a svc=- child=yes router=-', 'b svc=- child=- router=-']);
  });

  it('an unknown middleware leaves the service out with a diagnostic; the other routers serve', async () => {
    expect((await get(w.web, '/', 'broken.test')).status).toBe(404);
    expect((await get(w.web, '/', 'tagged.test')).status).toBe(200);
    const message = 'service "broken@file": middlewares names "ghost@file", which does not exist';
    const service = await w.getJson<{ status: string; error: string[]; middlewares: string[] }>(
      '/api/http/services/broken@file',
    );
    expect(service.body).toMatchObject({ status: 'disabled', error: [message], middlewares: ['ghost'] });
    const router = await w.getJson<{ status: string; error: string[] }>('/api/http/routers/broken@file');
    expect(router.body.status).toBe('disabled');
    expect(router.body.error).toEqual([
      `router "broken@file": service "broken@file" is disabled: ${message}`,
    ]);
    // The API shows a service's middlewares as configured, as Traefik's does.
    const tagged = await w.getJson<{ status: string; middlewares: string[]; type: string }>(
      '/api/http/services/tagged@file',
    );
    expect(tagged.body).toMatchObject({ status: 'enabled', middlewares: ['svc-tag'], type: 'loadbalancer' });
  });

  it('a reload that changes none of them keeps the weighted rotation and the rateLimit buckets', async () => {
    const backendOf = async (host: string) => (await get(w.web, '/', host)).text.slice(0, 1);
    const first = await backendOf('rotate.test');
    // The service's limiter is one per service: both routers draw from the same buckets.
    expect((await get(w.web, '/', 'limited1.test')).status).toBe(200);
    expect((await get(w.web, '/', 'limited2.test')).status).toBe(200);
    expect((await get(w.web, '/', 'limited1.test')).status).toBe(429);

    await w.reload(config({ extra: route('extra.test', 'tagged') }));
    expect((await get(w.web, '/', 'extra.test')).status).toBe(200);
    // Smooth weighted round robin alternates between equal weights: a rebuilt rotation would start over.
    expect(await backendOf('rotate.test')).not.toBe(first);
    expect((await get(w.web, '/', 'limited2.test')).status).toBe(429);
  });
});

describe('service middlewares from Consul KV through a running router', () => {
  let consul: ConsulTestServer;
  let kvWharf: TestWharf;

  beforeAll(async () => {
    consul = await startConsulTestServer();
    kvWharf = await startWharf(
      {},
      { providers: { providersThrottleDuration: '0s', consul: { endpoints: [consul.url] } } },
    );
  });

  afterAll(async () => {
    await kvWharf?.stop();
    await consul?.close();
  });

  it('wharf/http/services/<s>/middlewares/<n> guards the service', async () => {
    const pairs: Array<[string, string]> = [
      ['wharf/http/routers/kv/rule', 'Host(`kv.test`)'],
      ['wharf/http/routers/kv/service', 'kv'],
      ['wharf/http/services/kv/middlewares/0', 'kv-auth'],
      ['wharf/http/services/kv/loadbalancer/servers/0/url', a.url],
      ['wharf/http/middlewares/kv-auth/basicauth/users/0', CAROL],
    ];
    const body = pairs.map(([Key, v]) => ({
      KV: { Verb: 'set', Key, Value: Buffer.from(v).toString('base64') },
    }));
    const r = await request(`${consul.url}/v1/txn`, { method: 'PUT', body: JSON.stringify(body) });
    expect(r.statusCode).toBe(200);
    await r.body.dump();
    // Routed once the provider has read the transaction, behind the service's basicAuth.
    await expect
      .poll(async () => (await get(kvWharf.web, '/', 'kv.test')).status, { timeout: 5000 })
      .toBe(401);
    expect((await get(kvWharf.web, '/', 'kv.test', basic('carol', 'secret'))).status).toBe(200);
  });
});
