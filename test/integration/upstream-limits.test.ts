import type { IncomingMessage } from 'node:http';
import { Agent, request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../config/diagnostics.ts';
import { type Backend, startServer, until } from '../helpers/backends.ts';
import { get, startWharf, type TestWharf } from '../helpers/wharf.ts';

// Security issue items: requests that hang on a server must not block the other requests to it (no
// per-server connection cap, as in Go), and serversTransport forwardingTimeouts bound the waits.

interface HangingBackend extends Backend {
  /** /hang requests received, and those whose connection went away (Wharf gave up on them). */
  readonly hung: { received: number; dropped: number };
}

/** /hang never answers; anything else answers 200 "ok" at once. */
async function startHangingBackend(): Promise<HangingBackend> {
  const hung = { received: 0, dropped: 0 };
  const backend = await startServer((req: IncomingMessage, res) => {
    if (req.url === '/hang') {
      hung.received++;
      res.on('close', () => hung.dropped++);
      return;
    }
    res.end('ok');
  });
  return Object.assign(backend, { hung });
}

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('requests hanging on a server', () => {
  let backend: HangingBackend;
  let w: TestWharf;
  const client = new Agent({ keepAliveTimeout: 1000 });
  beforeAll(async () => {
    backend = await startHangingBackend();
    w = await startWharf({
      http: {
        routers: { app: { rule: 'Host(`app.test`)', service: 'app' } },
        services: {
          app: { loadBalancer: { servers: [{ url: backend.url }], serversTransport: 'patient' } },
        },
        serversTransports: { patient: { forwardingTimeouts: { responseHeaderTimeout: '5s' } } },
      },
    });
  });
  afterAll(async () => {
    await w.stop();
    await backend.close();
    await client.close();
  });

  it('do not block a healthy request to the same server; they end with 504 at responseHeaderTimeout', async () => {
    const answered: number[] = [];
    const hanging = Array.from({ length: 300 }, () =>
      request(`${w.web}/hang`, { dispatcher: client, headers: { host: 'app.test' } }).then(async (res) => {
        answered.push(res.statusCode);
        await res.body.dump();
        return res.statusCode;
      }),
    );
    // All 300 are at the server at once (a per-server cap of 256 kept 44 of them waiting in Wharf)...
    await until(() => backend.hung.received === 300, '300 hanging requests at the server', 20_000);
    // ...and a healthy request is answered while they still hang.
    const ok = await request(`${w.web}/ok`, { dispatcher: client, headers: { host: 'app.test' } });
    expect(ok.statusCode).toBe(200);
    expect(await ok.body.text()).toBe('ok');
    expect(answered).toEqual([]);
    expect(backend.hung.dropped).toBe(0);
    // The hung ones get the transport's timeout: 504, and Wharf drops them at the server.
    expect(await Promise.all(hanging)).toEqual(Array.from({ length: 300 }, () => 504));
    await until(() => backend.hung.dropped === 300, 'the server to see the requests dropped');
  }, 60_000);
});

describe('serversTransport', () => {
  it('the static one applies to services that name none; a missing named one disables its service', async () => {
    const backend = await startHangingBackend();
    const w = await startWharf(
      {
        http: {
          routers: {
            app: { rule: 'Host(`app.test`)', service: 'app' },
            lost: { rule: 'Host(`lost.test`)', service: 'lost' },
          },
          services: {
            app: { loadBalancer: { servers: [{ url: backend.url }] } },
            lost: { loadBalancer: { servers: [{ url: backend.url }], serversTransport: 'nowhere' } },
          },
        },
      },
      { serversTransport: { forwardingTimeouts: { responseHeaderTimeout: '200ms' } } },
    );
    cleanups.push(
      () => w.stop(),
      () => backend.close(),
    );
    expect((await get(w.web, '/ok', 'app.test')).status).toBe(200);
    expect((await get(w.web, '/hang', 'app.test')).status).toBe(504);
    expect((await get(w.web, '/ok', 'lost.test')).status).toBe(404);
    const { body } = await w.getJson<{ status: string; error: string[] }>('/api/http/services/lost@file');
    expect(body.status).toBe('disabled');
    expect(body.error).toEqual([
      'service "lost@file": loadBalancer.serversTransport names "nowhere@file", which does not exist',
    ]);
    const diags = (await w.getJson<Diagnostic[]>('/api/diagnostics')).body;
    expect(diags.find((d) => d.subject === 'lost@file')?.code).toBe('SERVICE_REFERENCE_MISSING');

    // Defining the transport (from another provider's view: qualified) brings the service back.
    await w.reload({
      http: {
        routers: { lost: { rule: 'Host(`lost.test`)', service: 'lost' } },
        services: {
          lost: { loadBalancer: { servers: [{ url: backend.url }], serversTransport: 'nowhere@file' } },
        },
        serversTransports: { nowhere: { forwardingTimeouts: { responseHeaderTimeout: '100ms' } } },
      },
    });
    expect((await get(w.web, '/ok', 'lost.test')).status).toBe(200);
    expect((await get(w.web, '/hang', 'lost.test')).status).toBe(504);
  });
});
