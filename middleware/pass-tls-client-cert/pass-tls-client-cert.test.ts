import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PassTlsClientCert } from '../../config/middlewares/pass-tls-client-cert.ts';
import { type ClientPki, makeClientPki } from '../../test/helpers/client-pki.ts';
import { fakeRequest, runMiddleware } from '../../test/helpers/middleware.ts';
import { type CertificateFields, certificateFields, formatIp } from './certificate-fields.ts';
import {
  formatCertificateInfo,
  formatInfoHeader,
  formatName,
  formatPemHeader,
  queryEscape,
} from './client-cert-headers.ts';
import { passTlsClientCert } from './pass-tls-client-cert.ts';

let pki: ClientPki;
let client: X509Certificate;
let fields: CertificateFields;
beforeAll(() => {
  pki = makeClientPki();
  client = new X509Certificate(readFileSync(pki.client.cert));
  fields = certificateFields(client.raw);
});
afterAll(() => pki?.remove());

const ALL_SUBJECT = {
  country: true,
  province: true,
  locality: true,
  organization: true,
  organizationalUnit: true,
  commonName: true,
  serialNumber: true,
  domainComponent: true,
};
const { organizationalUnit: _ou, ...ALL_ISSUER } = ALL_SUBJECT;
const ALL_INFO = {
  notAfter: true,
  notBefore: true,
  sans: true,
  serialNumber: true,
  subject: ALL_SUBJECT,
  issuer: ALL_ISSUER,
};
const seconds = (d: string) => String(Date.parse(d) / 1000);

describe('certificateFields (a certificate made by openssl)', () => {
  it('reads subject and issuer in order, serial, validity and SANs as Go does', () => {
    expect(fields).toEqual({
      subject: [
        { oid: '0.9.2342.19200300.100.1.25', value: 'com' },
        { oid: '0.9.2342.19200300.100.1.25', value: 'acme' },
        { oid: '2.5.4.6', value: 'US' },
        { oid: '2.5.4.6', value: 'CA' },
        { oid: '2.5.4.8', value: 'California' },
        { oid: '2.5.4.7', value: 'San Francisco' },
        { oid: '2.5.4.10', value: 'Cheese' },
        { oid: '2.5.4.10', value: 'Cheese 2' },
        { oid: '2.5.4.11', value: 'Simple Unit' },
        { oid: '2.5.4.11', value: 'Unit, two' },
        { oid: '2.5.4.5', value: 'SN-77' },
        { oid: '2.5.4.3', value: 'client one' },
      ],
      issuer: [
        { oid: '0.9.2342.19200300.100.1.25', value: 'org' },
        { oid: '0.9.2342.19200300.100.1.25', value: 'example' },
        { oid: '2.5.4.6', value: 'FR' },
        { oid: '2.5.4.8', value: 'Ile-de-France' },
        { oid: '2.5.4.7', value: 'Paris' },
        { oid: '2.5.4.10', value: 'Wharf CA' },
        { oid: '2.5.4.3', value: 'Wharf Test Root' },
      ],
      serialNumber: 42n,
      notBefore: Date.parse(client.validFrom) / 1000,
      notAfter: Date.parse(client.validTo) / 1000,
      dnsNames: ['b.example', 'a.example'],
      emailAddresses: ['me@example.com'],
      ipAddresses: ['10.0.0.1', '::1'],
      uris: ['spiffe://acme.com/client'],
    });
  });
});

describe('formatCertificateInfo (Traefik order, separators and quoting)', () => {
  const nb = () => seconds(client.validFrom);
  const na = () => seconds(client.validTo);
  const cases: Array<{ name: string; info: NonNullable<PassTlsClientCert['info']>; want: () => string }> = [
    {
      name: 'every field',
      info: ALL_INFO,
      want: () =>
        'Subject="DC=com,DC=acme,C=US,C=CA,ST=California,L=San Francisco,O=Cheese,O=Cheese 2,OU=Simple Unit,OU=Unit, two,SN=SN-77,CN=client one";' +
        'Issuer="DC=org,DC=example,C=FR,ST=Ile-de-France,L=Paris,O=Wharf CA,CN=Wharf Test Root";' +
        `SerialNumber="42";NB="${nb()}";NA="${na()}";` +
        'SAN="b.example,a.example,me@example.com,10.0.0.1,::1,spiffe://acme.com/client"',
    },
    { name: 'nothing selected', info: {}, want: () => '' },
    { name: 'empty subject selection', info: { subject: {} }, want: () => '' },
    {
      name: 'subject CN only',
      info: { subject: { commonName: true } },
      want: () => 'Subject="CN=client one"',
    },
    {
      name: 'issuer country and organization',
      info: { issuer: { country: true, organization: true } },
      want: () => 'Issuer="C=FR,O=Wharf CA"',
    },
    {
      name: 'notAfter before notBefore in the flags: output order is fixed',
      info: { notAfter: true, notBefore: true },
      want: () => `NB="${nb()}";NA="${na()}"`,
    },
    { name: 'serial number is decimal', info: { serialNumber: true }, want: () => 'SerialNumber="42"' },
    {
      name: 'domain components only',
      info: { subject: { domainComponent: true } },
      want: () => 'Subject="DC=com,DC=acme"',
    },
  ];
  it.each(cases)('$name', ({ info, want }) => {
    expect(formatCertificateInfo(fields, info)).toBe(want());
  });
});

describe('formatName (synthetic names)', () => {
  const at = (oid: string, value: string) => ({ oid, value });
  const cases = [
    {
      name: 'last CN and SN win, empty values are skipped, empty DC kept',
      attrs: [
        at('2.5.4.3', 'first'),
        at('2.5.4.3', 'second'),
        at('2.5.4.5', 'a'),
        at('2.5.4.5', 'b'),
        at('2.5.4.6', ''),
        at('0.9.2342.19200300.100.1.25', ''),
      ],
      options: { commonName: true, serialNumber: true, country: true, domainComponent: true },
      want: 'DC=,SN=b,CN=second',
    },
    {
      name: 'empty last CN prints nothing',
      attrs: [at('2.5.4.3', 'x'), at('2.5.4.3', '')],
      options: { commonName: true },
      want: '',
    },
    { name: 'nothing present', attrs: [], options: ALL_SUBJECT, want: '' },
    {
      name: 'order is by kind, not by the certificate',
      attrs: [at('2.5.4.3', 'cn'), at('2.5.4.10', 'o'), at('2.5.4.6', 'c')],
      options: ALL_SUBJECT,
      want: 'C=c,O=o,CN=cn',
    },
  ];
  it.each(cases)('$name', ({ attrs, options, want }) => {
    expect(formatName(attrs, options)).toBe(want);
  });
});

describe('queryEscape (Go url.QueryEscape)', () => {
  it.each([
    ['abcXYZ019-_.~', 'abcXYZ019-_.~'],
    ['a b', 'a+b'],
    ['Subject="CN=x";NA="1"', 'Subject%3D%22CN%3Dx%22%3BNA%3D%221%22'],
    ["!'()*,/:@", '%21%27%28%29%2A%2C%2F%3A%40'],
    ['é', '%C3%A9'],
  ])('%s', (input, want) => {
    expect(queryEscape(input)).toBe(want);
  });
});

describe('formatIp (Go net.IP.String)', () => {
  const v6 = (...groups: number[]) => Uint8Array.from(groups.flatMap((g) => [g >> 8, g & 0xff]));
  it.each([
    ['IPv4', Uint8Array.from([10, 0, 0, 1]), '10.0.0.1'],
    ['loopback', v6(0, 0, 0, 0, 0, 0, 0, 1), '::1'],
    ['unspecified', v6(0, 0, 0, 0, 0, 0, 0, 0), '::'],
    ['IPv4-mapped', v6(0, 0, 0, 0, 0, 0xffff, 0x0a00, 0x0001), '10.0.0.1'],
    ['longest zero run', v6(0x2001, 0xdb8, 0, 0, 1, 0, 0, 0), '2001:db8:0:0:1::'],
    ['first of equal runs', v6(0x2001, 0, 0, 1, 0, 0, 1, 1), '2001::1:0:0:1:1'],
    ['single zero group stays', v6(0x2001, 0xdb8, 0, 1, 1, 1, 1, 1), '2001:db8:0:1:1:1:1:1'],
  ])('%s', (_name, bytes, want) => {
    expect(formatIp(bytes)).toBe(want);
  });
});

describe('header values', () => {
  it('pem is the base64 DER of each certificate, joined by commas', () => {
    const pemBody = readFileSync(pki.client.cert, 'utf8')
      .replace('-----BEGIN CERTIFICATE-----', '')
      .replace('-----END CERTIFICATE-----', '')
      .replaceAll('\n', '');
    expect(formatPemHeader([client.raw])).toBe(pemBody);
    expect(formatPemHeader([client.raw, client.raw])).toBe(`${pemBody},${pemBody}`);
  });
  it('info joins certificates with a comma before URL-encoding', () => {
    const one = formatCertificateInfo(fields, { subject: { commonName: true } });
    expect(formatInfoHeader([fields, fields], { subject: { commonName: true } })).toBe(
      queryEscape(`${one},${one}`),
    );
    expect(formatInfoHeader([fields, fields], {})).toBe('%2C');
  });
});

describe('passTlsClientCert', () => {
  /** A request whose connection presented `cert` over TLS (or arrived without TLS). */
  const request = (
    cert: X509Certificate | undefined,
    encrypted = true,
    headers: Record<string, string> = {},
  ) => {
    const req = fakeRequest('/', { headers, scheme: encrypted ? 'https' : 'http' });
    Object.assign(req.socket, { encrypted, getPeerX509Certificate: () => cert });
    return req;
  };
  const cases: Array<{
    name: string;
    options: PassTlsClientCert;
    cert: () => X509Certificate | undefined;
    encrypted?: boolean;
    incoming?: Record<string, string>;
    want: () => Record<string, string | undefined>;
  }> = [
    {
      name: 'pem and info',
      options: { pem: true, info: { subject: { commonName: true }, sans: true } },
      cert: () => client,
      want: () => ({
        'x-forwarded-tls-client-cert': client.raw.toString('base64'),
        'x-forwarded-tls-client-cert-info': queryEscape(
          'Subject="CN=client one";SAN="b.example,a.example,me@example.com,10.0.0.1,::1,spiffe://acme.com/client"',
        ),
      }),
    },
    {
      name: 'info present but empty sets an empty header, as Traefik',
      options: { info: {} },
      cert: () => client,
      want: () => ({ 'x-forwarded-tls-client-cert': undefined, 'x-forwarded-tls-client-cert-info': '' }),
    },
    {
      name: 'no certificate: headers untouched',
      options: { pem: true, info: ALL_INFO },
      cert: () => undefined,
      incoming: { 'x-forwarded-tls-client-cert': 'from a trusted proxy' },
      want: () => ({
        'x-forwarded-tls-client-cert': 'from a trusted proxy',
        'x-forwarded-tls-client-cert-info': undefined,
      }),
    },
    {
      name: 'plain HTTP: nothing set',
      options: { pem: true },
      cert: () => client,
      encrypted: false,
      want: () => ({
        'x-forwarded-tls-client-cert': undefined,
        'x-forwarded-tls-client-cert-info': undefined,
      }),
    },
    {
      name: 'pem false, no info: nothing set',
      options: { pem: false },
      cert: () => client,
      want: () => ({
        'x-forwarded-tls-client-cert': undefined,
        'x-forwarded-tls-client-cert-info': undefined,
      }),
    },
  ];
  it.each(cases)('$name', async ({ options, cert, encrypted, incoming, want }) => {
    const run = await runMiddleware(passTlsClientCert(options), request(cert(), encrypted, incoming));
    const h = run.next?.headers ?? {};
    expect({
      'x-forwarded-tls-client-cert': h['x-forwarded-tls-client-cert'],
      'x-forwarded-tls-client-cert-info': h['x-forwarded-tls-client-cert-info'],
    }).toEqual(want());
  });
});
