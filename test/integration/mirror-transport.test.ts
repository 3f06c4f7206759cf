import { readFileSync } from 'node:fs';
import { createSecureServer, type Http2SecureServer } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BackendPki, makeBackendPki } from '../helpers/backend-pki.ts';
import { type Backend, startServer, until } from '../helpers/backends.ts';
import { FRAME, type RawH2Server, startRawH2Server } from '../helpers/h2-raw-server.ts';
import { startWharf, type TestWharf } from '../helpers/wharf.ts';

// Mirror copies go through the mirror server's own transport, as the service's requests do (issue 18):
// HTTP/2 with prior knowledge to h2c:// servers, HTTP/2 by ALPN to https:// ones with the mirror
// service's serversTransport (here a private CA the system does not know).

let main: Backend;
let h2c: RawH2Server;
let tlsMirror: { url: string; versions: string[]; hosts: string[]; close(): Promise<void> };
let pki: BackendPki;
let w: TestWharf;

beforeAll(async () => {
  pki = makeBackendPki();
  main = await startServer((_req, res) => res.end('main'));
  h2c = await startRawH2Server();
  const versions: string[] = [];
  const hosts: string[] = [];
  const server: Http2SecureServer = createSecureServer(
    { cert: readFileSync(pki.server.cert), key: readFileSync(pki.server.key), allowHTTP1: true },
    (req, res) => {
      versions.push(req.httpVersion);
      hosts.push(String(req.headers[':authority'] ?? req.headers.host));
      req.resume();
      res.end('mirror');
    },
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  tlsMirror = {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    versions,
    hosts,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
  w = await startWharf({
    http: {
      routers: {
        h2c: { rule: 'Host(`h2c.test`)', service: 'to-h2c' },
        tls: { rule: 'Host(`tls.test`)', service: 'to-tls' },
      },
      services: {
        main: { loadBalancer: { servers: [{ url: main.url }] } },
        h2cMirror: { loadBalancer: { servers: [{ url: h2c.url }] } },
        tlsMirror: { loadBalancer: { servers: [{ url: tlsMirror.url }], serversTransport: 'ca' } },
        'to-h2c': { mirroring: { service: 'main', mirrors: [{ name: 'h2cMirror', percent: 100 }] } },
        'to-tls': { mirroring: { service: 'main', mirrors: [{ name: 'tlsMirror', percent: 100 }] } },
      },
      serversTransports: { ca: { rootCAs: [pki.ca] } },
    },
  });
}, 30_000);

afterAll(async () => {
  await w?.stop();
  await Promise.all([main?.close(), h2c?.close(), tlsMirror?.close()]);
  pki?.remove();
});

const send = async (host: string, body?: string) => {
  const res = await request(`${w.web}/copy`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { host },
    ...(body === undefined ? {} : { body }),
  });
  return { status: res.statusCode, text: await res.body.text() };
};

describe('mirroring through the mirror server transport', () => {
  it('copies to an h2c:// server over HTTP/2, with the body, on one connection', async () => {
    expect(await send('h2c.test')).toEqual({ status: 200, text: 'main' });
    expect(await send('h2c.test', 'payload')).toEqual({ status: 200, text: 'main' });
    const heads = () => h2c.frames.filter((f) => f.type === FRAME.HEADERS).length;
    await until(() => heads() >= 2, 'two copies at the h2c mirror', 10_000);
    expect(h2c.protocols).toEqual(['h2']);
    // The copy of the POST carries its body as DATA.
    await until(() => h2c.frames.some((f) => f.type === FRAME.DATA), 'the body of the copy', 10_000);
  });

  it('copies to an https:// server over HTTP/2 by ALPN, with the mirror service transport', async () => {
    expect(await send('tls.test')).toEqual({ status: 200, text: 'main' });
    await until(() => tlsMirror.versions.length >= 1, 'a copy at the https mirror', 10_000);
    expect(tlsMirror.versions[0]).toBe('2.0');
    // passHostHeader (default true) of the mirror service: the client's Host reaches the mirror.
    expect(tlsMirror.hosts[0]).toBe('tls.test');
  });
});
