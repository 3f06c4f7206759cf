import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { until } from '../../test/helpers/backends.ts';
import { startWharf, type TestWharf } from '../../test/helpers/wharf.ts';
import { createEventsHandler, type EventSources } from './events.ts';

/** An event stream over a real loopback server, with reloads and shutdown driven by the test. */
async function streamServer(options: Partial<EventSources> = {}) {
  const listeners = new Set<() => void>();
  const state = { generation: 1, stopping: false };
  const handler = createEventsHandler({
    onReload: (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    generation: () => state.generation,
    shuttingDown: () => state.stopping,
    stopCheckMs: 10,
    ...options,
  });
  const server: Server = createServer((req, res) => {
    if (!handler(req, res)) {
      res.statusCode = 418;
      res.end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const reload = (generation: number) => {
    state.generation = generation;
    for (const l of listeners) l();
  };
  return { url, server, state, listeners, reload };
}

/** Opens the stream and collects what arrives, as text. */
async function open(url: string) {
  const res = await request(url);
  const seen = { text: '', ended: false };
  res.body.setEncoding('utf8');
  res.body.on('data', (chunk: string) => {
    seen.text += chunk;
  });
  res.body.on('end', () => {
    seen.ended = true;
  });
  res.body.on('error', () => {
    seen.ended = true;
  });
  return { res, seen };
}

describe('/api/wharf/events', () => {
  let close: (() => void) | undefined;
  afterEach(() => close?.());

  it('sends the generation at once and after each reload, and ends when Wharf stops', async () => {
    const s = await streamServer();
    close = () => s.server.close();
    const { res, seen } = await open(`${s.url}/api/wharf/events`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-cache');
    await until(() => seen.text.includes('"generation":1'), 'the first event');
    expect(seen.text).toBe('retry: 2000\n\nevent: generation\ndata: {"generation":1}\n\n');
    s.reload(7);
    await until(() => seen.text.includes('"generation":7'), 'the event after a reload');
    s.state.stopping = true;
    await until(() => seen.ended, 'the stream to end once Wharf stops');
    await until(() => s.listeners.size === 0, 'the reload listener to be removed');
  });

  it('sends keep-alive comments on an idle stream', async () => {
    const s = await streamServer({ heartbeatMs: 20 });
    close = () => s.server.close();
    const { res, seen } = await open(`${s.url}/api/wharf/events`);
    await until(() => seen.text.includes(': keep-alive\n\n'), 'a keep-alive comment');
    res.body.destroy();
  });

  it('refuses streams over the limit and writes, and declines other paths', async () => {
    const s = await streamServer({ maxStreams: 1 });
    close = () => s.server.close();
    const first = await open(`${s.url}/api/wharf/events`);
    const second = await request(`${s.url}/api/wharf/events`);
    expect(second.statusCode).toBe(503);
    expect(await second.body.json()).toEqual({ message: 'too many event streams are open (1)' });
    first.res.body.destroy();
    await until(() => s.listeners.size === 0, 'the first stream to close');
    const third = await open(`${s.url}/api/wharf/events?x=1`);
    expect(third.res.statusCode).toBe(200);
    third.res.body.destroy();
    const post = await request(`${s.url}/api/wharf/events`, { method: 'POST' });
    expect(post.statusCode).toBe(405);
    await post.body.text();
    const other = await request(`${s.url}/api/wharf/eventsx`);
    expect(other.statusCode).toBe(418);
    await other.body.text();
  });
});

describe('dashboard on the internal entryPoint', () => {
  let w: TestWharf | undefined;
  afterEach(async () => {
    await w?.stop();
    w = undefined;
  });

  it('follows reloads, and a stop does not wait for an open stream', async () => {
    w = await startWharf(
      { http: { routers: {} } },
      {
        // A stop that waited for the stream would take the whole grace period, past the test's timeout.
        entryPoints: {
          web: { address: '127.0.0.1:0' },
          wharf: { address: '127.0.0.1:0', transport: { lifeCycle: { graceTimeOut: '120s' } } },
        },
      },
    );
    const page = await request(`${w.api}/dashboard/`);
    expect(page.statusCode).toBe(200);
    await page.body.text();
    const { seen } = await open(`${w.api}/api/wharf/events`);
    const generation = w.wharf.tableRef.current().id;
    await until(() => seen.text.includes(`"generation":${generation}`), 'the first event');
    await w.reload({
      http: { services: { s: { loadBalancer: { servers: [{ url: 'http://127.0.0.1:9' }] } } } },
    });
    await until(() => seen.text.includes(`"generation":${generation + 1}`), 'the event after a reload');
    await w.stop();
    w = undefined;
    await until(() => seen.ended, 'the stream to end');
  });

  it('api.dashboard=false serves no page, but the API and its event stream', async () => {
    w = await startWharf({ http: { routers: {} } }, { api: { insecure: true, dashboard: false } });
    const page = await request(`${w.api}/dashboard/`);
    expect(page.statusCode).toBe(404);
    await page.body.text();
    const { res } = await open(`${w.api}/api/wharf/events`);
    expect(res.statusCode).toBe(200);
    res.body.destroy();
    expect((await w.getJson('/api/overview')).status).toBe(200);
  });
});
