import type { IncomingHttpHeaders } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Backend, startServer } from '../helpers/backends.ts';
import { startWharf, type TestWharf } from '../helpers/wharf.ts';

// Health check options as Traefik has them (issue 18): method, status, hostname, headers, followRedirects.

let backend: Backend;
let w: TestWharf;
const probes: Array<{ method: string; url: string; headers: IncomingHttpHeaders }> = [];

const hc = (healthCheck: Record<string, unknown>) => ({
  loadBalancer: { servers: [{ url: backend.url }], healthCheck: { interval: '100ms', ...healthCheck } },
});

beforeAll(async () => {
  backend = await startServer((req, res) => {
    probes.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    if (req.url === '/teapot') res.writeHead(418).end();
    else if (req.url === '/redirect') res.writeHead(302, { location: '/down' }).end();
    else if (req.url === '/down') res.writeHead(500).end();
    else res.writeHead(200).end();
  });
  w = await startWharf({
    http: {
      services: {
        probe: hc({ path: '/ok', method: 'head', hostname: 'probe.test', headers: { 'X-Probe': 'yes' } }),
        teapot: hc({ path: '/teapot', status: 418 }),
        'teapot-default': hc({ path: '/teapot' }),
        'ok-wrong-status': hc({ path: '/ok', status: 204 }),
        follow: hc({ path: '/redirect' }),
        'no-follow': hc({ path: '/redirect', followRedirects: false }),
      },
    },
  });
}, 30_000);

afterAll(async () => {
  await w?.stop();
  await backend?.close();
});

const status = async (name: string) =>
  (await w.getJson<{ serverStatus?: Record<string, string> }>(`/api/http/services/${name}@file`)).body
    .serverStatus?.[backend.url];

/** Polls the API until the services' states equal `expected` (or 10 s passed) and returns them. */
async function settled(expected: Record<string, 'UP' | 'DOWN'>): Promise<Record<string, string | undefined>> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const got: Record<string, string | undefined> = {};
    for (const name of Object.keys(expected)) got[name] = await status(name);
    if (JSON.stringify(got) === JSON.stringify(expected) || Date.now() > deadline) return got;
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('health check options', () => {
  it('judge by status (exact when set, else 2xx/3xx), following redirects unless told not to', async () => {
    const expected = {
      probe: 'UP',
      teapot: 'UP',
      'teapot-default': 'DOWN',
      'ok-wrong-status': 'DOWN',
      follow: 'DOWN', // the redirect leads to a 500
      'no-follow': 'UP', // the 302 itself is judged
    } as const;
    expect(await settled(expected)).toEqual(expected);
  });

  it('send the method, the Host and the extra headers', () => {
    const p = probes.find((x) => x.url === '/ok' && x.method === 'HEAD');
    expect(p?.headers.host).toBe('probe.test');
    expect(p?.headers['x-probe']).toBe('yes');
  });
});
