import { createServer } from 'node:net';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Backend, startServer } from '../helpers/backends.ts';
import { startWharf, type TestWharf } from '../helpers/wharf.ts';

// buffering's retryExpression through a running router: a backend answering 503 twice then 200 (counted
// per test key), the POST body replayed whole each time (also once it spilled to a temporary file), the
// replayed answers never reaching the client, and an unreachable server replayed on IsNetworkError().

let flaky: Backend;
let ok: Backend;
let w: TestWharf;
/** Per key (?k=...): the bodies the flaky backend received, in order. */
const received = new Map<string, string[]>();

async function closedPort(): Promise<string> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as { port: number };
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

beforeAll(async () => {
  // 503 to the first two requests of each key, then 200; each answer names its attempt.
  flaky = await startServer((req, res) => {
    const key = new URL(req.url ?? '/', 'http://x').searchParams.get('k') ?? '';
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const bodies = received.get(key) ?? [];
      bodies.push(Buffer.concat(parts).toString());
      received.set(key, bodies);
      const n = bodies.length;
      const status = n <= 2 ? 503 : 200;
      res.writeHead(status, { 'x-attempt': String(n), 'set-cookie': `try=${n}` });
      res.end(`attempt ${n}`);
    });
  });
  ok = await startServer((_req, res) => res.end('ok'));
  const closed = await closedPort();
  const route = (host: string, middleware: string, service: string) => ({
    rule: `Host(\`${host}\`)`,
    service,
    middlewares: [middleware],
  });
  w = await startWharf({
    http: {
      routers: {
        replay: route('replay.test', 'replay', 'flaky'),
        once: route('once.test', 'once', 'flaky'),
        network: route('network.test', 'network', 'lb'),
      },
      middlewares: {
        // A small memory threshold: bodies over 16 bytes are replayed from a temporary file.
        replay: {
          buffering: { memRequestBodyBytes: 16, retryExpression: 'ResponseCode() == 503 && Attempts() <= 3' },
        },
        once: { buffering: { retryExpression: 'ResponseCode() == 503 && Attempts() < 2' } },
        network: { buffering: { retryExpression: 'IsNetworkError() && Attempts() <= 2' } },
      },
      services: {
        flaky: { loadBalancer: { servers: [{ url: flaky.url }] } },
        lb: { loadBalancer: { servers: [{ url: closed }, { url: ok.url }] } },
      },
    },
  });
});

afterAll(async () => {
  await w?.stop();
  await Promise.all([flaky?.close(), ok?.close()]);
});

async function post(host: string, path: string, body: string) {
  const res = await request(`${w.web}${path}`, { method: 'POST', headers: { host }, body });
  return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
}

describe('buffering retryExpression through the router', () => {
  it.each([
    ['in memory', 'short body'],
    ['from a temporary file', 'a body longer than sixteen bytes, so it spills'],
  ])('replays a POST on 503 until the 200, the body %s each time', async (_where, body) => {
    const key = `replay-${body.length}`;
    const r = await post('replay.test', `/?k=${key}`, body);
    expect(r.status).toBe(200);
    expect(r.text).toBe('attempt 3');
    // Only the answering attempt's head reaches the client.
    expect(r.headers['x-attempt']).toBe('3');
    expect(r.headers['set-cookie']).toBe('try=3');
    expect(received.get(key)).toEqual([body, body, body]);
  });

  it('sends the last response once the expression no longer holds', async () => {
    const r = await post('once.test', '/?k=once', 'x');
    expect(r.status).toBe(503);
    expect(r.text).toBe('attempt 2');
    expect(received.get('once')).toEqual(['x', 'x']);
  });

  it('replays on an unreachable server (IsNetworkError): the live server answers', async () => {
    for (let i = 0; i < 3; i++) {
      const r = await post('network.test', '/', 'data');
      expect(r.status).toBe(200);
      expect(r.text).toBe('ok');
    }
  });
});
