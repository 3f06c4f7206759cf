import { readFileSync } from 'node:fs';
import { createSecureServer, type Http2SecureServer } from 'node:http2';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKEND_URI, type BackendPki, makeBackendPki } from '../helpers/backend-pki.ts';
import type { PkiCert } from '../helpers/client-pki.ts';
import { get, startWharf, type TestWharf } from '../helpers/wharf.ts';

// serversTransports (issue 18): TLS to servers with self-signed certificates, a private CA, serverName,
// client certificates, peerCertURI, HTTP/2 by ALPN and disableHTTP2, maxIdleConnsPerHost, and health
// checks through the transport. Backends are real loopback TLS servers with openssl-made certificates.

interface TlsBackend {
  readonly url: string;
  /** TLS connections the backend accepted. */
  connections: number;
  close(): Promise<void>;
}

/** An HTTPS backend (HTTP/2 and HTTP/1.1 by ALPN) answering what it saw as JSON. */
async function tlsBackend(cert: PkiCert, extra: { ca?: string; requireClientCert?: boolean } = {}) {
  const server: Http2SecureServer = createSecureServer(
    {
      cert: readFileSync(cert.cert),
      key: readFileSync(cert.key),
      allowHTTP1: true,
      ...(extra.requireClientCert
        ? { requestCert: true, rejectUnauthorized: true, ca: readFileSync(extra.ca as string) }
        : {}),
    },
    (req, res) => {
      const socket = req.socket as TLSSocket;
      const peer = extra.requireClientCert ? socket.getPeerCertificate() : undefined;
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          version: req.httpVersion,
          sni: socket.servername,
          host: req.headers.host ?? req.headers[':authority'],
          cn: peer?.subject?.CN,
        }),
      );
    },
  );
  const backend = { url: '', connections: 0, close: () => new Promise<void>((r) => server.close(() => r())) };
  server.on('secureConnection', () => backend.connections++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  backend.url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return backend as TlsBackend;
}

let pki: BackendPki;
const backends: TlsBackend[] = [];
let w: TestWharf;
let self: TlsBackend;
let privateCa: TlsBackend;
let named: TlsBackend;
let mutual: TlsBackend;

const svc = (url: string, serversTransport?: string, extra: Record<string, unknown> = {}) => ({
  loadBalancer: { servers: [{ url }], ...(serversTransport ? { serversTransport } : {}), ...extra },
});

beforeAll(async () => {
  pki = makeBackendPki();
  self = await tlsBackend(pki.selfSigned);
  privateCa = await tlsBackend(pki.server);
  named = await tlsBackend(pki.named);
  mutual = await tlsBackend(pki.server, { ca: pki.ca, requireClientCert: true });
  backends.push(self, privateCa, named, mutual);
  const caPem = readFileSync(pki.ca, 'utf8');
  const routes: Record<string, [string, string | undefined, Record<string, unknown>?]> = {
    'self-default': [self.url, undefined],
    'self-insecure': [self.url, 'insecure'],
    'ca-default': [privateCa.url, undefined],
    'ca-file': [privateCa.url, 'ca'],
    'ca-pem': [privateCa.url, 'caPem'],
    'ca-h1': [privateCa.url, 'caH1'],
    'ca-noreuse': [privateCa.url, 'caNoReuse'],
    'named-ip': [named.url, 'ca'],
    'named-name': [named.url, 'caNamed'],
    'mtls-none': [mutual.url, 'ca'],
    'mtls-cert': [mutual.url, 'caClient'],
    'uri-ok': [privateCa.url, 'uriOk'],
    'uri-bad': [privateCa.url, 'uriBad'],
    'uri-insecure-self': [self.url, 'uriInsecure'],
    'health-ca': [privateCa.url, 'ca', { healthCheck: { path: '/health', interval: '100ms' } }],
    'health-default': [privateCa.url, undefined, { healthCheck: { path: '/health', interval: '100ms' } }],
  };
  w = await startWharf({
    http: {
      routers: Object.fromEntries(
        Object.keys(routes).map((name) => [name, { rule: `Host(\`${name}.test\`)`, service: name }]),
      ),
      services: Object.fromEntries(
        Object.entries(routes).map(([name, [url, transport, extra]]) => [name, svc(url, transport, extra)]),
      ),
      serversTransports: {
        insecure: { insecureSkipVerify: true },
        ca: { rootCAs: [pki.ca] },
        caPem: { rootCAs: [caPem] },
        caH1: { rootCAs: [pki.ca], disableHTTP2: true },
        caNoReuse: { rootCAs: [pki.ca], disableHTTP2: true, maxIdleConnsPerHost: -1 },
        caNamed: { rootCAs: [pki.ca], serverName: 'named.test' },
        caClient: {
          rootCAs: [pki.ca],
          certificates: [{ certFile: pki.client.cert, keyFile: pki.client.key }],
        },
        uriOk: { rootCAs: [pki.ca], peerCertURI: BACKEND_URI },
        uriBad: { rootCAs: [pki.ca], peerCertURI: 'spiffe://wharf.test/other' },
        // With insecureSkipVerify, peerCertURI still verifies the chain (Traefik): a self-signed one fails.
        uriInsecure: { insecureSkipVerify: true, peerCertURI: BACKEND_URI },
      },
    },
  });
}, 30_000);

afterAll(async () => {
  await w?.stop();
  for (const b of backends) await b.close();
  pki?.remove();
});

const seen = async (host: string, headers: Record<string, string> = {}) => {
  const res = await get(w.web, '/', `${host}.test`, headers);
  return { status: res.status, body: res.status === 200 ? JSON.parse(res.text) : res.text };
};

describe('serversTransports: TLS to servers', () => {
  it.each([
    { host: 'self-default', status: 502, why: 'a self-signed server is refused by default' },
    { host: 'self-insecure', status: 200, why: 'insecureSkipVerify accepts it' },
    { host: 'ca-default', status: 502, why: 'a private CA is unknown to the system CAs' },
    { host: 'ca-file', status: 200, why: 'rootCAs as a file' },
    { host: 'ca-pem', status: 200, why: 'rootCAs as PEM text' },
    { host: 'named-ip', status: 502, why: 'the certificate does not name 127.0.0.1' },
    { host: 'named-name', status: 200, why: 'serverName names the certificate' },
    { host: 'mtls-none', status: 502, why: 'the server requires a client certificate' },
    { host: 'mtls-cert', status: 200, why: 'certificates presents one' },
    { host: 'uri-ok', status: 200, why: 'the certificate lists the peerCertURI' },
    { host: 'uri-bad', status: 502, why: 'the certificate lacks that URI' },
    {
      host: 'uri-insecure-self',
      status: 502,
      why: 'peerCertURI verifies the chain even with insecureSkipVerify',
    },
  ])('$host: $status ($why)', async ({ host, status }) => {
    expect((await seen(host)).status).toBe(status);
  });

  it('sends serverName as SNI and the client certificate to the server', async () => {
    expect((await seen('named-name')).body.sni).toBe('named.test');
    expect((await seen('mtls-cert')).body.cn).toBe('wharf-client');
  });

  it('checks the server certificate against the server URL, not the client Host header', async () => {
    // The client's Host (passHostHeader) reaches the server, but TLS names 127.0.0.1: no SNI for an IP.
    for (const host of ['ca-file', 'ca-h1']) {
      // ca-h1 goes through undici's HTTP/1.1 pool, which would take the TLS name from the Host header.
      const r = await seen(host);
      expect(r.status).toBe(200);
      expect(r.body.host).toBe(`${host}.test`);
      expect(r.body.sni).toBeFalsy();
    }
  });

  it('talks HTTP/2 to https servers by ALPN, HTTP/1.1 with disableHTTP2', async () => {
    expect((await seen('ca-file')).body.version).toBe('2.0');
    expect((await seen('ca-h1')).body.version).toBe('1.1');
  });

  it('maxIdleConnsPerHost -1 opens a connection per request', async () => {
    const before = privateCa.connections;
    for (let i = 0; i < 3; i++) expect((await seen('ca-noreuse')).status).toBe(200);
    expect(privateCa.connections - before).toBe(3);
  });

  it('health checks use the service transport', async () => {
    const status = async (name: string) =>
      (await w.getJson<{ serverStatus?: Record<string, string> }>(`/api/http/services/${name}@file`)).body
        .serverStatus?.[privateCa.url];
    const deadline = Date.now() + 10_000;
    while ((await status('health-default')) !== 'DOWN') {
      if (Date.now() > deadline) throw new Error('health-default never went DOWN');
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(await status('health-ca')).toBe('UP');
  });
});

describe('the static serversTransport (default@internal)', () => {
  it('applies to services that name no transport', async () => {
    const caPem = readFileSync(pki.ca, 'utf8');
    const s = await startWharf(
      {
        http: {
          routers: {
            self: { rule: 'Host(`self.test`)', service: 'self' },
            ca: { rule: 'Host(`ca.test`)', service: 'ca' },
          },
          services: { self: svc(self.url), ca: svc(privateCa.url, 'default@internal') },
        },
      },
      { serversTransport: { insecureSkipVerify: true, rootCAs: [caPem] } },
    );
    try {
      expect((await get(s.web, '/', 'self.test')).status).toBe(200);
      expect((await get(s.web, '/', 'ca.test')).status).toBe(200);
    } finally {
      await s.stop();
    }
  });
});
