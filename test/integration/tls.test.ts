import { randomBytes } from 'node:crypto';
import { connect as h2connect } from 'node:http2';
import { Agent, request as httpsRequest } from 'node:https';
import { type PeerCertificate, type SecureVersion, type TLSSocket, connect as tlsConnect } from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Backend, type Echo, startEchoServer, startWebSocketEchoServer } from '../helpers/backends.ts';
import { type CertFactory, certFactory, type TestCert } from '../helpers/certs.ts';
import { get, startWharf, type TestWharf } from '../helpers/wharf.ts';

let certs: CertFactory;
let echo: Backend;
let ws: Backend;
let exact: TestCert;
let wildcard: TestCert;
let fallback: TestCert;

beforeAll(async () => {
  certs = certFactory();
  exact = certs.make('exact', ['a.tls.test']);
  wildcard = certs.make('wildcard', ['*.w.tls.test']);
  fallback = certs.make('fallback', ['fallback.tls.test']);
  echo = await startEchoServer();
  ws = await startWebSocketEchoServer();
});
afterAll(async () => {
  await echo?.close();
  await ws?.close();
  certs?.remove();
});

let w: TestWharf | undefined;
afterEach(async () => {
  await w?.stop();
  w = undefined;
});

const lb = (url: string) => ({ loadBalancer: { servers: [{ url }] } });
const port = (name = 'web') => (w as TestWharf).wharf.port(name);

/** The peer certificate and protocol a TLS client gets for `servername` (no SNI when undefined). */
function handshake(
  servername: string | undefined,
  opts: { minVersion?: SecureVersion; maxVersion?: SecureVersion; p?: number } = {},
): Promise<{ cert: PeerCertificate; protocol: string | null } | { error: string }> {
  return new Promise((resolve) => {
    const socket = tlsConnect({
      host: '127.0.0.1',
      port: opts.p ?? port(),
      ...(servername ? { servername } : {}),
      rejectUnauthorized: false,
      ...(opts.minVersion ? { minVersion: opts.minVersion } : {}),
      ...(opts.maxVersion ? { maxVersion: opts.maxVersion } : {}),
    });
    socket.once('secureConnect', () => {
      resolve({ cert: socket.getPeerCertificate(), protocol: socket.getProtocol() });
      socket.end();
    });
    socket.once('error', (err) => resolve({ error: err.message }));
  });
}
const cnOf = (r: Awaited<ReturnType<typeof handshake>>) => ('cert' in r ? r.cert.subject.CN : r.error);

/** One HTTPS/1.1 request; SNI and Host are `host` unless `servername` says otherwise. */
function httpsGet(
  host: string,
  path: string,
  opts: { agent?: Agent; servername?: string; method?: string; body?: string; p?: number } = {},
): Promise<{
  status: number;
  headers: Record<string, unknown>;
  text: string;
  reused: boolean;
  cert: string;
}> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: '127.0.0.1',
        port: opts.p ?? port(),
        path,
        method: opts.method ?? 'GET',
        servername: opts.servername ?? host,
        headers: { host },
        rejectUnauthorized: false,
        ...(opts.agent ? { agent: opts.agent } : { agent: false }),
      },
      (res) => {
        let text = '';
        // Read now: a keep-alive socket goes back to the agent's pool once the body ends.
        const cert = String((res.socket as TLSSocket).getPeerCertificate().subject?.CN ?? '');
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => {
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text,
            reused: req.reusedSocket,
            cert,
          });
        });
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** Requests over HTTP/2 (ALPN h2, or prior knowledge on plain `http:`); returns status, body, ALPN. */
async function h2Get(
  origin: string,
  path: string,
  opts: { servername?: string; authority?: string; method?: string; body?: string } = {},
): Promise<{ status: number; text: string; alpn: string | false | undefined }> {
  const session = h2connect(origin, {
    rejectUnauthorized: false,
    ...(opts.servername ? { servername: opts.servername } : {}),
  });
  try {
    await new Promise<void>((resolve, reject) => {
      session.once('connect', () => resolve());
      session.once('error', reject);
    });
    const stream = session.request({
      ':path': path,
      ':method': opts.method ?? 'GET',
      ...(opts.authority ? { ':authority': opts.authority } : {}),
    });
    if (opts.body !== undefined) {
      // Two DATA frames and no content-length: a body of unknown length.
      stream.write(opts.body.slice(0, 3));
      stream.end(opts.body.slice(3));
    } else stream.end();
    const status = await new Promise<number>((resolve, reject) => {
      stream.once('response', (h) => resolve(Number(h[':status'])));
      stream.once('error', reject);
    });
    let text = '';
    stream.setEncoding('utf8');
    for await (const chunk of stream) text += chunk;
    return { status, text, alpn: session.alpnProtocol };
  } finally {
    session.close();
  }
}

describe('certificates by server name', () => {
  it('serves the exact certificate, then a one-label wildcard, then the default certificate', async () => {
    w = await startWharf({
      http: {
        routers: { r: { rule: 'Host(`a.tls.test`)', service: 's', tls: {} } },
        services: { s: lb(echo.url) },
      },
      tls: {
        certificates: [exact, wildcard],
        stores: {
          default: { defaultCertificate: { certFile: fallback.certFile, keyFile: fallback.keyFile } },
        },
      },
    });
    expect(cnOf(await handshake('a.tls.test'))).toBe('a.tls.test');
    expect(cnOf(await handshake('x.w.tls.test'))).toBe('*.w.tls.test');
    expect(cnOf(await handshake('y.x.w.tls.test'))).toBe('fallback.tls.test');
    expect(cnOf(await handshake('w.tls.test'))).toBe('fallback.tls.test');
    expect(cnOf(await handshake(undefined))).toBe('fallback.tls.test');
  });

  it('generates a self-signed default certificate when none is configured, and picks one by local IP without SNI', async () => {
    const ipCert = certs.make('ip', ['127.0.0.1']);
    w = await startWharf({
      http: {
        routers: { r: { rule: 'Host(`a.tls.test`)', service: 's', tls: {} } },
        services: { s: lb(echo.url) },
      },
      tls: { certificates: [exact] },
    });
    const r = await handshake('unknown.tls.test');
    expect(cnOf(r)).toBe('WHARF DEFAULT CERT');
    expect('cert' in r && r.cert.subjectaltname).toMatch(/^DNS:[0-9a-f]{32}\.[0-9a-f]{32}\.wharf\.default$/);
    expect(cnOf(await handshake(undefined))).toBe('WHARF DEFAULT CERT');
    await w.reload({
      http: {
        routers: { r: { rule: 'Host(`a.tls.test`)', service: 's', tls: {} } },
        services: { s: lb(echo.url) },
      },
      tls: { certificates: [exact, ipCert] },
    });
    expect(cnOf(await handshake(undefined))).toBe('127.0.0.1');
  });
});

describe('one entryPoint, plain and TLS routers', () => {
  it('serves a router with tls only over TLS and one without only on plain HTTP', async () => {
    w = await startWharf({
      http: {
        routers: {
          secure: { rule: 'Host(`a.tls.test`)', service: 's', tls: {} },
          plain: { rule: 'Host(`p.tls.test`)', service: 's' },
        },
        services: { s: lb(echo.url) },
      },
      tls: { certificates: [exact] },
    });
    const overTls = await httpsGet('a.tls.test', '/x');
    expect(overTls.status).toBe(200);
    const seen = JSON.parse(overTls.text) as Echo;
    expect(seen.headers['x-forwarded-proto']).toBe('https');
    expect(seen.headers.host).toBe('a.tls.test');
    expect((await get(w.web, '/x', 'a.tls.test')).status).toBe(404);
    expect((await get(w.web, '/x', 'p.tls.test')).status).toBe(200);
    expect((await httpsGet('p.tls.test', '/x')).status).toBe(404);
  });

  it('serves HTTP/2 by ALPN with Host rules on :authority and streamed bodies, and HTTP/1.1 to clients without h2', async () => {
    w = await startWharf({
      http: {
        routers: { secure: { rule: 'Host(`a.tls.test`)', service: 's', tls: {} } },
        services: { s: lb(echo.url) },
      },
      tls: { certificates: [exact] },
    });
    const h2 = await h2Get(`https://127.0.0.1:${port()}`, '/h2?q=1', {
      servername: 'a.tls.test',
      authority: `a.tls.test:${port()}`,
      method: 'POST',
      body: 'hello body',
    });
    expect(h2.alpn).toBe('h2');
    expect(h2.status).toBe(200);
    const seen = JSON.parse(h2.text) as Echo;
    expect(seen).toMatchObject({ method: 'POST', url: '/h2?q=1', body: 'hello body' });
    expect(seen.headers.host).toBe(`a.tls.test:${port()}`);
    expect(seen.headers['x-forwarded-proto']).toBe('https');
    expect(Object.keys(seen.headers).some((h) => h.startsWith(':'))).toBe(false);

    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const first = await httpsGet('a.tls.test', '/one', { agent });
      const second = await httpsGet('a.tls.test', '/two', { agent, method: 'POST', body: 'xyz' });
      expect([first.status, second.status]).toEqual([200, 200]);
      expect(second.reused).toBe(true);
      expect((JSON.parse(second.text) as Echo).body).toBe('xyz');
    } finally {
      agent.destroy();
    }
  });

  it('serves HTTP/2 with prior knowledge (h2c) on plain HTTP, and WebSocket over TLS with HTTP/1.1', async () => {
    w = await startWharf({
      http: {
        routers: {
          plain: { rule: 'Host(`127.0.0.1`)', service: 's' },
          wss: { rule: 'Host(`a.tls.test`)', service: 'ws', tls: {} },
        },
        services: { s: lb(echo.url), ws: lb(ws.url) },
      },
      tls: { certificates: [exact] },
    });
    const h2c = await h2Get(`http://127.0.0.1:${port()}`, '/h2c');
    expect(h2c.status).toBe(200);
    expect((JSON.parse(h2c.text) as Echo).url).toBe('/h2c');

    const socket = tlsConnect({
      host: '127.0.0.1',
      port: port(),
      servername: 'a.tls.test',
      rejectUnauthorized: false,
    });
    try {
      await new Promise((resolve) => socket.once('secureConnect', resolve));
      socket.write(
        'GET /chat HTTP/1.1\r\nHost: a.tls.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n' +
          `Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\n\r\n`,
      );
      const head = await new Promise<string>((resolve) =>
        socket.once('data', (d: Buffer) => resolve(d.toString())),
      );
      expect(head).toMatch(/^HTTP\/1\.1 101 /);
      expect(head).toMatch(/X-Echo-Path: \/chat/i);
    } finally {
      socket.destroy();
    }
  });
});

describe('HTTP to HTTPS', () => {
  it('entryPoint redirection sends plain requests to the TLS entryPoint, where the TLS router answers', async () => {
    w = await startWharf(
      {
        http: {
          routers: { secure: { rule: 'Host(`a.tls.test`)', service: 's', tls: {} } },
          services: { s: lb(echo.url) },
        },
        tls: { certificates: [exact] },
      },
      {
        entryPoints: {
          web: { address: '127.0.0.1:0', http: { redirections: { entryPoint: { to: 'websecure' } } } },
          websecure: { address: '127.0.0.1:0' },
          wharf: { address: '127.0.0.1:0' },
        },
      },
    );
    const redirected = await get(w.web, '/p?q=1', 'a.tls.test');
    expect(redirected.status).toBe(301);
    expect(redirected.headers.location).toBe(`https://a.tls.test:${port('websecure')}/p?q=1`);
    expect((await httpsGet('a.tls.test', '/p', { p: port('websecure') })).status).toBe(200);
  });

  it('redirectScheme redirects plain requests and lets TLS requests through', async () => {
    w = await startWharf({
      http: {
        routers: {
          plain: { rule: 'Host(`a.tls.test`)', service: 's', middlewares: ['to-https'] },
          secure: { rule: 'Host(`a.tls.test`)', service: 's', middlewares: ['to-https'], tls: {} },
        },
        middlewares: { 'to-https': { redirectScheme: { scheme: 'https', permanent: true } } },
        services: { s: lb(echo.url) },
      },
      tls: { certificates: [exact] },
    });
    const plain = await get(w.web, '/x', 'a.tls.test');
    expect(plain.status).toBe(301);
    expect(plain.headers.location).toBe('https://a.tls.test/x');
    expect((await httpsGet('a.tls.test', '/x')).status).toBe(200);
  });

  it('entryPoint http.tls serves every router on it over TLS', async () => {
    w = await startWharf(
      {
        http: {
          routers: { r: { rule: 'Host(`a.tls.test`)', service: 's' } },
          services: { s: lb(echo.url) },
        },
        tls: { certificates: [exact] },
      },
      {
        entryPoints: {
          web: { address: '127.0.0.1:0', http: { tls: {} } },
          wharf: { address: '127.0.0.1:0' },
        },
      },
    );
    expect((await httpsGet('a.tls.test', '/')).status).toBe(200);
    expect((await get(w.web, '/', 'a.tls.test')).status).toBe(404);
  });
});

describe('TLS options', () => {
  it('applies the options of the router whose Host is the server name; default elsewhere; 421 across them', async () => {
    w = await startWharf({
      http: {
        routers: {
          modern: { rule: 'Host(`a.tls.test`)', service: 's', tls: { options: 'modern' } },
          other: { rule: 'Host(`b.tls.test`)', service: 's', tls: {} },
        },
        services: { s: lb(echo.url) },
      },
      tls: { certificates: [exact], options: { modern: { minVersion: 'VersionTLS13' } } },
    });
    expect(await handshake('a.tls.test', { maxVersion: 'TLSv1.2' })).toHaveProperty('error');
    expect(await handshake('a.tls.test')).toMatchObject({ protocol: 'TLSv1.3' });
    expect(await handshake('b.tls.test', { maxVersion: 'TLSv1.2' })).toMatchObject({ protocol: 'TLSv1.2' });
    // Connected for b (TLS 1.2 allowed), asking for a (TLS 1.3 only): refused as misdirected.
    expect((await httpsGet('a.tls.test', '/', { servername: 'b.tls.test' })).status).toBe(421);
    expect((await httpsGet('a.tls.test', '/')).status).toBe(200);
  });

  it('sniStrict refuses server names no certificate serves', async () => {
    w = await startWharf({
      http: {
        routers: { r: { rule: 'Host(`a.tls.test`)', service: 's', tls: {} } },
        services: { s: lb(echo.url) },
      },
      tls: { certificates: [exact], options: { default: { sniStrict: true } } },
    });
    expect(cnOf(await handshake('a.tls.test'))).toBe('a.tls.test');
    expect(await handshake('nobody.tls.test')).toHaveProperty('error');
    expect(await handshake(undefined)).toHaveProperty('error');
  });
});

describe('bad input and hot swap', () => {
  it('leaves out an unreadable certificate, a mismatched key and a router naming unknown options; the rest serves', async () => {
    const other = certs.make('other', ['other.tls.test']);
    w = await startWharf({
      http: {
        routers: {
          good: { rule: 'Host(`a.tls.test`)', service: 's', tls: {} },
          typo: { rule: 'Host(`t.tls.test`)', service: 's', tls: { options: 'modren' } },
        },
        services: { s: lb(echo.url) },
      },
      tls: {
        certificates: [
          { certFile: `${certs.dir}/missing.pem`, keyFile: `${certs.dir}/missing.key` },
          { certFile: other.certFile, keyFile: exact.keyFile },
          exact,
        ],
        options: { modern: { minVersion: 'VersionTLS13' } },
      },
    });
    expect((await httpsGet('a.tls.test', '/')).status).toBe(200);
    expect(cnOf(await handshake('other.tls.test'))).toBe('WHARF DEFAULT CERT');
    expect((await httpsGet('t.tls.test', '/')).status).toBe(404);
    const diags = (await w.getJson<Array<{ code: string; message: string }>>('/api/diagnostics')).body;
    const byCode = (code: string) => diags.filter((d) => d.code === code).map((d) => d.message);
    expect(byCode('TLS_CERT_UNREADABLE')).toEqual([
      `tls.certificates[0] (provider file): cannot read certFile ${certs.dir}/missing.pem: ENOENT; the certificate is left out`,
    ]);
    expect(byCode('TLS_KEY_MISMATCH')[0]).toContain('tls.certificates[1] (provider file)');
    expect(byCode('ROUTER_TLS_OPTIONS_MISSING')).toEqual([
      'router "typo@file": tls option "modren@file" does not exist',
    ]);
    const typo = await w.getJson<{ status: string }>('/api/http/routers/typo@file');
    expect(typo.body.status).toBe('disabled');
  });

  it('swaps a certificate on reload without dropping an open keep-alive connection', async () => {
    const v1 = certs.make('swap-v1', ['a.tls.test', 'v1.tls.test']);
    const config = (c: TestCert) => ({
      http: {
        routers: { r: { rule: 'Host(`a.tls.test`)', service: 's', tls: {} } },
        services: { s: lb(echo.url) },
      },
      tls: { certificates: [c] },
    });
    w = await startWharf(config(v1));
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const before = await httpsGet('a.tls.test', '/1', { agent });
      expect(before.status).toBe(200);
      const v2 = certs.make('swap-v2', ['a.tls.test', 'v2.tls.test']);
      await w.reload(config(v2));
      const fresh = await handshake('a.tls.test');
      expect('cert' in fresh && fresh.cert.subjectaltname).toContain('v2.tls.test');
      const after = await httpsGet('a.tls.test', '/2', { agent });
      expect(after.status).toBe(200);
      expect(after.reused).toBe(true);
      // The open connection keeps the certificate it was opened with.
      expect(after.cert).toBe(before.cert);
      // Files overwritten in place are read again by the next reload (any change of the configuration).
      const v3 = certs.make('swap-v2', ['a.tls.test', 'v3.tls.test']);
      const changed = config(v3);
      await w.reload({
        ...changed,
        http: { ...changed.http, routers: { r: { ...changed.http.routers.r, priority: 5 } } },
      });
      const third = await handshake('a.tls.test');
      expect('cert' in third && third.cert.subjectaltname).toContain('v3.tls.test');
    } finally {
      agent.destroy();
    }
  });
});
