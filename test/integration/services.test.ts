import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Backend, startServer, until } from '../helpers/backends.ts';
import { get, startWharf, type TestWharf } from '../helpers/wharf.ts';

interface Named extends Backend {
  healthy: boolean;
  hits: number;
  bodies: string[];
}

/** A backend that answers its name, counts hits, records bodies, and fails /health while unhealthy. */
async function named(name: string): Promise<Named> {
  const state = { healthy: true, hits: 0, bodies: [] as string[] };
  const b = await startServer((req, res) => {
    if (req.url === '/health') {
      res.writeHead(state.healthy ? 200 : 500).end();
      return;
    }
    state.hits++;
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      state.bodies.push(body);
      res.end(name);
    });
  });
  return Object.assign(state, b);
}

let a: Named;
let b: Named;
let c: Named;
let w: TestWharf;
const hc = { path: '/health', interval: '50ms', timeout: '500ms' };

beforeAll(async () => {
  [a, b, c] = await Promise.all([named('a'), named('b'), named('c')]);
  w = await startWharf({
    http: {
      routers: {
        rr: { rule: 'Host(`rr.test`)', service: 'rr' },
        weights: { rule: 'Host(`weights.test`)', service: 'weights' },
        health: { rule: 'Host(`health.test`)', service: 'health' },
        sticky: { rule: 'Host(`sticky.test`)', service: 'sticky' },
        canary: { rule: 'Host(`canary.test`)', service: 'canary' },
        failover: { rule: 'Host(`failover.test`)', service: 'failover' },
        mirror: { rule: 'Host(`mirror.test`)', service: 'mirror' },
        empty: { rule: 'Host(`empty.test`)', service: 'empty' },
        refused: { rule: 'Host(`refused.test`)', service: 'refused' },
      },
      services: {
        rr: { loadBalancer: { servers: [{ url: a.url }, { url: b.url }] } },
        weights: {
          loadBalancer: {
            servers: [
              { url: a.url, weight: 3 },
              { url: b.url, weight: 1 },
            ],
          },
        },
        health: { loadBalancer: { servers: [{ url: a.url }, { url: c.url }], healthCheck: hc } },
        sticky: {
          loadBalancer: {
            servers: [{ url: a.url }, { url: b.url }],
            sticky: { cookie: { name: 'pin', httpOnly: true } },
          },
        },
        onlyA: { loadBalancer: { servers: [{ url: a.url }] } },
        onlyB: { loadBalancer: { servers: [{ url: b.url }] } },
        canary: {
          weighted: {
            services: [
              { name: 'onlyA', weight: 1 },
              { name: 'onlyB', weight: 1 },
            ],
          },
        },
        main: { loadBalancer: { servers: [{ url: c.url }], healthCheck: hc } },
        failover: { failover: { service: 'main', fallback: 'onlyB' } },
        mirror: { mirroring: { service: 'onlyA', mirrors: [{ name: 'onlyB', percent: 50 }] } },
        empty: { loadBalancer: { servers: [] } },
        refused: { loadBalancer: { servers: [{ url: 'http://127.0.0.1:1' }] } },
      },
    },
  });
});

afterAll(async () => {
  await w?.stop();
  await Promise.all([a, b, c].map((x) => x?.close()));
});

async function names(host: string, n: number, headers: Record<string, string> = {}): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push((await get(w.web, '/', host, headers)).text);
  return out;
}

/** A server's health as the API reports it. */
async function serverStatus(service: string, url: string): Promise<string | undefined> {
  const r = await w.getJson<{ serverStatus: Record<string, string> }>(`/api/http/services/${service}`);
  return r.body.serverStatus[url];
}

function tally(list: string[]): Record<string, number> {
  const t: Record<string, number> = {};
  for (const x of list) t[x] = (t[x] ?? 0) + 1;
  return t;
}

describe('load balancing', () => {
  it('round robin alternates between servers', async () => {
    expect(tally(await names('rr.test', 10))).toEqual({ a: 5, b: 5 });
  });

  it('weights share traffic 3:1', async () => {
    expect(tally(await names('weights.test', 40))).toEqual({ a: 30, b: 10 });
  });

  it('health checks take a failing server out and put it back', async () => {
    c.healthy = false;
    await expect.poll(() => serverStatus('health@file', c.url), { timeout: 5000 }).toBe('DOWN');
    expect(tally(await names('health.test', 6))).toEqual({ a: 6 });
    c.healthy = true;
    await expect.poll(() => serverStatus('health@file', c.url), { timeout: 5000 }).toBe('UP');
    expect(tally(await names('health.test', 6))).toEqual({ a: 3, c: 3 });
  });

  it('sticky cookie pins a client to one server', async () => {
    const first = await get(w.web, '/', 'sticky.test');
    const setCookie = String(first.headers['set-cookie']);
    expect(setCookie).toMatch(/^pin=[0-9a-f]{16}; Path=\/; HttpOnly$/);
    const cookie = setCookie.split(';')[0] as string;
    const again = await names('sticky.test', 6, { cookie });
    expect(new Set(again)).toEqual(new Set([first.text]));
    const pinned = await get(w.web, '/', 'sticky.test', { cookie });
    expect(pinned.headers['set-cookie']).toBeUndefined();
  });

  it('weighted service spreads over child services', async () => {
    expect(tally(await names('canary.test', 8))).toEqual({ a: 4, b: 4 });
  });

  it('failover sends to the fallback while the main service is down', async () => {
    expect(await names('failover.test', 2)).toEqual(['c', 'c']);
    c.healthy = false;
    await expect.poll(async () => (await get(w.web, '/', 'failover.test')).text, { timeout: 5000 }).toBe('b');
    c.healthy = true;
    await expect.poll(async () => (await get(w.web, '/', 'failover.test')).text, { timeout: 5000 }).toBe('c');
  });

  it('mirroring copies half the requests, with their bodies, and answers from the main service', async () => {
    const before = b.bodies.length;
    for (let i = 0; i < 10; i++) {
      const r = await request(`${w.web}/m`, {
        method: 'POST',
        headers: { host: 'mirror.test' },
        body: `body-${i}`,
      });
      expect(await r.body.text()).toBe('a');
    }
    await until(() => b.bodies.length - before >= 5, 'mirrored copies');
    // Counted, not random: requests 1, 3, 5, 7, 9 (bodies 0, 2, 4, 6, 8) are mirrored.
    expect(b.bodies.slice(before).sort()).toEqual(['body-0', 'body-2', 'body-4', 'body-6', 'body-8']);
  });
});

describe('errors', () => {
  it('503 when a service has no server', async () => {
    const r = await get(w.web, '/', 'empty.test');
    expect(r.status).toBe(503);
    expect(r.text.trim()).toBe('503 Service Unavailable');
  });
  it('502 when the server refuses connections', async () => {
    const r = await get(w.web, '/', 'refused.test');
    expect(r.status).toBe(502);
    expect(r.text.trim()).toBe('502 Bad Gateway');
  });
});
