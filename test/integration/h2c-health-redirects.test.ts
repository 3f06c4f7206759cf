import { createServer, type Http2Server } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../helpers/backends.ts';
import { startWharf, type TestWharf } from '../helpers/wharf.ts';

// Active health checks of h2c:// servers in http mode follow redirects as Traefik's (Go's client,
// followRedirects default true): over HTTP/2 on the same server, at most 10 (issue 18).

let server: Http2Server;
let url: string;
const hits = new Map<string, number>();
const authorities: Array<[string, string]> = [];
let w: TestWharf;

const hc = (healthCheck: Record<string, unknown>) => ({
  loadBalancer: { servers: [{ url }], healthCheck: { interval: '100ms', timeout: '2s', ...healthCheck } },
});

beforeAll(async () => {
  // HTTP/2 only, no TLS: a probe that fell back to HTTP/1.1 would get no answer.
  server = createServer((req, res) => {
    const path = req.url;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    authorities.push([path, String(req.headers[':authority'])]);
    if (path === '/to-ok') res.writeHead(302, { location: '/ok' }).end();
    else if (path === '/to-down') res.writeHead(301, { location: 'down' }).end();
    else if (path === '/loop') res.writeHead(307, { location: '/loop' }).end();
    else if (path === '/down') res.writeHead(500).end();
    else res.writeHead(200).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `h2c://127.0.0.1:${(server.address() as AddressInfo).port}`;
  w = await startWharf({
    http: {
      services: {
        // status 200: healthy only when the redirect is followed to /ok (the 302 itself is not 200).
        follow: hc({ path: '/to-ok', status: 200, hostname: 'probe.test' }),
        'follow-down': hc({ path: '/to-down' }),
        'no-follow': hc({ path: '/to-down', followRedirects: false }),
        loop: hc({ path: '/loop' }),
      },
    },
  });
}, 30_000);

afterAll(async () => {
  await w?.stop();
  await new Promise<void>((r) => server.close(() => r()));
});

const status = async (name: string) =>
  (await w.getJson<{ serverStatus?: Record<string, string> }>(`/api/http/services/${name}@file`)).body
    .serverStatus?.[url];

describe('h2c:// health checks in http mode', () => {
  it('follow redirects over HTTP/2 unless followRedirects is false, and give up after 10', async () => {
    const expected = { follow: 'UP', 'follow-down': 'DOWN', 'no-follow': 'UP', loop: 'DOWN' };
    const got: Record<string, string | undefined> = {};
    const deadline = Date.now() + 10_000;
    for (;;) {
      for (const name of Object.keys(expected)) got[name] = await status(name);
      // Wait for the probes to have reached the final pages too (servers start UP).
      const reached = (hits.get('/ok') ?? 0) > 0 && (hits.get('/down') ?? 0) > 0;
      if ((reached && JSON.stringify(got) === JSON.stringify(expected)) || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(got).toEqual(expected);
    // The first probe of /loop: the request and 10 redirects, then "stopped after 10 redirects".
    await until(() => (hits.get('/loop') ?? 0) >= 11, 'eleven requests of the looping probe');
    // A relative redirect keeps the check's hostname as :authority, as Go keeps a custom Host.
    expect(authorities.find(([p]) => p === '/ok')?.[1]).toBe('probe.test');
  });
});
