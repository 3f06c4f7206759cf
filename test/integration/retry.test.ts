import { readFile } from 'node:fs/promises';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Backend, startServer } from '../helpers/backends.ts';
import { get, startWharf, type TestWharf } from '../helpers/wharf.ts';

// retry through a running router: a load balancer with a closed port and a live server answers every
// request (the retry goes to the other server), with RetryAttempts in the access log; a 500 and a
// connection reset after the response head are not retried, as in Traefik.

let closedUrl: string;
let ok: Backend;
let failing: Backend;
let resetting: Backend;
const hits = { ok: 0, failing: 0, resetting: 0 };
const bodies: string[] = [];
let w: TestWharf;
let accessLogPath: string;

async function closedPort(): Promise<string> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as { port: number };
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

beforeAll(async () => {
  accessLogPath = join(process.env.TMPDIR ?? '/tmp', `wharf-retry-${process.pid}-${Date.now()}.log`);
  closedUrl = await closedPort();
  ok = await startServer((req, res) => {
    hits.ok++;
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      bodies.push(body);
      res.end('ok');
    });
  });
  failing = await startServer((_req, res) => {
    hits.failing++;
    res.writeHead(500).end('boom');
  });
  resetting = await startServer((req, res) => {
    hits.resetting++;
    res.writeHead(200, { 'content-length': '100' });
    res.write('partial', () => (req.socket as Socket).resetAndDestroy());
  });
  const servers = (...urls: string[]) => ({ loadBalancer: { servers: urls.map((url) => ({ url })) } });
  const router = (host: string, service: string) => ({
    rule: `Host(\`${host}\`)`,
    service,
    middlewares: ['retry'],
  });
  w = await startWharf(
    {
      http: {
        routers: {
          lb: router('lb.test', 'lb'),
          err: router('err.test', 'err'),
          reset: router('reset.test', 'reset'),
        },
        middlewares: { retry: { retry: { attempts: 3 } } },
        services: {
          lb: servers(closedUrl, ok.url),
          err: servers(failing.url),
          reset: servers(resetting.url),
        },
      },
    },
    { accessLog: { filePath: accessLogPath, format: 'json' } },
  );
});

afterAll(async () => {
  await w?.stop();
  await Promise.all([ok?.close(), failing?.close(), resetting?.close()]);
});

/** The access log's JSON lines for `host`, once there are `count` of them. */
async function logLines(host: string, count: number): Promise<Array<Record<string, unknown>>> {
  let lines: Array<Record<string, unknown>> = [];
  await expect
    .poll(
      async () => {
        const text = await readFile(accessLogPath, 'utf8').catch(() => '');
        lines = text
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as Record<string, unknown>)
          .filter((l) => l.RequestHost === host);
        return lines.length;
      },
      { timeout: 5000 },
    )
    .toBeGreaterThanOrEqual(count);
  return lines;
}

describe('retry through the router', () => {
  it('answers every request from the live server when the other one refuses connections', async () => {
    for (let i = 0; i < 4; i++) {
      const r = await get(w.web, '/', 'lb.test');
      expect(r.status).toBe(200);
      expect(r.text).toBe('ok');
    }
    expect(hits.ok).toBe(4);
    const lines = await logLines('lb.test', 4);
    // Round robin over two servers, and each retry is a pick too: every request goes to the closed port
    // first, then is retried once on the other server (2 attempts, RetryAttempts 1 as in Traefik).
    expect(lines.map((l) => l.RetryAttempts)).toEqual([1, 1, 1, 1]);
    for (const l of lines) expect(l.ServiceURL).toBe(ok.url);
  });

  it('retries a POST whose body was not sent yet, and the live server gets the whole body', async () => {
    bodies.length = 0;
    for (let i = 0; i < 2; i++) {
      const res = await request(`${w.web}/`, {
        method: 'POST',
        headers: { host: 'lb.test' },
        body: 'payload',
      });
      expect(res.statusCode).toBe(200);
      await res.body.text();
    }
    expect(bodies).toEqual(['payload', 'payload']);
  });

  it('does not retry a 500', async () => {
    const before = hits.failing;
    const r = await get(w.web, '/', 'err.test');
    expect(r.status).toBe(500);
    expect(hits.failing - before).toBe(1);
    const [line] = await logLines('err.test', 1);
    expect(line?.RetryAttempts).toBe(0);
  });

  it('does not retry a connection reset after the response head was sent', async () => {
    const before = hits.resetting;
    const res = await request(`${w.web}/`, { headers: { host: 'reset.test' } });
    expect(res.statusCode).toBe(200);
    await expect(res.body.text()).rejects.toThrow();
    expect(hits.resetting - before).toBe(1);
  });
});
