import type { ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Backend, startServer, until } from '../helpers/backends.ts';
import { get, startWharf, type TestWharf } from '../helpers/wharf.ts';

// rateLimit and inFlightReq through a running router: limits that hold across reloads, and in-flight
// counters released on every path (client abort, upstream error).

let backend: Backend;
let w: TestWharf;
const held = new Set<ServerResponse>();
let arrived: (() => void) | undefined;

const route = (host: string, middleware?: string) => ({
  rule: `Host(\`${host}\`)`,
  service: 'b',
  ...(middleware && { middlewares: [middleware] }),
});

const config = (extra: Record<string, unknown> = {}, burst = 2) => ({
  http: {
    routers: {
      limited: route('limited.test', 'rl'),
      twin: route('twin.test', 'rl'),
      inflight: route('inflight.test', 'fl'),
      ...extra,
    },
    middlewares: {
      // One request per hour after the burst: nothing refills during the test.
      rl: { rateLimit: { average: 1, period: '1h', burst } },
      fl: { inFlightReq: { amount: 4 } },
    },
    services: { b: { loadBalancer: { servers: [{ url: backend.url }] } } },
  },
});

beforeAll(async () => {
  backend = await startServer((req, res) => {
    if (req.url === '/hang') {
      held.add(res);
      res.on('close', () => held.delete(res));
      arrived?.();
      return;
    }
    if (req.url === '/err') {
      req.socket.destroy();
      return;
    }
    res.end('ok');
  });
  w = await startWharf(config());
});

afterAll(async () => {
  await w?.stop();
  await backend?.close();
});

describe('rateLimit through a running router', () => {
  it('keeps its buckets across a reload of an unrelated router, and per router', async () => {
    const status = async (host: string) => (await get(w.web, '/', host)).status;
    expect([await status('limited.test'), await status('limited.test')]).toEqual([200, 200]);
    const refused = await get(w.web, '/', 'limited.test');
    expect(refused.status).toBe(429);
    expect(refused.text).toBe('Too Many Requests');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(3000);
    // Traefik builds one limiter per router: the other router using rl has its own buckets.
    expect(await status('twin.test')).toBe(200);

    await w.reload(config({ extra: route('extra.test') }));
    expect(await status('extra.test')).toBe(200);
    expect(await status('limited.test')).toBe(429);

    // Changed options build a new limiter, with full buckets.
    await w.reload(config({ extra: route('extra.test') }, 3));
    expect(await status('limited.test')).toBe(200);
  });
});

/** Sends GET /hang on a raw connection; resolves true once the backend holds it, false on a 429. */
function hang(port: number): Promise<{ admitted: boolean; close: () => void }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const close = () => socket.destroy();
    const previous = arrived;
    arrived = () => {
      arrived = previous;
      resolve({ admitted: true, close });
    };
    socket.on('error', reject);
    socket.once('data', (chunk) => {
      arrived = previous;
      resolve({ admitted: !chunk.toString('latin1').startsWith('HTTP/1.1 429'), close });
    });
    socket.write('GET /hang HTTP/1.1\r\nHost: inflight.test\r\n\r\n');
  });
}

describe('inFlightReq through a running router', () => {
  it('releases every aborted request: after 2,000 aborts it admits amount again', async () => {
    const port = w.wharf.port('web');
    let aborted = 0;
    let attempts = 0;
    // One request at a time: each is admitted only if the previous abort released its count.
    while (aborted < 2000 && attempts < 20_000) {
      attempts++;
      const h = await hang(port);
      h.close();
      if (h.admitted) aborted++;
    }
    expect(aborted).toBe(2000);
    await until(() => held.size === 0, 'the backend to see every abort');
    // Upstream errors release too.
    for (let i = 0; i < 10; i++) expect((await get(w.web, '/err', 'inflight.test')).status).toBe(502);

    const four = await Promise.all([0, 1, 2, 3].map(() => hang(port)));
    expect(four.map((h) => h.admitted)).toEqual([true, true, true, true]);
    const fifth = await get(w.web, '/', 'inflight.test');
    expect([fifth.status, fifth.text]).toEqual([429, 'max connections reached: 4']);
    for (const h of four) h.close();
    await until(() => held.size === 0, 'the held requests to end');
    let status = 0;
    const deadline = Date.now() + 5000;
    while (status !== 200 && Date.now() < deadline) status = (await get(w.web, '/', 'inflight.test')).status;
    expect(status).toBe(200);
  });
});
