import { createServer, type Server } from 'node:http';
import { type ClientHttp2Session, connect as h2connect } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../helpers/backends.ts';
import { type CertFactory, certFactory, type TestCert } from '../helpers/certs.ts';
import { startWharf, type TestWharf } from '../helpers/wharf.ts';

// Regressions from the review of TLS serving: what a client or an upstream could do to the HTTP/2 and TLS
// paths (crash the process, leak upstream requests, slip past per-host TLS options). Loopback only.

let certs: CertFactory;
let a: TestCert;
let b: TestCert;
let upstream: Server;
let upstreamUrl: string;
/** Upstream responses the backend saw closed before it finished them. */
const cut: string[] = [];

beforeAll(async () => {
  certs = certFactory();
  a = certs.make('a', ['a.tls.test']);
  b = certs.make('b', ['b.tls.test']);
  upstream = createServer((req, res) => {
    req.resume();
    if (req.url === '/two-locations') {
      // Two Location headers: legal to pass on over HTTP/1.1, refused by Node's HTTP/2 layer.
      res.writeHead(302, [
        ['location', '/a'],
        ['location', '/b'],
        ['http2-settings', 'AAA'],
      ] as unknown as Record<string, string>);
      res.end();
      return;
    }
    if (req.url === '/stream') {
      res.writeHead(200);
      const t = setInterval(() => res.write('x'), 20);
      res.on('close', () => {
        clearInterval(t);
        if (!res.writableEnded) cut.push('stream');
      });
      return;
    }
    res.end('ok');
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((r) => upstream.close(() => r()));
  certs?.remove();
});

let w: TestWharf | undefined;
let session: ClientHttp2Session | undefined;
afterEach(async () => {
  session?.destroy();
  session = undefined;
  await w?.stop();
  w = undefined;
});

const lb = (url: string) => ({ loadBalancer: { servers: [{ url }] } });

async function start(): Promise<number> {
  w = await startWharf({
    http: {
      routers: {
        a: { rule: 'Host(`a.tls.test`)', service: 's', tls: { options: 'modern' } },
        b: { rule: 'Host(`b.tls.test`)', service: 's', tls: {} },
      },
      services: { s: lb(upstreamUrl) },
    },
    tls: { certificates: [a, b], options: { modern: { minVersion: 'VersionTLS13' } } },
  });
  return w.wharf.port('web');
}

/**
 * Status and TLS version of a GET with this SNI and Host, over HTTP/1.1. The version is read at the
 * handshake: asking a closed TLS socket for it crashed Node 24 (SIGSEGV) in a first version of this test.
 */
function get(p: number, servername: string, host: string, maxVersion?: 'TLSv1.2'): Promise<string> {
  return new Promise((resolve) => {
    const socket = tlsConnect({
      host: '127.0.0.1',
      port: p,
      servername,
      rejectUnauthorized: false,
      ...(maxVersion && { maxVersion }),
    });
    let data = '';
    let protocol = '';
    socket.once('secureConnect', () => {
      protocol = socket.getProtocol() ?? '';
      socket.write(`GET / HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
    });
    socket.on('data', (c) => {
      data += c;
    });
    socket.once('close', () => resolve(`${data.split(' ')[1] ?? 'none'} ${protocol}`.trim()));
    socket.once('error', () => resolve('refused'));
  });
}

describe('HTTP/2 hardening', () => {
  it('a response HTTP/2 cannot carry (repeated Location, HTTP2-Settings) does not take the process down', async () => {
    const p = await start();
    session = h2connect(`https://127.0.0.1:${p}`, { rejectUnauthorized: false, servername: 'a.tls.test' });
    const response = await new Promise<Record<string, unknown>>((resolve, reject) => {
      const st = (session as ClientHttp2Session).request({
        ':path': '/two-locations',
        ':authority': 'a.tls.test',
      });
      st.on('response', resolve);
      st.on('error', reject);
      st.resume();
    });
    expect(response[':status']).toBe(302);
    expect(response.location).toBe('/a');
    expect(response['http2-settings']).toBeUndefined();
  });

  it("a client's RST_STREAM aborts the upstream request", async () => {
    const p = await start();
    session = h2connect(`https://127.0.0.1:${p}`, { rejectUnauthorized: false, servername: 'a.tls.test' });
    const st = session.request({ ':path': '/stream', ':authority': 'a.tls.test' });
    await new Promise((r) => st.once('data', r));
    cut.length = 0;
    st.close(8); // CANCEL
    await until(() => cut.length > 0, 'the upstream request to be aborted', 3_000);
    expect(cut).toEqual(['stream']);
  });
});

describe('TLS options cannot be bypassed by spelling', () => {
  it.each([
    ['a trailing dot in Host', 'b.tls.test', 'a.tls.test.', '421 TLSv1.2'],
    ['a trailing dot and a port in Host', 'b.tls.test', `a.tls.test.:443`, '421 TLSv1.2'],
    ['another Host than the server name', 'b.tls.test', 'a.tls.test', '421 TLSv1.2'],
  ])('%s gets 421 Misdirected Request', async (_name, sni, host, expected) => {
    const p = await start();
    expect(await get(p, sni, host, 'TLSv1.2')).toBe(expected);
  });

  it('an upper-case server name is the same name (no false 421)', async () => {
    const p = await start();
    expect(await get(p, 'A.TLS.TEST', 'a.tls.test')).toBe('200 TLSv1.3');
  });

  it('a server name with a trailing dot gets its certificate and its options', async () => {
    const p = await start();
    expect(await get(p, 'a.tls.test.', 'a.tls.test', 'TLSv1.2')).toBe('refused');
    const subject = await new Promise<string>((resolve) => {
      const s = tlsConnect({
        host: '127.0.0.1',
        port: p,
        servername: 'a.tls.test.',
        rejectUnauthorized: false,
      });
      s.once('secureConnect', () => {
        resolve(s.getPeerCertificate().subject.CN as string);
        s.end();
      });
      s.once('error', (e) => resolve(e.message));
    });
    expect(subject).toBe('a.tls.test');
  });
});

describe('TLS options on a router without Host()', () => {
  it('is served, with a warning saying the options follow the server name', async () => {
    w = await startWharf({
      http: {
        routers: { admin: { rule: 'PathPrefix(`/admin`)', service: 's', tls: { options: 'modern' } } },
        services: { s: lb(upstreamUrl) },
      },
      tls: { certificates: [a], options: { modern: { minVersion: 'VersionTLS13' } } },
    });
    const diagnostics = await w.getJson<Array<{ code: string; subject: string }>>('/api/diagnostics');
    expect(JSON.stringify(diagnostics.body)).toContain('ROUTER_TLS_OPTIONS_NO_HOST');
  });
});
