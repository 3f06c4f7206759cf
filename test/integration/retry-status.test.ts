import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Backend, startServer } from '../helpers/backends.ts';
import { startWharf, type TestWharf } from '../helpers/wharf.ts';

// retry's `status` through a running router: a backend answering 503 twice then 200 (counted per test
// key), with RetryAttempts in the access log; the retried answers' heads and bodies never reach the client;
// POST bodies replayed whole (with retryNonIdempotentMethod) or not retried (without it); a body above
// maxRequestBodyBytes forwarded once and not retried; the last attempt's 503 as the answer; and
// disableRetryOnNetworkError.

let flaky: Backend;
let ok: Backend;
let w: TestWharf;
let accessLogPath: string;
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
  accessLogPath = join(process.env.TMPDIR ?? '/tmp', `wharf-retry-status-${process.pid}-${Date.now()}.log`);
  flaky = await startServer((req, res) => {
    const key = new URL(req.url ?? '/', 'http://x').searchParams.get('k') ?? '';
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const bodies = received.get(key) ?? [];
      bodies.push(Buffer.concat(parts).toString());
      received.set(key, bodies);
      const n = bodies.length;
      res.writeHead(n <= 2 ? 503 : 200, { 'x-attempt': String(n), 'set-cookie': `try=${n}` });
      // A body large enough to take several writes: a retried one is read to its end and dropped.
      res.end(n <= 2 ? `unavailable ${n} ${'.'.repeat(100_000)}` : `attempt ${n}`);
    });
  });
  ok = await startServer((_req, res) => res.end('ok'));
  const closed = await closedPort();
  const route = (host: string, middleware: string, service = 'flaky') => ({
    rule: `Host(\`${host}\`)`,
    service,
    middlewares: [middleware],
  });
  w = await startWharf(
    {
      http: {
        routers: {
          status: route('status.test', 'status'),
          post: route('post.test', 'post'),
          small: route('small.test', 'small'),
          last: route('last.test', 'last'),
          nonet: route('nonet.test', 'nonet', 'lb'),
        },
        middlewares: {
          status: { retry: { attempts: 4, status: ['500-599'] } },
          post: { retry: { attempts: 4, status: ['503'], retryNonIdempotentMethod: true } },
          small: { retry: { attempts: 4, status: ['503'], maxRequestBodyBytes: 8 } },
          last: { retry: { attempts: 2, status: ['503'] } },
          nonet: { retry: { attempts: 3, status: ['503'], disableRetryOnNetworkError: true } },
        },
        services: {
          flaky: { loadBalancer: { servers: [{ url: flaky.url }] } },
          lb: { loadBalancer: { servers: [{ url: closed }, { url: ok.url }] } },
        },
      },
    },
    { accessLog: { filePath: accessLogPath, format: 'json' } },
  );
});

afterAll(async () => {
  await w?.stop();
  await Promise.all([flaky?.close(), ok?.close()]);
});

async function send(host: string, path: string, method = 'GET', body?: string) {
  const res = await request(`${w.web}${path}`, { method: method as 'GET', headers: { host }, body });
  return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
}

/** The access log's JSON line for `path`, once it is there. */
async function logLine(path: string): Promise<Record<string, unknown>> {
  let line: Record<string, unknown> | undefined;
  await expect
    .poll(
      async () => {
        const text = await readFile(accessLogPath, 'utf8').catch(() => '');
        line = text
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as Record<string, unknown>)
          .find((l) => l.RequestPath === path);
        return line !== undefined;
      },
      { timeout: 5000 },
    )
    .toBe(true);
  return line as Record<string, unknown>;
}

describe('retry on status through the router', () => {
  it('503 twice then 200: the client gets the 200 with its own head only; RetryAttempts 2', async () => {
    const r = await send('status.test', '/?k=get');
    expect(r.status).toBe(200);
    expect(r.text).toBe('attempt 3');
    expect(r.headers['x-attempt']).toBe('3');
    expect(r.headers['set-cookie']).toBe('try=3');
    expect(received.get('get')?.length).toBe(3);
    expect((await logLine('/?k=get')).RetryAttempts).toBe(2);
  });

  it('a POST is not retried on status without retryNonIdempotentMethod', async () => {
    const r = await send('status.test', '/?k=post-no', 'POST', 'payload');
    expect(r.status).toBe(503);
    expect(received.get('post-no')).toEqual(['payload']);
  });

  it('a POST body is replayed intact with retryNonIdempotentMethod', async () => {
    const body = `payload ${'x'.repeat(50_000)}`;
    const r = await send('post.test', '/?k=post', 'POST', body);
    expect(r.status).toBe(200);
    expect(received.get('post')).toEqual([body, body, body]);
  });

  it('a body above maxRequestBodyBytes is forwarded whole once and not retried on status', async () => {
    const r = await send('small.test', '/?k=big', 'PUT', 'twenty bytes of body');
    expect(r.status).toBe(503);
    expect(received.get('big')).toEqual(['twenty bytes of body']);
    const s = await send('small.test', '/?k=fits', 'PUT', 'eight by');
    expect(s.status).toBe(200);
    expect(received.get('fits')).toEqual(['eight by', 'eight by', 'eight by']);
  });

  it("the last attempt's response is the answer", async () => {
    const r = await send('last.test', '/?k=last');
    expect(r.status).toBe(503);
    expect(r.headers['x-attempt']).toBe('2');
    expect(r.text.startsWith('unavailable 2 ')).toBe(true);
    expect((await logLine('/?k=last')).RetryAttempts).toBe(1);
  });

  it('with disableRetryOnNetworkError a refused connection is the answer (502 not in status)', async () => {
    // Round robin: the first request goes to the closed port, the second to the live server.
    const first = await send('nonet.test', '/nonet-1');
    const second = await send('nonet.test', '/nonet-2');
    expect([first.status, second.status]).toEqual([502, 200]);
    expect((await logLine('/nonet-1')).RetryAttempts).toBe(0);
  });
});
