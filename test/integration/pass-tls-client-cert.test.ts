import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect as h2connect } from 'node:http2';
import { connect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryEscape } from '../../middleware/pass-tls-client-cert/client-cert-headers.ts';
import { type Backend, type Echo, startEchoServer } from '../helpers/backends.ts';
import { type ClientPki, makeClientPki } from '../helpers/client-pki.ts';
import { startWharf, type TestWharf } from '../helpers/wharf.ts';

// Mutual TLS through a running router: each clientAuthType on its own host (TLS options are chosen by
// server name), clients with a certificate of the trusted CA, one of another CA, and none.

let pki: ClientPki;
let echo: Backend;
let w: TestWharf;

const TYPES = [
  'NoClientCert',
  'RequestClientCert',
  'RequireAnyClientCert',
  'VerifyClientCertIfGiven',
  'RequireAndVerifyClientCert',
] as const;
const host = (type: string) => `${type.toLowerCase()}.mtls.test`;

beforeAll(async () => {
  pki = makeClientPki();
  echo = await startEchoServer();
  const routers: Record<string, unknown> = {};
  const options: Record<string, unknown> = {};
  for (const type of TYPES) {
    const verifying = type === 'VerifyClientCertIfGiven' || type === 'RequireAndVerifyClientCert';
    options[type] = { clientAuth: { clientAuthType: type, ...(verifying ? { caFiles: [pki.ca] } : {}) } };
    routers[type] = {
      rule: `Host(\`${host(type)}\`)`,
      service: 'echo',
      middlewares: ['cert'],
      tls: { options: type },
    };
  }
  options.broken = { clientAuth: { caFiles: [`${pki.dir}/missing-ca.pem`] } };
  routers.broken = { rule: 'Host(`broken.mtls.test`)', service: 'echo', tls: { options: 'broken' } };
  w = await startWharf({
    http: {
      routers,
      services: { echo: { loadBalancer: { servers: [{ url: echo.url }] } } },
      middlewares: {
        cert: {
          passTLSClientCert: {
            pem: true,
            info: {
              notAfter: true,
              notBefore: true,
              sans: true,
              serialNumber: true,
              subject: {
                country: true,
                province: true,
                locality: true,
                organization: true,
                organizationalUnit: true,
                commonName: true,
                serialNumber: true,
                domainComponent: true,
              },
              issuer: {
                country: true,
                province: true,
                locality: true,
                organization: true,
                commonName: true,
                serialNumber: true,
                domainComponent: true,
              },
            },
          },
        },
      },
    },
    tls: { certificates: [{ certFile: pki.server.cert, keyFile: pki.server.key }], options },
  });
});
afterAll(async () => {
  await w?.stop();
  await echo?.close();
  pki?.remove();
});

type Outcome = { status: number; echo: Echo } | { refused: string };

/** One HTTP/1.1 request over a fresh TLS connection with SNI `servername`, presenting `cert` if given. */
function request(
  servername: string,
  hostHeader: string,
  cert?: { cert: string; key: string },
): Promise<Outcome> {
  return new Promise((resolve) => {
    const socket = connect({
      host: '127.0.0.1',
      port: w.wharf.port('web'),
      servername,
      ca: readFileSync(pki.ca),
      ALPNProtocols: ['http/1.1'],
      ...(cert ? { cert: readFileSync(cert.cert), key: readFileSync(cert.key) } : {}),
    });
    let data = '';
    socket.setEncoding('utf8');
    socket.on('secureConnect', () => {
      socket.write(`GET / HTTP/1.1\r\nhost: ${hostHeader}\r\nconnection: close\r\n\r\n`);
    });
    socket.on('data', (chunk: string) => {
      data += chunk;
    });
    socket.on('error', (err: NodeJS.ErrnoException) => resolve({ refused: err.code ?? err.message }));
    socket.on('close', () => {
      const [head = '', body = ''] = data.split('\r\n\r\n');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]);
      if (!status) resolve({ refused: 'closed without a response' });
      else resolve({ status, echo: status === 200 ? (JSON.parse(body) as Echo) : ({} as Echo) });
    });
  });
}

const clients = {
  trusted: () => pki.client,
  stranger: () => pki.stranger,
  none: () => undefined,
} as const;

/** What each clientAuthType does with each client: the certificate passed on, served without one, or refused. */
const MATRIX: Record<
  (typeof TYPES)[number],
  Record<keyof typeof clients, 'passed' | 'served' | 'refused'>
> = {
  NoClientCert: { trusted: 'served', stranger: 'served', none: 'served' },
  RequestClientCert: { trusted: 'passed', stranger: 'passed', none: 'served' },
  RequireAnyClientCert: { trusted: 'passed', stranger: 'passed', none: 'refused' },
  VerifyClientCertIfGiven: { trusted: 'passed', stranger: 'refused', none: 'served' },
  RequireAndVerifyClientCert: { trusted: 'passed', stranger: 'refused', none: 'refused' },
};

describe('clientAuthType through a running router', () => {
  const cases = TYPES.flatMap((type) =>
    (Object.keys(clients) as Array<keyof typeof clients>).map((client) => ({
      type,
      client,
      want: MATRIX[type][client],
    })),
  );
  it.each(cases)('$type with $client client: $want', async ({ type, client, want }) => {
    const presented = clients[client]();
    const r = await request(host(type), host(type), presented);
    if (want === 'refused') {
      expect(r).toMatchObject({ refused: expect.any(String) });
      return;
    }
    expect(r).toMatchObject({ status: 200 });
    const headers = 'echo' in r ? r.echo.headers : {};
    if (want === 'served') {
      expect(headers['x-forwarded-tls-client-cert']).toBeUndefined();
      expect(headers['x-forwarded-tls-client-cert-info']).toBeUndefined();
      return;
    }
    const x509 = new X509Certificate(readFileSync((presented as { cert: string }).cert));
    expect(headers['x-forwarded-tls-client-cert']).toBe(x509.raw.toString('base64'));
    const issuer =
      client === 'trusted'
        ? 'DC=org,DC=example,C=FR,ST=Ile-de-France,L=Paris,O=Wharf CA,CN=Wharf Test Root'
        : 'CN=Other CA';
    const serial = client === 'trusted' ? '42' : '43';
    const s = (d: string) => Date.parse(d) / 1000;
    expect(headers['x-forwarded-tls-client-cert-info']).toBe(
      queryEscape(
        'Subject="DC=com,DC=acme,C=US,C=CA,ST=California,L=San Francisco,O=Cheese,O=Cheese 2,OU=Simple Unit,OU=Unit, two,SN=SN-77,CN=client one";' +
          `Issuer="${issuer}";SerialNumber="${serial}";NB="${s(x509.validFrom)}";NA="${s(x509.validTo)}";` +
          'SAN="b.example,a.example,me@example.com,10.0.0.1,::1,spiffe://acme.com/client"',
      ),
    );
  });

  it('passes the certificate on HTTP/2 requests too', async () => {
    const session = h2connect(`https://127.0.0.1:${w.wharf.port('web')}`, {
      servername: host('RequireAndVerifyClientCert'),
      ca: readFileSync(pki.ca),
      cert: readFileSync(pki.client.cert),
      key: readFileSync(pki.client.key),
    });
    try {
      const body = await new Promise<string>((resolve, reject) => {
        const stream = session.request({ ':path': '/', ':authority': host('RequireAndVerifyClientCert') });
        let text = '';
        stream.setEncoding('utf8');
        stream.on('data', (c: string) => {
          text += c;
        });
        stream.on('end', () => resolve(text));
        stream.on('error', reject);
      });
      const pem = new X509Certificate(readFileSync(pki.client.cert)).raw.toString('base64');
      expect((JSON.parse(body) as Echo).headers['x-forwarded-tls-client-cert']).toBe(pem);
    } finally {
      session.close();
    }
  });

  it('refuses TLS 1.2 renegotiation, so the checked certificate cannot be swapped', async () => {
    const socket = connect({
      host: '127.0.0.1',
      port: w.wharf.port('web'),
      servername: host('RequestClientCert'),
      ca: readFileSync(pki.ca),
      maxVersion: 'TLSv1.2',
      cert: readFileSync(pki.client.cert),
      key: readFileSync(pki.client.key),
    });
    socket.on('error', () => {});
    await new Promise((resolve) => socket.once('secureConnect', resolve));
    const outcome = await new Promise<string>((resolve) => {
      socket.once('close', () => resolve('closed'));
      socket.renegotiate({}, (err) => {
        if (!err) resolve('renegotiated');
      });
    });
    expect(outcome).toBe('closed');
  });

  it('a missing required certificate fails the handshake with the certificate_required alert', async () => {
    expect(await request(host('RequireAndVerifyClientCert'), host('RequireAndVerifyClientCert'))).toEqual({
      refused: 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED',
    });
  });

  it('a client cannot reach a mutual-TLS host through a connection opened for a host without it (421)', async () => {
    const r = await request(host('NoClientCert'), host('RequireAndVerifyClientCert'));
    expect(r).toMatchObject({ status: 421 });
  });

  it('an unreadable caFiles disables only the routers using those options, naming the file', async () => {
    const diags = (await w.getJson<Array<{ code: string; message: string }>>('/api/diagnostics')).body;
    expect(diags.filter((d) => d.code === 'TLS_OPTIONS_INVALID').map((d) => d.message)).toEqual([
      `tls option "broken@file": clientAuth.caFiles: cannot read ${pki.dir}/missing-ca.pem: ENOENT; routers using it are disabled`,
    ]);
    expect((await w.getJson<{ status: string }>('/api/http/routers/broken@file')).body.status).toBe(
      'disabled',
    );
    expect((await w.getJson<{ status: string }>('/api/http/routers/NoClientCert@file')).body.status).toBe(
      'enabled',
    );
  });
});
