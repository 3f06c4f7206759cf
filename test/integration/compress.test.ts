import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Backend, startServer, until } from '../helpers/backends.ts';
import { startWharf, type TestWharf } from '../helpers/wharf.ts';

// The compress middleware through a running router: bodies decompressed with zlib, the headers a client
// and a cache see, a streamed body whose first bytes arrive while the server still holds the rest back,
// and server-sent events that arrive event by event.

const html = `<!doctype html><html><body>${'<p>compressed through Wharf</p>'.repeat(500)}</body></html>`;

/** What the backend still owes: the streaming routes end when the test says so. */
const pending: ServerResponse[] = [];

function backendHandler(req: IncomingMessage, res: ServerResponse): void {
  if (req.url === '/stream') {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write('x'.repeat(4096));
    pending.push(res);
    return;
  }
  if (req.url === '/events') {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.write('data: first\n\n');
    pending.push(res);
    return;
  }
  res.writeHead(200, {
    'content-type': 'text/html',
    'content-length': String(Buffer.byteLength(html)),
    etag: '"abc"',
  });
  res.end(html);
}

interface Open {
  res: IncomingMessage;
  text: () => string;
  /** Bytes received on the wire (before decoding). */
  wireBytes: () => number;
}

/** Opens a GET and decompresses the body as it arrives (sync flushes make every flushed byte readable). */
function open(url: string, headers: Record<string, string>): Promise<Open> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers }, (res) => {
      const encoding = res.headers['content-encoding'];
      const out: Buffer[] = [];
      let wire = 0;
      res.on('data', (c: Buffer) => {
        wire += c.length;
      });
      const decoder =
        encoding === 'gzip'
          ? zlib.createGunzip()
          : encoding === 'br'
            ? zlib.createBrotliDecompress()
            : encoding === 'zstd'
              ? zlib.createZstdDecompress()
              : undefined;
      if (decoder) {
        decoder.on('data', (c: Buffer) => out.push(c));
        decoder.on('error', () => {});
        res.on('data', (c: Buffer) => decoder.write(c));
        res.on('end', () => decoder.end());
      } else res.on('data', (c: Buffer) => out.push(c));
      resolve({ res, text: () => Buffer.concat(out).toString(), wireBytes: () => wire });
    });
    req.on('error', reject);
    req.end();
  });
}

describe('compress middleware', () => {
  let backend: Backend;
  let w: TestWharf;
  beforeAll(async () => {
    backend = await startServer(backendHandler);
    w = await startWharf({
      http: {
        routers: {
          app: { rule: 'Host(`app.test`)', service: 'app', middlewares: ['zip'] },
          plain: { rule: 'Host(`plain.test`)', service: 'app' },
        },
        services: { app: { loadBalancer: { servers: [{ url: backend.url }] } } },
        middlewares: { zip: { compress: { encodings: ['zstd', 'br', 'gzip'] } } },
      },
    });
  });
  afterAll(async () => {
    for (const r of pending) r.destroy();
    await w?.stop();
    await backend?.close();
  });

  it.each([
    ['gzip', 'gzip'],
    ['br', 'br'],
    ['zstd', 'zstd'],
    ['gzip, br, zstd', 'zstd'],
    ['gzip;q=1, br;q=0.5, zstd;q=0.1', 'gzip'],
  ])('Accept-Encoding %s: %s, headers as a cache needs them', async (accept, encoding) => {
    const o = await open(`${w.web}/`, { host: 'app.test', 'accept-encoding': accept });
    await until(() => o.res.complete, 'the body');
    await until(() => o.text() === html, 'the decompressed body');
    expect({
      encoding: o.res.headers['content-encoding'],
      vary: o.res.headers.vary,
      etag: o.res.headers.etag,
    }).toEqual({ encoding, vary: 'Accept-Encoding', etag: 'W/"abc"' });
    // Compressed in one call (the body came in one turn): sent with its compressed length, not chunked.
    expect(o.res.headers['content-length']).toBe(String(o.wireBytes()));
    expect(o.res.headers['transfer-encoding']).toBeUndefined();
  });

  it('without the middleware the body is sent as it is', async () => {
    const o = await open(`${w.web}/`, { host: 'plain.test', 'accept-encoding': 'gzip' });
    await until(() => o.res.complete, 'the body');
    expect([o.res.headers['content-encoding'], o.res.headers['content-length'], o.text()]).toEqual([
      undefined,
      String(Buffer.byteLength(html)),
      html,
    ]);
  });

  it('streams: the first bytes arrive before the server ends the body', async () => {
    const before = pending.length;
    const o = await open(`${w.web}/stream`, { host: 'app.test', 'accept-encoding': 'gzip' });
    expect(o.res.headers['content-encoding']).toBe('gzip');
    await until(() => o.text() === 'x'.repeat(4096), 'the first 4096 bytes while the server holds the rest');
    const server = pending[before] as ServerResponse;
    server.end('y'.repeat(10));
    await until(() => o.res.complete && o.text() === `${'x'.repeat(4096)}${'y'.repeat(10)}`, 'the end');
  });

  it('server-sent events are compressed and arrive one by one', async () => {
    const before = pending.length;
    const o = await open(`${w.web}/events`, { host: 'app.test', 'accept-encoding': 'br' });
    expect(o.res.headers['content-encoding']).toBe('br');
    await until(() => o.text() === 'data: first\n\n', 'the first event');
    const server = pending[before] as ServerResponse;
    server.write('data: second\n\n');
    await until(() => o.text() === 'data: first\n\ndata: second\n\n', 'the second event');
    server.end();
    await until(() => o.res.complete, 'the end');
  });
});
