import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { Readable } from 'node:stream';
import { Agent, request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { WharfError } from '../../config/errors.ts';
import { compileIpMatcher } from '../../core/net/ip-matcher.ts';
import {
  type Backend,
  type Echo,
  startEchoServer,
  startProxy,
  startResetServer,
  startServer,
  startSlowServer,
  startStreamingServer,
  until,
} from '../../test/helpers/backends.ts';
import { createForwarder, type ForwardOptions, upstreamError } from './forward.ts';
import type { ForwardedHeadersPolicy } from './forwarded-headers.ts';
import { statusOf } from './render-error.ts';
import { UpstreamPools } from './upstream-pools.ts';

const defaults: ForwardOptions = { passHostHeader: true, flushIntervalMs: 100 };
const cleanups: Array<() => unknown> = [];
const client = new Agent({ keepAliveTimeout: 1000 });
let pools: UpstreamPools;

beforeAll(() => {
  pools = new UpstreamPools();
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
afterAll(async () => {
  await pools.close();
  await client.close();
});

/** Starts a backend and a proxy forwarding to it; both are closed after the test. */
async function proxyTo(
  backend: Backend | string,
  options: Partial<ForwardOptions> & {
    preservePath?: boolean;
    path?: string;
    policy?: ForwardedHeadersPolicy;
  } = {},
) {
  const base = typeof backend === 'string' ? backend : backend.url;
  const forwarder = createForwarder(
    { url: base + (options.path ?? ''), preservePath: options.preservePath ?? false },
    { ...defaults, ...options },
    pools,
  );
  const proxy = await startProxy(forwarder, options.policy);
  cleanups.push(
    () => forwarder.close(),
    () => proxy.close(),
  );
  if (typeof backend !== 'string') cleanups.push(() => backend.close());
  return { proxy, forwarder };
}

async function getJson(url: string, init: Parameters<typeof request>[1] = {}): Promise<Echo> {
  const res = await request(url, { dispatcher: client, ...init });
  expect(res.statusCode).toBe(200);
  return (await res.body.json()) as Echo;
}

describe('createForwarder', () => {
  it('forwards method, path, query, headers and sets X-Forwarded-*', async () => {
    const { proxy } = await proxyTo(await startEchoServer());
    const echo = await getJson(`${proxy.url}/a/b?c=1&d=%20`, {
      headers: { host: 'app.test:8443', 'x-custom': 'yes', 'x-forwarded-for': '6.6.6.6' },
    });
    expect(echo.method).toBe('GET');
    expect(echo.url).toBe('/a/b?c=1&d=%20');
    expect(echo.headers).toMatchObject({
      host: 'app.test:8443',
      'x-custom': 'yes',
      'x-forwarded-for': '127.0.0.1',
      'x-real-ip': '127.0.0.1',
      'x-forwarded-proto': 'http',
      'x-forwarded-host': 'app.test:8443',
      'x-forwarded-port': '8443',
    });
  });

  it('keeps client X-Forwarded-* only from trusted peers', async () => {
    const sent = {
      'x-forwarded-for': '1.2.3.4',
      'x-real-ip': '9.9.9.9',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'outer.test',
      'x-forwarded-port': '443',
      x_forwarded_for: '5.5.5.5',
    };
    const trusted = await proxyTo(await startEchoServer(), {
      policy: { trusted: compileIpMatcher(['127.0.0.1']) },
    });
    expect((await getJson(trusted.proxy.url, { headers: sent })).headers).toMatchObject({
      'x-forwarded-for': '1.2.3.4, 127.0.0.1',
      'x-real-ip': '9.9.9.9',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'outer.test',
      'x-forwarded-port': '443',
    });
    const untrusted = await proxyTo(await startEchoServer(), {
      policy: { trusted: compileIpMatcher(['10.0.0.0/8']) },
    });
    const headers = (await getJson(untrusted.proxy.url, { headers: { ...sent, host: 'inner.test' } }))
      .headers;
    expect(headers).toMatchObject({
      'x-forwarded-for': '127.0.0.1',
      'x-real-ip': '127.0.0.1',
      'x-forwarded-proto': 'http',
      'x-forwarded-host': 'inner.test',
      'x-forwarded-port': '80',
    });
    expect(headers.x_forwarded_for).toBeUndefined();
  });

  it('sends the client Host with passHostHeader, the server host without', async () => {
    const echo = await startEchoServer();
    const on = await proxyTo(echo, { passHostHeader: true });
    const off = await proxyTo(echo.url, { passHostHeader: false });
    expect((await getJson(on.proxy.url, { headers: { host: 'client.test' } })).headers.host).toBe(
      'client.test',
    );
    expect((await getJson(off.proxy.url, { headers: { host: 'client.test' } })).headers.host).toBe(
      new URL(echo.url).host,
    );
  });

  it('prefixes the server URL path only with preservePath', async () => {
    const echo = await startEchoServer();
    const kept = await proxyTo(echo, { path: '/base/', preservePath: true });
    const dropped = await proxyTo(echo.url, { path: '/base/', preservePath: false });
    expect((await getJson(`${kept.proxy.url}/x/y?q=1`)).url).toBe('/base/x/y?q=1');
    expect((await getJson(`${dropped.proxy.url}/x/y?q=1`)).url).toBe('/x/y?q=1');
  });

  it('removes hop-by-hop headers and those named in Connection, both ways', async () => {
    const upstream = await startServer((req, res) => {
      res.setHeader('connection', 'x-upstream-hop');
      res.setHeader('x-upstream-hop', '1');
      res.setHeader('keep-alive', 'timeout=99');
      res.setHeader('x-upstream-kept', '1');
      res.end(JSON.stringify(req.headers));
    });
    const { proxy } = await proxyTo(upstream);
    const res = await new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
      httpRequest(`${proxy.url}/`, {
        agent: false,
        headers: {
          connection: 'keep-alive, X-Custom, X-Forwarded-For, X-Real-Ip',
          'keep-alive': 'timeout=5',
          'x-custom': 'secret',
          'x-other': 'kept',
          'proxy-authorization': 'Basic eDp5',
          te: 'trailers',
        },
      })
        .on('response', resolve)
        .on('error', reject)
        .end();
    });
    let body = '';
    for await (const chunk of res) body += chunk;
    const seen = JSON.parse(body) as Record<string, string>;
    expect(seen['x-other']).toBe('kept');
    expect(seen['x-forwarded-for']).toBe('127.0.0.1');
    expect(seen['x-real-ip']).toBe('127.0.0.1');
    for (const h of ['x-custom', 'keep-alive', 'proxy-authorization', 'te']) expect(seen[h]).toBeUndefined();
    expect(res.headers['x-upstream-kept']).toBe('1');
    expect(res.headers['x-upstream-hop']).toBeUndefined();
    expect(res.headers['keep-alive']).not.toBe('timeout=99'); // Node's own keep-alive answer may be there
  });

  it('keeps multiple Set-Cookie headers apart', async () => {
    const { proxy } = await proxyTo(await startEchoServer());
    const res = await request(`${proxy.url}/?cookies=3`, { dispatcher: client });
    await res.body.dump();
    expect(res.headers['set-cookie']).toEqual(['c0=v0; Path=/', 'c1=v1; Path=/', 'c2=v2; Path=/']);
  });

  it('answers HEAD with the upstream headers and no body', async () => {
    const { proxy } = await proxyTo(await startEchoServer());
    const res = await request(proxy.url, { method: 'HEAD', dispatcher: client });
    expect(res.statusCode).toBe(200);
    expect(Number(res.headers['content-length'])).toBeGreaterThan(0);
    expect((await res.body.arrayBuffer()).byteLength).toBe(0);
  });

  it('streams a 20 MB upload and a 20 MB download intact', async () => {
    const streaming = await startStreamingServer();
    const { proxy } = await proxyTo(streaming);
    const upload = randomBytes(20 * 1024 * 1024);
    const chunks = Readable.from(
      (function* () {
        for (let i = 0; i < upload.length; i += 1 << 20) yield upload.subarray(i, i + (1 << 20));
      })(),
    );
    const up = await request(`${proxy.url}/sha`, { method: 'POST', body: chunks, dispatcher: client });
    expect(await up.body.json()).toEqual({
      bytes: upload.length,
      sha256: createHash('sha256').update(upload).digest('hex'),
    });
    const n = 20 * 1024 * 1024 + 17;
    const down = await request(`${proxy.url}/bytes?n=${n}`, { dispatcher: client });
    const hash = createHash('sha256');
    let got = 0;
    for await (const chunk of down.body) {
      hash.update(chunk as Buffer);
      got += (chunk as Buffer).length;
    }
    expect(got).toBe(n);
    expect(hash.digest('hex')).toBe(streaming.expectedSha256(n));
  });

  it('relays 100-continue uploads', async () => {
    const { proxy } = await proxyTo(await startEchoServer());
    const body = await new Promise<string>((resolve, reject) => {
      const req = httpRequest(`${proxy.url}/`, {
        method: 'PUT',
        agent: false,
        headers: { expect: '100-continue', 'content-length': 5 },
      });
      req.on('continue', () => req.end('hello'));
      req.on('response', (res) => {
        let text = '';
        res.on('data', (c) => (text += c)).on('end', () => resolve(text));
      });
      req.on('error', reject);
    });
    expect(JSON.parse(body)).toMatchObject({ method: 'PUT', body: 'hello' });
  });

  it('applies backpressure: a client that does not read stalls the upstream', async () => {
    const streaming = await startStreamingServer();
    const { proxy } = await proxyTo(streaming);
    const total = 256 * 1024 * 1024;
    const socket = connect(Number(new URL(proxy.url).port), '127.0.0.1');
    await once(socket, 'connect');
    socket.pause();
    socket.write(`GET /bytes?n=${total} HTTP/1.1\r\nHost: x\r\n\r\n`);
    await until(() => streaming.stats.blocked, 'the upstream to wait for drain');
    // Everything in flight is socket buffers on three hops; a proxy buffering the body would let it all out.
    expect(streaming.stats.bytesWritten).toBeLessThan(64 * 1024 * 1024);
    socket.destroy();
    await until(() => streaming.stats.closedEarly === 1, 'the upstream response to be aborted');
  });

  it('aborts the upstream request when the client goes away', async () => {
    const slow = await startSlowServer();
    const { proxy } = await proxyTo(slow);
    const abort = new AbortController();
    const pending = request(`${proxy.url}/wait`, { dispatcher: client, signal: abort.signal });
    await until(() => slow.received === 1, 'the upstream to receive the request');
    abort.abort();
    await expect(pending).rejects.toThrow();
    await until(() => slow.aborted === 1, 'the upstream to see the request closed');
    await until(() => proxy.errors.length === 1, 'the handler to settle');
    expect((proxy.errors[0] as WharfError).code).toBe('CLIENT_CLOSED');
  });

  it('answers 502 when the server refuses the connection', async () => {
    const gone = await startEchoServer();
    await gone.close();
    const { proxy } = await proxyTo(gone.url);
    const res = await request(proxy.url, { dispatcher: client });
    expect(res.statusCode).toBe(502);
    expect(await res.body.text()).toBe('502 Bad Gateway\n');
    expect((proxy.errors[0] as WharfError).code).toBe('UPSTREAM_UNREACHABLE');
    expect((proxy.errors[0] as WharfError).message).toContain('ECONNREFUSED');
  });

  it('answers 502 when the server resets the connection', async () => {
    const { proxy } = await proxyTo(await startResetServer());
    const res = await request(proxy.url, { dispatcher: client });
    expect(res.statusCode).toBe(502);
    await res.body.dump();
    expect((proxy.errors[0] as WharfError).code).toBe('UPSTREAM_UNREACHABLE');
  });

  it('answers 504 when the response headers take too long', async () => {
    const slow = await startSlowServer();
    const { proxy } = await proxyTo(slow, { headersTimeoutMs: 200 });
    const res = await request(`${proxy.url}/?delay=5000`, { dispatcher: client });
    expect(res.statusCode).toBe(504);
    expect(await res.body.text()).toBe('504 Gateway Timeout\n');
    expect((proxy.errors[0] as WharfError).code).toBe('UPSTREAM_TIMEOUT');
    await until(() => slow.aborted === 1, 'the upstream request to be dropped');
  });

  it('breaks the client response when the body stalls after the headers', async () => {
    const upstream = await startServer((_req, res) => {
      res.writeHead(200, { 'content-length': 100 });
      res.write('partial');
    });
    const { proxy } = await proxyTo(upstream, { bodyTimeoutMs: 200 });
    const res = await request(proxy.url, { dispatcher: client });
    expect(res.statusCode).toBe(200);
    await expect(res.body.text()).rejects.toThrow();
    expect(proxy.errors).toEqual([]);
  });

  it('reuses upstream connections', async () => {
    const echo = await startEchoServer();
    const { proxy } = await proxyTo(echo);
    for (let i = 0; i < 30; i++) await getJson(`${proxy.url}/${i}`);
    expect(echo.connections.total).toBe(1);
    for (let round = 0; round < 3; round++) {
      await Promise.all(Array.from({ length: 10 }, (_, i) => getJson(`${proxy.url}/${round}/${i}`)));
    }
    expect(echo.connections.total).toBeLessThanOrEqual(10);
  });

  it('drops a request the client left while it waited for a pooled connection', async () => {
    const slow = await startSlowServer();
    const one = new UpstreamPools({ connections: 1 });
    const forwarder = createForwarder({ url: slow.url }, defaults, one);
    const proxy = await startProxy(forwarder);
    cleanups.push(
      () => one.close(),
      () => forwarder.close(),
      () => proxy.close(),
      () => slow.close(),
    );
    const first = request(`${proxy.url}/?hold`, { dispatcher: client });
    await until(() => slow.received === 1, 'the first request to arrive');
    const abort = new AbortController();
    const queued = request(`${proxy.url}/queued`, { dispatcher: client, signal: abort.signal });
    const pool = one.acquire(slow.url);
    await until(() => pool.stats.queued === 1, 'the second request to queue in the pool');
    abort.abort();
    await expect(queued).rejects.toThrow();
    await until(() => proxy.errors.length === 1, 'the queued request to settle');
    expect((proxy.errors[0] as WharfError).code).toBe('CLIENT_CLOSED');
    slow.release();
    expect(await (await first).body.text()).toBe('slow');
    const third = await request(`${proxy.url}/?delay=0`, { dispatcher: client });
    expect(await third.body.text()).toBe('slow');
    expect(slow.received).toBe(2);
  });

  it('releases its pool on close, closing idle connections', async () => {
    const echo = await startEchoServer();
    const own = new UpstreamPools();
    const forwarder = createForwarder({ url: echo.url }, defaults, own);
    const proxy = await startProxy(forwarder);
    cleanups.push(
      () => proxy.close(),
      () => echo.close(),
    );
    await getJson(proxy.url);
    expect(own.size).toBe(1);
    expect(echo.connections.open).toBe(1);
    forwarder.close();
    forwarder.close();
    expect(own.size).toBe(0);
    await until(() => echo.connections.open === 0, 'the pooled connection to close');
  });
});

describe('upstreamError', () => {
  it.each([
    [{ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:1' }, 'UPSTREAM_UNREACHABLE', 502],
    [{ code: 'UND_ERR_SOCKET', message: 'other side closed' }, 'UPSTREAM_UNREACHABLE', 502],
    [{ code: 'ENOTFOUND', message: 'getaddrinfo ENOTFOUND nowhere.test' }, 'UPSTREAM_UNREACHABLE', 502],
    [{ code: 'UND_ERR_HEADERS_TIMEOUT', message: 'Headers Timeout Error' }, 'UPSTREAM_TIMEOUT', 504],
    [{ code: 'UND_ERR_CONNECT_TIMEOUT', message: 'Connect Timeout Error' }, 'UPSTREAM_TIMEOUT', 504],
    [{ code: 'UND_ERR_BODY_TIMEOUT', message: 'Body Timeout Error' }, 'UPSTREAM_TIMEOUT', 504],
    [{ code: 'UND_ERR_INVALID_ARG', message: 'invalid upgrade header' }, 'INTERNAL', 500],
    [new Error('odd'), 'UPSTREAM_UNREACHABLE', 502],
  ])('maps %j to %s', (err, code, status) => {
    const mapped = upstreamError(err, 'http://s:1');
    expect(mapped.code).toBe(code);
    expect(statusOf(mapped)).toBe(status);
    expect(mapped.cause).toBe(err);
  });

  it('names the server and the problem', () => {
    expect(
      upstreamError({ code: 'UND_ERR_SOCKET', message: 'other side closed' }, 'http://s:1').message,
    ).toBe('upstream http://s:1 unreachable: other side closed (UND_ERR_SOCKET)');
  });
});
