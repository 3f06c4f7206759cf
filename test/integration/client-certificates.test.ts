import { readFileSync } from 'node:fs';
import { createSecureServer, type Http2SecureServer } from 'node:http2';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BackendPki, makeBackendPki } from '../helpers/backend-pki.ts';
import { makeSecondClientCa, type SecondClientCa } from '../helpers/second-client-ca.ts';
import { get, startWharf, type TestWharf } from '../helpers/wharf.ts';

// serversTransports.certificates with several client certificates (issue 18): Wharf presents the one
// the server's CertificateRequest accepts (its acceptable CA list), as Go's client does for Traefik,
// not the first. Servers are loopback mutual-TLS servers that trust one CA each.

interface MtlsServer {
  readonly url: string;
  close(): Promise<void>;
}

/** A mutual-TLS server (HTTP/2 and HTTP/1.1 by ALPN) trusting `clientCa` only; answers the client CN. */
async function mtlsServer(pki: BackendPki, clientCa: string, extra: { minVersion?: 'TLSv1.3' } = {}) {
  const server: Http2SecureServer = createSecureServer(
    {
      cert: readFileSync(pki.server.cert),
      key: readFileSync(pki.server.key),
      ca: readFileSync(clientCa),
      requestCert: true,
      rejectUnauthorized: true,
      allowHTTP1: true,
      ...extra,
    },
    (req, res) => {
      const peer = (req.socket as TLSSocket).getPeerCertificate();
      res.end(JSON.stringify({ cn: peer?.subject?.CN, version: req.httpVersion }));
    },
  );
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  } satisfies MtlsServer;
}

let pki: BackendPki;
let second: SecondClientCa;
let trustsSecond: MtlsServer;
let trustsFirst: MtlsServer;
let trustsOther: MtlsServer;
let tls13Only: MtlsServer;
let w: TestWharf;

beforeAll(async () => {
  pki = makeBackendPki();
  second = makeSecondClientCa(pki.dir);
  trustsSecond = await mtlsServer(pki, second.ca);
  trustsFirst = await mtlsServer(pki, pki.ca);
  // Trusts a CA none of the certificates comes from: Go then presents none.
  trustsOther = await mtlsServer(pki, pki.selfSigned.cert);
  tls13Only = await mtlsServer(pki, second.ca, { minVersion: 'TLSv1.3' });
  const both = [
    { certFile: pki.client.cert, keyFile: pki.client.key },
    { certFile: second.client.cert, keyFile: second.client.key },
  ];
  const svc = (url: string, serversTransport: string) => ({
    loadBalancer: { servers: [{ url }], serversTransport },
  });
  const routes: Record<string, [string, string]> = {
    second: [trustsSecond.url, 'both'],
    'second-h1': [trustsSecond.url, 'bothH1'],
    first: [trustsFirst.url, 'both'],
    other: [trustsOther.url, 'both'],
    'tls13-only': [tls13Only.url, 'both'],
  };
  w = await startWharf({
    http: {
      routers: Object.fromEntries(
        Object.keys(routes).map((name) => [name, { rule: `Host(\`${name}.test\`)`, service: name }]),
      ),
      services: {
        ...Object.fromEntries(Object.entries(routes).map(([n, [url, t]]) => [n, svc(url, t)])),
        // Health probes choose the same way (through the transport's agent).
        health: {
          loadBalancer: {
            servers: [{ url: trustsSecond.url }],
            serversTransport: 'both',
            healthCheck: { path: '/', interval: '100ms' },
          },
        },
        'health-other': {
          loadBalancer: {
            servers: [{ url: trustsOther.url }],
            serversTransport: 'both',
            healthCheck: { path: '/', interval: '100ms' },
          },
        },
      },
      serversTransports: {
        both: { rootCAs: [pki.ca], certificates: both },
        bothH1: { rootCAs: [pki.ca], certificates: both, disableHTTP2: true },
      },
    },
  });
}, 30_000);

afterAll(async () => {
  await w?.stop();
  for (const s of [trustsSecond, trustsFirst, trustsOther, tls13Only]) await s?.close();
  pki?.remove();
});

const seen = async (host: string) => {
  const res = await get(w.web, '/', `${host}.test`);
  return { status: res.status, body: res.status === 200 ? JSON.parse(res.text) : undefined };
};

describe('several client certificates', () => {
  it.each([
    {
      host: 'second',
      status: 200,
      cn: 'wharf-client-2',
      version: '2.0',
      why: 'the server trusts the second CA only (HTTP/2)',
    },
    { host: 'second-h1', status: 200, cn: 'wharf-client-2', version: '1.1', why: 'the same over HTTP/1.1' },
    { host: 'first', status: 200, cn: 'wharf-client', version: '2.0', why: 'the server trusts the first CA' },
    {
      host: 'other',
      status: 502,
      cn: undefined,
      version: undefined,
      why: 'none fits: none is sent, the server refuses',
    },
    {
      host: 'tls13-only',
      status: 502,
      cn: undefined,
      version: undefined,
      why: 'a TLS 1.3-only server hides its CA list: the first certificate goes, and is refused',
    },
  ])('$host: $status ($why)', async ({ host, status, cn, version }) => {
    const r = await seen(host);
    expect(r.status).toBe(status);
    expect(r.body?.cn).toBe(cn);
    expect(r.body?.version).toBe(version);
    // The choice is kept: a second request is answered the same way.
    expect((await seen(host)).status).toBe(status);
  });

  it('health checks present the certificate the server accepts', async () => {
    const status = async (name: string, url: string) =>
      (await w.getJson<{ serverStatus?: Record<string, string> }>(`/api/http/services/${name}@file`)).body
        .serverStatus?.[url];
    // health-other going DOWN shows probes have run; health must then still be UP.
    const deadline = Date.now() + 10_000;
    while ((await status('health-other', trustsOther.url)) !== 'DOWN') {
      if (Date.now() > deadline) throw new Error('health-other never went DOWN');
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(await status('health', trustsSecond.url)).toBe('UP');
  });
});
