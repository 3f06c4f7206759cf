import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { connect } from 'node:net';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { WharfError } from '../../config/errors.ts';
import type { Handler } from '../../middleware/middleware.ts';
import {
  type Backend,
  encodeFrame,
  frameReader,
  startEchoServer,
  startProxy,
  startWebSocketEchoServer,
  until,
  type WsClient,
  wsConnect,
} from '../../test/helpers/backends.ts';
import { createForwarder } from './forward.ts';
import { switchingProtocolsHead } from './upgrade.ts';
import { UpstreamPools } from './upstream-pools.ts';

const pools = new UpstreamPools();
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
afterAll(() => pools.close());

async function proxyTo(backend: Backend | string, wrap: (next: Handler) => Handler = (h) => h) {
  const forwarder = createForwarder(
    { url: typeof backend === 'string' ? backend : backend.url },
    { passHostHeader: true, flushIntervalMs: 100 },
    pools,
  );
  const proxy = await startProxy(wrap(forwarder));
  cleanups.push(
    () => forwarder.close(),
    () => proxy.close(),
  );
  if (typeof backend !== 'string') cleanups.push(() => backend.close());
  return proxy;
}

function asClient(result: WsClient | { status: number }): WsClient {
  if (!('send' in result)) throw new Error(`expected 101, got ${result.status}`);
  return result;
}

describe('WebSocket and other Upgrade requests', () => {
  it('tunnels a WebSocket both ways and closes both sides together', async () => {
    const ws = await startWebSocketEchoServer();
    const proxy = await proxyTo(ws);
    const client = asClient(await wsConnect(`${proxy.url}/chat?room=1`));
    expect(client.headers['x-echo-path']).toBe('/chat?room=1');
    expect(client.headers['sec-websocket-accept']).toBeTypeOf('string');
    expect(client.headers.upgrade).toBe('websocket');
    for (const text of ['hello', 'x'.repeat(70_000), 'é ünïcode']) {
      client.send(text);
      expect(await client.next()).toBe(text);
    }
    client.close();
    await until(() => ws.connections.open === 0 && proxy.connections.open === 0, 'both sockets to close');
    expect(proxy.errors).toEqual([]);
  });

  it('forwards bytes the client sent together with its handshake', async () => {
    const ws = await startWebSocketEchoServer();
    const proxy = await proxyTo(ws);
    const socket = connect(Number(new URL(proxy.url).port), '127.0.0.1');
    await once(socket, 'connect');
    const key = randomBytes(16).toString('base64');
    const handshake =
      `GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
      `Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${key}\r\n\r\n`;
    socket.write(Buffer.concat([Buffer.from(handshake), encodeFrame(1, Buffer.from('early'), true)]));
    let head = '';
    const messages: string[] = [];
    const read = frameReader((_op, payload) => messages.push(payload.toString()));
    socket.on('data', (chunk: Buffer) => {
      if (!head.includes('\r\n\r\n')) {
        head += chunk.toString('latin1');
        const end = head.indexOf('\r\n\r\n');
        if (end !== -1) read(Buffer.from(head.slice(end + 4), 'latin1'));
      } else {
        read(chunk);
      }
    });
    await until(() => messages.length === 1, 'the early message to echo');
    expect(head.startsWith('HTTP/1.1 101 Switching Protocols\r\n')).toBe(true);
    expect(messages).toEqual(['early']);
    socket.destroy();
    await until(() => ws.connections.open === 0 && proxy.connections.open === 0, 'both sockets to close');
  });

  it('closes the client when the upstream closes', async () => {
    const ws = await startWebSocketEchoServer();
    const proxy = await proxyTo(ws);
    const client = asClient(await wsConnect(proxy.url));
    const closed = once(client.socket, 'close');
    await ws.close();
    await closed;
    await until(() => proxy.connections.open === 0, 'the proxy side to close');
  });

  it('relays a non-101 answer and closes the connection', async () => {
    const ws = await startWebSocketEchoServer();
    const proxy = await proxyTo(ws);
    expect(await wsConnect(`${proxy.url}/reject`)).toEqual({ status: 403, body: 'forbidden' });
    await until(() => proxy.connections.open === 0, 'the client connection to close');
  });

  it('relays a plain HTTP answer from a server that does not upgrade', async () => {
    const proxy = await proxyTo(await startEchoServer());
    const answer = await wsConnect(`${proxy.url}/plain`);
    expect(answer).toMatchObject({ status: 200 });
    expect(JSON.parse((answer as { body: string }).body)).toMatchObject({ url: '/plain' });
    await until(() => proxy.connections.open === 0, 'the client connection to close');
  });

  it('answers 502 on the upgrade socket when the server is down', async () => {
    const gone = await startEchoServer();
    await gone.close();
    const proxy = await proxyTo(gone.url);
    expect(await wsConnect(proxy.url)).toEqual({ status: 502, body: '502 Bad Gateway\n' });
    expect((proxy.errors[0] as WharfError).code).toBe('UPSTREAM_UNREACHABLE');
  });

  it('lets a middleware answer an Upgrade request itself', async () => {
    const ws = await startWebSocketEchoServer();
    const redirect = (): Handler => async (_req, res) => {
      res.writeHead(302, { location: 'https://elsewhere.test/' });
      res.end();
    };
    const proxy = await proxyTo(ws, redirect);
    expect(await wsConnect(proxy.url)).toEqual({ status: 302, body: '' });
    expect(ws.connections.total).toBe(0);
  });

  it('applies headers a middleware set on the response to the 101', async () => {
    const ws = await startWebSocketEchoServer();
    const proxy = await proxyTo(ws, (next) => async (req, res) => {
      res.setHeader('x-added', 'by-middleware');
      await next(req, res);
    });
    const client = asClient(await wsConnect(proxy.url));
    expect(client.headers['x-added']).toBe('by-middleware');
    client.close();
  });
});

describe('switchingProtocolsHead', () => {
  it('keeps the upstream casing, drops framing headers and adds middleware headers', () => {
    const head = switchingProtocolsHead(
      [
        'Upgrade',
        'websocket',
        'Connection',
        'Upgrade',
        'Keep-Alive',
        'timeout=5',
        'Sec-WebSocket-Accept',
        'abc',
      ],
      { 'x-added': '1', upgrade: 'ignored' },
    );
    expect(head).toBe(
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        'Sec-WebSocket-Accept: abc\r\nx-added: 1\r\n\r\n',
    );
  });
});
