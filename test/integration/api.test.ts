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
    expect(r.body.map((x) => x.name)).toEqual(['broken@file', 'web2@file', 'web@file', 'ws@file']);
    expect(r.body.find((x) => x.name === 'web@file')).toEqual({
      name: 'web@file',
      provider: 'file',
      rule: 'Host(`api.test`)',
      service: 'echo',
      middlewares: ['strip'],
      entryPoints: ['web'],
      priority: 'Host(`api.test`)'.length,
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
    const m = await w.getJson<Array<{ name: string; usedBy: string[] }>>('/api/http/middlewares');
    expect(m.body.map((x) => [x.name, x.usedBy])).toEqual([
      ['strip@file', ['web2@file', 'web@file']],
      ['unused@file', []],
    ]);
  });

  it('overview, rawdata, entrypoints, version, and 404s', async () => {
    const o = await w.getJson<{ http: Record<string, unknown> }>('/api/overview');
    expect(o.body.http).toEqual({
      routers: { total: 4, warnings: 0, errors: 1 },
      services: { total: 2, warnings: 0, errors: 0 },
      middlewares: { total: 2, warnings: 0, errors: 0 },
    });
    const raw = await w.getJson<{ routers: Record<string, unknown> }>('/api/rawdata');
    expect(Object.keys(raw.body.routers).sort()).toEqual(['broken@file', 'web2@file', 'web@file', 'ws@file']);
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
