import { existsSync, readFileSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Backend, type Echo, startEchoServer, until } from '../helpers/backends.ts';
import { type CertFactory, certFactory } from '../helpers/certs.ts';
import { get, startWharf, type TestWharf } from '../helpers/wharf.ts';

// Traefik's entryPoint options of issue 18 through a running router on loopback: proxyProtocol (v1, v2,
// trusted, untrusted, over TLS), keepAliveMaxRequests/keepAliveMaxTime, maxHeaderBytes,
// encodeQuerySemicolons, forwardedHeaders.connection and notAppendXForwardedFor, reusePort.

let echo: Backend;
let w: TestWharf;
let certs: CertFactory;
let logFile: string;

const ep = (extra: Record<string, unknown> = {}) => ({ address: '127.0.0.1:0', ...extra });

beforeAll(async () => {
  echo = await startEchoServer();
  certs = certFactory();
  const cert = certs.make('pp', ['pp.test']);
  w = await startWharf(
    {
      http: {
        routers: {
          echo: { rule: 'PathPrefix(`/`)', service: 'echo' },
          urgent: { rule: 'Host(`urgent.test`)', service: 'echo', priority: 200, entryPoints: ['redir'] },
          allowed: {
            rule: 'Host(`allowed.test`)',
            service: 'echo',
            middlewares: ['doc-net'],
          },
          secure: { rule: 'Host(`pp.test`)', service: 'echo', middlewares: ['doc-net'], tls: {} },
          connection: {
            rule: 'Host(`conn.test`) && Header(`X-Foo`, `bar`)',
            service: 'echo',
            entryPoints: ['connection', 'web'],
            middlewares: ['mark'],
          },
        },
        middlewares: {
          mark: { headers: { customResponseHeaders: { 'X-Router': 'connection' } } },
          'doc-net': { ipAllowList: { sourceRange: ['203.0.113.0/24', '2001:db8::/32'] } },
        },
        services: { echo: { loadBalancer: { servers: [{ url: echo.url }] } } },
      },
      tls: { certificates: [{ certFile: cert.certFile, keyFile: cert.keyFile }] },
    },
    {
      entryPoints: {
        web: ep(),
        wharf: ep(),
        proxied: ep({ proxyProtocol: { trustedIPs: ['127.0.0.1/32', '::1/128'] } }),
        insecure: ep({ proxyProtocol: { insecure: true } }),
        untrusted: ep({ proxyProtocol: { trustedIPs: ['10.0.0.0/8'] } }),
        limits: ep({ transport: { keepAliveMaxRequests: 2 } }),
        aged: ep({ transport: { keepAliveMaxTime: '20ms' } }),
        small: ep({ http: { maxHeaderBytes: 2048 } }),
        redir: ep({
          http: { redirections: { entryPoint: { to: ':443', scheme: 'https', priority: 100 } } },
        }),
        underscoreDelete: ep({ http: { underscoreHeadersStrategy: 'delete' } }),
        underscoreReject: ep({ http: { underscoreHeadersStrategy: 'reject' } }),
        semicolons: ep({ http: { encodeQuerySemicolons: true } }),
        connection: ep({ forwardedHeaders: { connection: ['X-Foo'] } }),
        noxff: ep({ forwardedHeaders: { notAppendXForwardedFor: true, trustedIPs: ['127.0.0.1/32'] } }),
      },
      accessLog: { filePath: join(certs.dir, 'access.log'), format: 'json' },
    },
  );
  logFile = join(certs.dir, 'access.log');
});

afterAll(async () => {
  await w?.stop();
  await echo?.close();
  certs?.remove();
});

const port = (name: string) => w.wharf.port(name);

/** Writes `bytes` on a new connection and reads until the server closes it or `done` says enough. */
async function exchange(
  name: string,
  bytes: Buffer | string,
  done: (text: string) => boolean = () => false,
): Promise<{ text: string; closed: boolean }> {
  const socket = connect(port(name), '127.0.0.1');
  socket.write(bytes);
  return collect(socket, done);
}

function collect(
  socket: Socket,
  done: (text: string) => boolean,
): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve, reject) => {
    let text = '';
    socket.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      if (done(text)) {
        socket.destroy();
        resolve({ text, closed: false });
      }
    });
    socket.on('close', () => resolve({ text, closed: true }));
    socket.on('error', reject);
  });
}

/** The echo body of a complete HTTP/1.1 response text. */
function echoOf(text: string): Echo {
  return JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)) as Echo;
}
const complete = (text: string) => {
  const m = /content-length: (\d+)/i.exec(text);
  const end = text.indexOf('\r\n\r\n');
  return m !== null && end !== -1 && text.length >= end + 4 + Number(m[1]);
};

const request = (host: string, extra = '') =>
  `GET /pp HTTP/1.1\r\nHost: ${host}\r\nUser-Agent: ${host}${extra}\r\nConnection: close\r\n\r\n`;

function v2Header(src: number[], srcPort: number): Buffer {
  const body = Buffer.from([...src, 127, 0, 0, 1, srcPort >> 8, srcPort & 0xff, 0, 80]);
  const sig = Buffer.from('0d0a0d0a000d0a515549540a', 'hex');
  return Buffer.concat([sig, Buffer.from([0x21, 0x11, 0, body.length]), body]);
}

describe('proxyProtocol', () => {
  it('v1 from a trusted peer: the client is the header’s source, for ipAllowList and X-Forwarded-For', async () => {
    const { text } = await exchange(
      'proxied',
      `PROXY TCP4 203.0.113.9 127.0.0.1 40000 80\r\n${request('allowed.test')}`,
    );
    expect(text).toMatch(/^HTTP\/1\.1 200/);
    const e = echoOf(text);
    expect(e.headers['x-forwarded-for']).toBe('203.0.113.9');
    expect(e.headers['x-real-ip']).toBe('203.0.113.9');
  });

  it('v2 (binary) from a trusted peer, and the access log shows the client address', async () => {
    const { text } = await exchange(
      'proxied',
      Buffer.concat([v2Header([203, 0, 113, 77], 50123), Buffer.from(request('allowed.test', '-v2'))]),
    );
    expect(text).toMatch(/^HTTP\/1\.1 200/);
    expect(echoOf(text).headers['x-forwarded-for']).toBe('203.0.113.77');
    let line: Record<string, unknown> | undefined;
    await until(() => {
      const lines = existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n').filter(Boolean) : [];
      line = lines
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .find((o) => o.RequestHost === 'allowed.test' && o.ClientAddr === '203.0.113.77:50123');
      return line !== undefined;
    }, 'the access log line of the v2 request');
    expect(line?.ClientHost).toBe('203.0.113.77');
  });

  it('without a header the connection is served as usual (the header is optional)', async () => {
    const { text } = await exchange('proxied', request('allowed.test'));
    // The peer is 127.0.0.1, outside the allow list.
    expect(text).toMatch(/^HTTP\/1\.1 403/);
  });

  it('insecure trusts every peer', async () => {
    const { text } = await exchange(
      'insecure',
      `PROXY TCP6 2001:db8::5 ::1 40000 80\r\n${request('allowed.test')}`,
    );
    expect(text).toMatch(/^HTTP\/1\.1 200/);
    expect(echoOf(text).headers['x-forwarded-for']).toBe('2001:db8::5');
  });

  it('a header from an untrusted peer is read and ignored', async () => {
    const { text } = await exchange(
      'untrusted',
      `PROXY TCP4 203.0.113.9 127.0.0.1 40000 80\r\n${request('other.test')}`,
    );
    expect(text).toMatch(/^HTTP\/1\.1 200/);
    expect(echoOf(text).headers['x-forwarded-for']).toBe('127.0.0.1');
  });

  it('a malformed header ends the connection without an answer', async () => {
    const { text, closed } = await exchange('proxied', `PROXY TCP4 nonsense\r\n${request('x.test')}`);
    expect(closed).toBe(true);
    expect(text).toBe('');
  });

  it('works before a TLS handshake', async () => {
    const raw = connect(port('proxied'), '127.0.0.1');
    await new Promise<void>((resolve) => raw.once('connect', () => resolve()));
    raw.write('PROXY TCP4 203.0.113.10 127.0.0.1 40000 443\r\n');
    const tls = tlsConnect({ socket: raw, servername: 'pp.test', rejectUnauthorized: false });
    tls.write(request('pp.test'));
    const { text } = await collect(tls as unknown as Socket, complete);
    expect(text).toMatch(/^HTTP\/1\.1 200/);
    expect(echoOf(text).headers['x-forwarded-for']).toBe('203.0.113.10');
  });
});

describe('transport keep-alive limits', () => {
  const keepAlive = 'GET / HTTP/1.1\r\nHost: k.test\r\n\r\n';

  it('keepAliveMaxRequests: the 2nd response says Connection: close and the connection ends', async () => {
    const socket = connect(port('limits'), '127.0.0.1');
    socket.write(keepAlive);
    const first = await collect(socket, complete);
    expect(first.text).toMatch(/^HTTP\/1\.1 200/);
    expect(first.text.toLowerCase()).toContain('connection: keep-alive');
    const again = connect(port('limits'), '127.0.0.1');
    again.write(keepAlive + keepAlive);
    const both = await collect(again, () => false);
    expect(both.closed).toBe(true);
    expect(both.text.match(/HTTP\/1\.1 200/g)).toHaveLength(2);
    expect(both.text.toLowerCase().split('http/1.1 200')[2]).toContain('connection: close');
  });

  it('keepAliveMaxTime: the first request after the limit gets Connection: close', async () => {
    const socket = connect(port('aged'), '127.0.0.1');
    let text = '';
    socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.write(keepAlive);
    await until(() => complete(text), 'the first response');
    expect(text.toLowerCase()).toContain('connection: keep-alive');
    const start = Date.now();
    await until(() => Date.now() - start > 40, 'the connection to age past keepAliveMaxTime');
    text = '';
    socket.write(keepAlive);
    await closed;
    expect(text.toLowerCase()).toContain('connection: close');
  });
});

describe('http options', () => {
  it('maxHeaderBytes defaults to 1 MiB as in Traefik (Node alone refuses more than 16 KiB)', async () => {
    // ping@internal answers itself: the servers behind (Node, 16 KiB) are not asked.
    const res = await get(w.api, '/ping', 'big.test', { 'x-big': 'a'.repeat(100_000) });
    expect(res.status).toBe(200);
  });

  it('maxHeaderBytes: larger headers are answered 431', async () => {
    const base = `http://127.0.0.1:${port('small')}`;
    expect((await get(base, '/', 'small.test', { 'x-big': 'a'.repeat(1000) })).status).toBe(200);
    expect((await get(base, '/', 'small.test', { 'x-big': 'a'.repeat(4000) })).status).toBe(431);
  });

  it('underscoreHeadersStrategy: keep (default), delete, reject', async () => {
    const headers = { x_user: 'admin', 'x-ok': '1' };
    const kept = JSON.parse((await get(w.web, '/', 'u.test', headers)).text) as Echo;
    expect(kept.headers.x_user).toBe('admin');
    const del = await get(`http://127.0.0.1:${port('underscoreDelete')}`, '/', 'u.test', headers);
    const deleted = JSON.parse(del.text) as Echo;
    expect(deleted.headers.x_user).toBeUndefined();
    expect(deleted.headers['x-ok']).toBe('1');
    const rej = await get(`http://127.0.0.1:${port('underscoreReject')}`, '/', 'u.test', headers);
    expect(rej.status).toBe(400);
    const fine = await get(`http://127.0.0.1:${port('underscoreReject')}`, '/', 'u.test', { 'x-ok': '1' });
    expect(fine.status).toBe(200);
  });

  it('encodeQuerySemicolons: false forwards ; as &, true as %3B (Traefik’s examples)', async () => {
    const plain = await get(w.web, '/q?foo=bar;baz=bar', 'q.test');
    expect((JSON.parse(plain.text) as Echo).url).toBe('/q?foo=bar&baz=bar');
    const encoded = await get(`http://127.0.0.1:${port('semicolons')}`, '/q?foo=bar;baz=bar', 'q.test');
    expect((JSON.parse(encoded.text) as Echo).url).toBe('/q?foo=bar%3Bbaz=bar');
  });
});

describe('http.redirections.entryPoint.priority', () => {
  it('a router of higher priority is served; the others are redirected', async () => {
    const base = `http://127.0.0.1:${port('redir')}`;
    expect((await get(base, '/', 'urgent.test')).status).toBe(200);
    const other = await get(base, '/x', 'other.test');
    expect(other.status).toBe(301);
    expect(other.headers.location).toBe('https://other.test/x');
  });
});

describe('forwardedHeaders', () => {
  it('connection: a header named in Connection still reaches the routers, not the server', async () => {
    const raw = (name: string) =>
      exchange(
        name,
        'GET / HTTP/1.1\r\nHost: conn.test\r\nX-Foo: bar\r\nConnection: X-Foo\r\n\r\n',
        complete,
      );
    const kept = await raw('connection');
    expect(kept.text.toLowerCase()).toContain('x-router: connection');
    expect(echoOf(kept.text).headers['x-foo']).toBeUndefined();
    // Without the option the header is removed before routing: the rule does not match, the catch-all does.
    const dropped = await raw('web');
    expect(dropped.text.toLowerCase()).not.toContain('x-router');
  });

  it('notAppendXForwardedFor: X-Forwarded-For goes out as received, or not at all', async () => {
    const base = `http://127.0.0.1:${port('noxff')}`;
    const none = JSON.parse((await get(base, '/', 'x.test')).text) as Echo;
    expect(none.headers['x-forwarded-for']).toBeUndefined();
    const kept = await get(base, '/', 'x.test', { 'x-forwarded-for': '198.51.100.1' });
    expect((JSON.parse(kept.text) as Echo).headers['x-forwarded-for']).toBe('198.51.100.1');
    const appended = await get(w.web, '/', 'x.test');
    expect((JSON.parse(appended.text) as Echo).headers['x-forwarded-for']).toBe('127.0.0.1');
  });
});

describe('reusePort', () => {
  const listenOn = (p: number) =>
    new Promise<string>((resolve) => {
      const s = createServer();
      s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
      s.listen({ host: '127.0.0.1', port: p, reusePort: true }, () => s.close(() => resolve('listening')));
    });

  it('lets another process listen on the same port', async () => {
    const shared = await startWharf(
      { http: {} },
      { entryPoints: { web: ep({ reusePort: true }), wharf: ep() } },
    );
    try {
      expect(await listenOn(shared.wharf.port('web'))).toBe('listening');
      // Without it the port is Wharf's alone.
      expect(await listenOn(shared.wharf.port('wharf'))).toBe('EADDRINUSE');
    } finally {
      await shared.stop();
    }
  });
});
