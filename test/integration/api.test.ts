import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Backend, startEchoServer, startWebSocketEchoServer, wsConnect } from '../helpers/backends.ts';
import { get, startWharf, type TestWharf } from '../helpers/wharf.ts';

let echo: Backend;
let ws: Backend;
let w: TestWharf;
let accessLogPath: string;

beforeAll(async () => {
  echo = await startEchoServer();
  ws = await startWebSocketEchoServer();
  accessLogPath = join(process.env.TMPDIR ?? '/tmp', `wharf-access-${process.pid}-${Date.now()}.log`);
  w = await startWharf(
    {
      http: {
        routers: {
          web: { rule: 'Host(`api.test`)', service: 'echo', middlewares: ['strip'] },
          // Shares web's middleware chain and service (one composed handler): logs keep each router's name.
          web2: { rule: 'Host(`api2.test`)', service: 'echo', middlewares: ['strip'] },
          ws: { rule: 'PathPrefix(`/chat`)', service: 'ws' },
          broken: { rule: 'Host(`b.test`)', service: 'echo', middlewares: ['nope'] },
        },
        services: {
          echo: { loadBalancer: { servers: [{ url: echo.url }] } },
          ws: { loadBalancer: { servers: [{ url: ws.url }] } },
        },
        middlewares: {
          strip: { stripPrefix: { prefixes: ['/x'] } },
          unused: { addPrefix: { prefix: '/u' } },
        },
      },
    },
    {
      accessLog: {
        filePath: accessLogPath,
        format: 'common',
        // Traefik drops headers by default; the tests find their lines by User-Agent.
        fields: { headers: { names: { 'User-Agent': 'keep' } } },
      },
    },
  );
});
afterAll(async () => {
  await w?.stop();
  await echo?.close();
  await ws?.close();
});

describe('API (Traefik shapes)', () => {
  it('lists routers sorted by name with status, using and priority', async () => {
    const r = await w.getJson<Array<Record<string, unknown>>>('/api/http/routers');
    expect(r.status).toBe(200);
    // With api.insecure and ping, Traefik's internal routers serve the wharf entryPoint and are listed too.
    expect(r.body.map((x) => x.name)).toEqual([
      'api@internal',
      'broken@file',
      'dashboard@internal',
      'ping@internal',
      'web2@file',
      'web@file',
      'ws@file',
    ]);
    expect(r.body.find((x) => x.name === 'web@file')).toEqual({
      name: 'web@file',
      provider: 'file',
      rule: 'Host(`api.test`)',
      service: 'echo',
      middlewares: ['strip'],
      entryPoints: ['web'],
      priority: 'Host(`api.test`)'.length,
      priorityStr: String('Host(`api.test`)'.length),
      status: 'enabled',
      using: ['web'],
    });
  });

  it('filters by status and search', async () => {
    const disabled = await w.getJson<Array<{ name: string }>>('/api/http/routers?status=disabled');
    expect(disabled.body.map((x) => x.name)).toEqual(['broken@file']);
    const search = await w.getJson<Array<{ name: string }>>('/api/http/routers?search=ws');
    expect(search.body.map((x) => x.name)).toEqual(['ws@file']);
    const byProvider = await w.getJson<Array<{ name: string }>>('/api/http/routers?provider=docker');
    expect(byProvider.body).toEqual([]);
  });

  it('shows services with serverStatus and usedBy, middlewares with usedBy', async () => {
    const s = await w.getJson<Record<string, unknown>>('/api/http/services/echo@file');
    expect(s.body).toMatchObject({
      name: 'echo@file',
      type: 'loadbalancer',
      status: 'enabled',
      usedBy: ['broken@file', 'web2@file', 'web@file'],
      serverStatus: { [echo.url]: 'UP' },
    });
    const m = await w.getJson<Array<{ name: string; usedBy: string[] }>>(
      '/api/http/middlewares?provider=file',
    );
    expect(m.body.map((x) => [x.name, x.usedBy])).toEqual([
      ['strip@file', ['web2@file', 'web@file']],
      ['unused@file', []],
    ]);
  });

  it('overview, rawdata, entrypoints, version, and 404s', async () => {
    const o = await w.getJson<{ http: Record<string, unknown> }>('/api/overview');
    // Traefik counts its internal items: routers api, dashboard, ping; services api, dashboard, noop, ping;
    // middlewares dashboard_redirect and dashboard_stripprefix.
    expect(o.body).toEqual({
      http: {
        routers: { total: 7, warnings: 0, errors: 1 },
        services: { total: 6, warnings: 0, errors: 0 },
        middlewares: { total: 4, warnings: 0, errors: 0 },
      },
      tcp: {
        routers: { total: 0, warnings: 0, errors: 0 },
        services: { total: 0, warnings: 0, errors: 0 },
        middlewares: { total: 0, warnings: 0, errors: 0 },
      },
      udp: { routers: { total: 0, warnings: 0, errors: 0 }, services: { total: 0, warnings: 0, errors: 0 } },
      features: { tracing: '', metrics: '', accessLog: true },
      providers: ['File'],
    });
    const raw = await w.getJson<{ routers: Record<string, unknown> }>('/api/rawdata');
    expect(Object.keys(raw.body.routers).sort()).toEqual([
      'api@internal',
      'broken@file',
      'dashboard@internal',
      'ping@internal',
      'web2@file',
      'web@file',
      'ws@file',
    ]);
    // Keyed by name: Traefik's runtime info, without name and provider.
    expect(raw.body.routers['web@file']).toEqual({
      rule: 'Host(`api.test`)',
      service: 'echo',
      middlewares: ['strip'],
      entryPoints: ['web'],
      priority: 'Host(`api.test`)'.length,
      status: 'enabled',
      using: ['web'],
    });
    const eps = await w.getJson<Array<{ name: string }>>('/api/entrypoints');
    expect(eps.body.map((e) => e.name).sort()).toEqual(['web', 'wharf']);
    expect((await w.getJson('/api/entrypoints/web')).status).toBe(200);
    expect((await w.getJson('/api/entrypoints/none')).status).toBe(404);
    expect((await w.getJson('/api/http/routers/none@file')).status).toBe(404);
    expect((await w.getJson('/api/nothing')).status).toBe(404);
    const v = await w.getJson<{ Version: string }>('/api/version');
    expect(v.body.Version).toMatch(/^\d+\.\d+\.\d+$/);
    const post = await request(`${w.api}/api/rawdata`, { method: 'POST' });
    await post.body.dump();
    expect(post.statusCode).toBe(405);
  });

  it('a malformed percent-escape in an API path is a 400, not a crash', async () => {
    // The entryPoint refuses it before the API sees it, as Go's server does for Traefik.
    const r = await request(`${w.api}/api/http/routers/%E0%A4%A`);
    expect(r.statusCode).toBe(400);
    expect(await r.body.text()).toBe('400 Bad Request\n');
    expect((await w.getJson('/api/version')).status).toBe(200);
  });

  it('ping answers OK', async () => {
    const r = await request(`${w.api}/ping`);
    expect(await r.body.text()).toBe('OK');
  });
});

describe('API paging, TCP/UDP and the insecure dashboard (Traefik shapes)', () => {
  it('pages lists with page, per_page and X-Next-Page', async () => {
    const first = await request(`${w.api}/api/http/routers?per_page=2&provider=file`);
    expect(first.headers['x-next-page']).toBe('2');
    expect(((await first.body.json()) as Array<{ name: string }>).map((r) => r.name)).toEqual([
      'broken@file',
      'web2@file',
    ]);
    const last = await request(`${w.api}/api/http/routers?per_page=2&page=2&provider=file`);
    expect(last.headers['x-next-page']).toBe('1');
    expect(((await last.body.json()) as Array<{ name: string }>).map((r) => r.name)).toEqual([
      'web@file',
      'ws@file',
    ]);
    const past = await w.getJson('/api/http/routers?per_page=2&page=3&provider=file');
    expect(past).toEqual({ status: 400, body: { message: 'invalid request: page: 3, per_page: 2' } });
    const filtered = await w.getJson<Array<{ name: string }>>('/api/http/routers?middlewareName=strip');
    expect(filtered.body.map((r) => r.name)).toEqual(['web2@file', 'web@file']);
    const byService = await w.getJson<Array<{ name: string }>>('/api/http/routers?serviceName=ws@file');
    expect(byService.body.map((r) => r.name)).toEqual(['ws@file']);
  });

  it('has empty TCP and UDP lists, and their items are never found', async () => {
    expect((await w.getJson('/api/tcp/routers')).body).toEqual([]);
    expect((await w.getJson('/api/udp/services')).body).toEqual([]);
    expect(await w.getJson('/api/tcp/services/x@file')).toEqual({
      status: 404,
      body: { message: 'service not found: x@file' },
    });
    expect(await w.getJson('/api/http/routers/none@file')).toEqual({
      status: 404,
      body: { message: 'router not found: none@file' },
    });
    expect(await w.getJson('/api/entrypoints/none')).toEqual({
      status: 404,
      body: { message: 'entry point not found: none' },
    });
  });

  it("shows an entryPoint with Traefik's Go durations", async () => {
    const ep = await w.getJson<Record<string, unknown>>('/api/entrypoints/web');
    expect(ep.body).toMatchObject({ name: 'web', address: '127.0.0.1:0' });
  });

  it('redirects / to /dashboard/ on the internal entryPoint and serves the dashboard there', async () => {
    const root = await request(`${w.api}/`);
    await root.body.dump();
    expect(root.statusCode).toBe(301);
    expect(root.headers.location).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/dashboard\/$/);
    const page = await request(`${w.api}/dashboard/`);
    expect(page.statusCode).toBe(200);
    expect(await page.body.text()).toContain('<script type="module" src="./app.js"></script>');
    const noop = await request(`${w.api}/dashboard/nothing.js`);
    await noop.body.dump();
    expect(noop.statusCode).toBe(404);
  });
});

describe('api.basePath and api.debug', () => {
  let b: TestWharf;
  beforeAll(async () => {
    b = await startWharf(
      {
        http: {
          routers: {
            mine: { rule: 'Host(`base.test`)', service: 'api@internal', entryPoints: ['web'] },
            health: { rule: 'Path(`/health`)', service: 'ping@internal', entryPoints: ['web'] },
            teapot: { rule: 'Path(`/noop`)', service: 'noop@internal', entryPoints: ['web'] },
          },
        },
      },
      {
        // The client is trusted, so X-Forwarded-Prefix reaches the API.
        entryPoints: {
          web: { address: '127.0.0.1:0', forwardedHeaders: { insecure: true } },
          wharf: { address: '127.0.0.1:0' },
        },
        api: { insecure: true, basePath: '/traefik', debug: true },
        ping: { manualRouting: true },
      },
    );
  });
  afterAll(async () => {
    await b?.stop();
  });

  it('serves the API, the dashboard and the debug endpoints under the base path', async () => {
    expect((await b.getJson<{ Codename: string }>('/traefik/api/version')).body.Codename).toBe('wharf');
    const outside = await request(`${b.api}/api/version`);
    await outside.body.dump();
    expect(outside.statusCode).toBe(404);
    const vars = await b.getJson<{ cmdline: string[]; memstats: { rss: number } }>('/traefik/debug/vars');
    expect(vars.status).toBe(200);
    expect(vars.body.memstats.rss).toBeGreaterThan(0);
    expect(Array.isArray(vars.body.cmdline)).toBe(true);
    const pprof = await b.getJson<{ message: string }>('/traefik/debug/pprof/heap');
    expect(pprof.status).toBe(501);
  });

  it('redirects the base path to the dashboard, after a trusted X-Forwarded-Prefix', async () => {
    const go = async (prefix?: string) => {
      const r = await request(`${b.web}/traefik`, {
        headers: { host: 'base.test', ...(prefix !== undefined ? { 'x-forwarded-prefix': prefix } : {}) },
      });
      await r.body.dump();
      return [r.statusCode, r.headers.location];
    };
    expect(await go()).toEqual([302, '/traefik/dashboard/']);
    expect(await go('/edge/')).toEqual([302, '/edge/traefik/dashboard/']);
    // An absolute URL would send the browser elsewhere: ignored, as Traefik does.
    expect(await go('https://evil.example')).toEqual([302, '/traefik/dashboard/']);
    expect(await go('//evil.example')).toEqual([302, '/traefik/dashboard/']);
  });

  it('with ping.manualRouting, ping answers only where a router sends it', async () => {
    const own = await request(`${b.api}/ping`);
    await own.body.dump();
    expect(own.statusCode).toBe(404);
    const routed = await request(`${b.web}/health`, { headers: { host: 'any.test' } });
    expect([routed.statusCode, await routed.body.text()]).toEqual([200, 'OK']);
    const head = await request(`${b.web}/health`, { method: 'HEAD', headers: { host: 'any.test' } });
    expect([head.statusCode, await head.body.text()]).toEqual([200, '']);
    const noop = await request(`${b.web}/noop`, { headers: { host: 'any.test' } });
    expect([noop.statusCode, await noop.body.text()]).toEqual([418, '']);
  });

  it('is read-only', async () => {
    const post = await request(`${b.web}/traefik/api/rawdata`, {
      method: 'POST',
      headers: { host: 'base.test' },
    });
    await post.body.dump();
    expect(post.statusCode).toBe(405);
  });
});

describe('WebSocket through the router', () => {
  it('upgrades and echoes both ways', async () => {
    const client = await wsConnect(`${w.web}/chat/room`);
    if (!('send' in client)) throw new Error(`upgrade refused: ${client.status} ${client.body}`);
    expect(client.headers['x-echo-path']).toBe('/chat/room');
    client.send('hello');
    expect(await client.next()).toBe('hello');
    client.send('second');
    expect(await client.next()).toBe('second');
    client.close();
  });
});

describe('access log', () => {
  it('writes one common-format line per proxied request, with the path as received, router and server', async () => {
    await get(w.web, '/x/hello', 'api.test', { 'user-agent': 'access-test' });
    await expect
      .poll(
        async () =>
          (await readFile(accessLogPath, 'utf8').catch(() => ''))
            .split('\n')
            .find((l) => l.includes('access-test')),
        { timeout: 5000 },
      )
      .toMatch(
        new RegExp(
          `^127\\.0\\.0\\.1 - - \\[[^\\]]+\\] "GET /x/hello HTTP/1\\.1" 200 \\d+ "-" "access-test" \\d+ "web@file" "${echo.url}" \\d+ms$`,
        ),
      );
  });

  it('names the router that matched when routers share a middleware chain', async () => {
    for (const [host, agent] of [
      ['api2.test', 'shared-2'],
      ['api.test', 'shared-1'],
    ] as const) {
      await get(w.web, '/x/again', host, { 'user-agent': agent });
    }
    const line = async (agent: string) =>
      (await readFile(accessLogPath, 'utf8').catch(() => ''))
        .split('\n')
        .find((l) => l.includes(`"${agent}"`));
    await expect.poll(() => line('shared-2'), { timeout: 5000 }).toMatch(/ "web2@file" /);
    await expect.poll(() => line('shared-1'), { timeout: 5000 }).toMatch(/ "web@file" /);
  });
});
