import { connect as http2Connect } from 'node:http2';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Backend, startServer } from '../helpers/backends.ts';
import { startWharf, type TestWharf } from '../helpers/wharf.ts';

// Requests that tried to get past a router (a deny router on /admin, a Host deny router) or that Node's
// parser lets through oddly framed, sent as raw bytes; a recording backend shows what got through.

interface Received {
  url: string;
  host: string | undefined;
  body: string;
}

let recorder: Backend;
/** The deny routers' service: answers 403 (what an authentication or allow-list middleware would). */
let guard: Backend;
const received: Received[] = [];
let w: TestWharf;
let strict: TestWharf;

beforeAll(async () => {
  recorder = await startServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      received.push({ url: req.url ?? '', host: req.headers.host, body });
      res.end('recorded');
    });
  });
  guard = await startServer((_req, res) => {
    res.statusCode = 403;
    res.end('denied');
  });
  const dynamic = {
    http: {
      routers: {
        deny: { rule: 'PathPrefix(`/admin`)', service: 'guard' },
        secret: { rule: 'Host(`secret.test`)', service: 'guard' },
        api: { rule: 'PathPrefix(`/api`)', service: 'recorder', middlewares: ['strip'] },
        all: { rule: 'PathPrefix(`/`)', priority: 1, service: 'recorder' },
      },
      middlewares: { strip: { stripPrefix: { prefixes: ['/api'] } } },
      services: {
        recorder: { loadBalancer: { servers: [{ url: recorder.url }] } },
        guard: { loadBalancer: { servers: [{ url: guard.url }] } },
      },
    },
  };
  w = await startWharf(dynamic);
  strict = await startWharf(dynamic, {
    entryPoints: {
      web: {
        address: '127.0.0.1:0',
        http: {
          sanitizePath: false,
          encodedCharacters: { allowEncodedSlash: false, allowEncodedHash: false },
        },
      },
      wharf: { address: '127.0.0.1:0' },
    },
  });
});

afterAll(async () => {
  await w?.stop();
  await strict?.stop();
  await recorder?.close();
  await guard?.close();
});

/**
 * Sends raw bytes and collects the answer until the server closes, or `deadlineMs` passes (then the
 * answer so far, with `timedOut`): a server that waits for more instead of answering shows as a time-out.
 */
function raw(base: string, data: string, deadlineMs = 3000): Promise<{ text: string; timedOut: boolean }> {
  const port = Number(new URL(base).port);
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ text, timedOut: true });
    }, deadlineMs);
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ text, timedOut: false });
    });
    socket.write(data);
  });
}

const statusOf = (text: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
const get = (path: string, host = 'a.test', extra = '') =>
  `GET ${path} HTTP/1.1\r\nHost: ${host}\r\n${extra}Connection: close\r\n\r\n`;

/** Sends one request and returns its status and what the recorder received for it. */
async function send(base: string, data: string): Promise<{ status: number; got: Received[] }> {
  const before = received.length;
  const { text, timedOut } = await raw(base, data);
  expect(timedOut, `an answer to ${JSON.stringify(data)}`).toBe(false);
  return { status: statusOf(text), got: received.slice(before) };
}

describe('path sanitizing: dot segments, duplicate slashes and encoded dots never get past the /admin router', () => {
  it.each([
    ['/./admin/x'],
    ['//admin/x'],
    ['/foo/../admin/x'],
    ['/%2e/admin/x'],
    ['/%2E%2E/admin/x'],
    ['/%61dmin/x'],
    ['/api/../admin/x'],
  ])('%s is denied (403) and never reaches the backend', async (path) => {
    const { status, got } = await send(w.web, get(path));
    expect(status).toBe(403);
    expect(got).toEqual([]);
  });

  it('/api/x/../admin/x is /api/admin/x: the backend gets what was routed, never /admin/x', async () => {
    const { status, got } = await send(w.web, get('/api/x/../admin/x'));
    expect(status).toBe(200);
    expect(got.map((r) => r.url)).toEqual(['/admin/x']); // /api/admin/x behind stripPrefix(/api)
    const plain = await send(w.web, get('/other/x/../../admin/x'));
    expect(plain.status).toBe(403);
  });

  it('forwards the cleaned path and keeps the query byte for byte', async () => {
    const { status, got } = await send(w.web, get('/a//b/./c/../d?x=/../y//z'));
    expect(status).toBe(200);
    expect(got.map((r) => r.url)).toEqual(['/a/b/d?x=/../y//z']);
  });

  it.each([
    ['a fragment in the path', '/a#b'],
    ['a malformed escape', '/a%zz'],
  ])('answers 400 to %s', async (_what, path) => {
    const { status, got } = await send(w.web, get(path));
    expect(status).toBe(400);
    expect(got).toEqual([]);
  });

  it('with sanitizePath false, forwards the path as sent (escapes normalized)', async () => {
    const { status, got } = await send(strict.web, get('/x/./%2e/y'));
    expect(status).toBe(200);
    expect(got.map((r) => r.url)).toEqual(['/x/././y']);
  });

  it('encodedCharacters: a denied escape is 400, an allowed one passes', async () => {
    expect((await send(strict.web, get('/files/a%2fb'))).status).toBe(400);
    expect((await send(strict.web, get('/files/a%23b'))).status).toBe(400);
    const allowed = await send(strict.web, get('/files/a%3Bb'));
    expect(allowed.status).toBe(200);
    expect(allowed.got.map((r) => r.url)).toEqual(['/files/a%3Bb']);
    // The default (Traefik >= v3.6.7) allows them all.
    expect((await send(w.web, get('/files/a%2fb'))).got.map((r) => r.url)).toEqual(['/files/a%2Fb']);
  });
});

describe('Connection header options', () => {
  it('Connection: close, host does not remove Host: the Host deny router still applies', async () => {
    const { status, got } = await send(w.web, get('/', 'secret.test', 'Connection: host\r\n'));
    expect(status).toBe(403);
    expect(got).toEqual([]);
    const other = await send(w.web, 'GET / HTTP/1.1\r\nHost: keep.test\r\nConnection: close, host\r\n\r\n');
    expect(other.got.map((r) => r.host)).toEqual(['keep.test']);
  });

  it.each([
    ['content-length', 'Content-Length: 5\r\n', 'hello'],
    ['transfer-encoding', 'Transfer-Encoding: chunked\r\n', '5\r\nhello\r\n0\r\n\r\n'],
  ])('Connection: %s never loses the request body', async (token, framing, body) => {
    const data = `POST /upload HTTP/1.1\r\nHost: a.test\r\n${framing}Connection: close, ${token}\r\n\r\n${body}`;
    const { status, got } = await send(w.web, data);
    expect(status).toBe(200);
    expect(got.map((r) => r.body)).toEqual(['hello']);
  });
});

describe('request framing', () => {
  it('several Host headers: 400', async () => {
    const { status, got } = await send(w.web, 'GET / HTTP/1.1\r\nHost: a.test\r\nHost: secret.test\r\n\r\n');
    expect(status).toBe(400);
    expect(got).toEqual([]);
  });

  it('a Content-Length above 2^53-1: 400 at once', async () => {
    const data = 'POST / HTTP/1.1\r\nHost: a.test\r\nContent-Length: 9007199254740993\r\n\r\nabc';
    const { status, got } = await send(w.web, data);
    expect(status).toBe(400);
    expect(got).toEqual([]);
  });

  it.each([
    ['an HTTP/0.9 request line alone', 'GET /\r\n'],
    ['an HTTP/0.9 request with a blank line', 'GET /\r\n\r\n'],
  ])('%s: 400 at once, not a wait for the header timeout', async (_what, data) => {
    const { status } = await send(w.web, data);
    expect(status).toBe(400);
  });

  it('an HTTP/0.9 request line sent in two pieces: 400 once it ends', async () => {
    const socket = connect(Number(new URL(w.web).port), '127.0.0.1');
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (c: string) => (text += c));
    const closed = new Promise((r) => socket.once('close', r));
    await new Promise((r) => socket.once('connect', r));
    await new Promise((r) => socket.write('GET /adm', r));
    socket.write('in/x\r\n');
    await closed;
    expect(statusOf(text)).toBe(400);
  });

  it('CONNECT: 501 Not Implemented (as Traefik), not a silent close', async () => {
    const { text, timedOut } = await raw(w.web, 'CONNECT a.test:443 HTTP/1.1\r\nHost: a.test:443\r\n\r\n');
    expect(timedOut).toBe(false);
    expect(statusOf(text)).toBe(501);
  });

  it("CONNECT over HTTP/2 (h2c): 501 too, not Node's 405", async () => {
    const client = http2Connect(w.web);
    try {
      const stream = client.request({ ':method': 'CONNECT', ':authority': 'a.test:443' });
      const [headers] = (await new Promise((resolve, reject) => {
        stream.once('response', (h) => resolve([h]));
        stream.once('error', reject);
      })) as [Record<string, unknown>];
      expect(headers[':status']).toBe(501);
      stream.destroy();
    } finally {
      client.close();
    }
  });

  it('a well-formed keep-alive exchange still works after the first-line check', async () => {
    const data =
      'GET /one HTTP/1.1\r\nHost: a.test\r\n\r\nGET /two HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n';
    const before = received.length;
    const { text } = await raw(w.web, data);
    expect(text.match(/HTTP\/1\.1 200/g)).toHaveLength(2);
    expect(received.slice(before).map((r) => r.url)).toEqual(['/one', '/two']);
  });
});
