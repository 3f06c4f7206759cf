import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BackendPki, makeBackendPki } from '../../test/helpers/backend-pki.ts';
import { chainIssuers, chooseClientCert, rawIssuer, scanCertificateRequest } from './client-cert-choice.ts';

let pki: BackendPki;
beforeAll(() => {
  pki = makeBackendPki();
});
afterAll(() => pki?.remove());

describe('rawIssuer', () => {
  it("is the issuer's subject: a self-signed CA's own, the same for what it signed", () => {
    const ca = new X509Certificate(readFileSync(pki.ca));
    const leaf = new X509Certificate(readFileSync(pki.client.cert));
    expect(rawIssuer(leaf.raw).equals(rawIssuer(ca.raw))).toBe(true);
    const self = new X509Certificate(readFileSync(pki.selfSigned.cert));
    expect(rawIssuer(self.raw).equals(rawIssuer(ca.raw))).toBe(false);
    // DER of a Name: a SEQUENCE holding the CN text.
    expect(rawIssuer(ca.raw)[0]).toBe(0x30);
    expect(rawIssuer(ca.raw).toString('latin1')).toContain('Wharf Backend CA');
  });

  it('chainIssuers reads every certificate of a PEM chain', () => {
    const chain = readFileSync(pki.client.cert, 'utf8') + readFileSync(pki.ca, 'utf8');
    expect(chainIssuers(chain)).toHaveLength(2);
    expect(chainIssuers('not a certificate')).toEqual([]);
  });
});

describe('chooseClientCert (Go: the first chain issued by an acceptable CA)', () => {
  const a = Buffer.from('A');
  const b = Buffer.from('B');
  const c = Buffer.from('C');
  it.each([
    { name: 'no CA list: the first', issuers: [[a], [b]], acceptable: [], out: 0 },
    { name: 'no certificates', issuers: [], acceptable: [], out: -1 },
    { name: 'the second fits', issuers: [[a], [b]], acceptable: [b], out: 1 },
    { name: 'both fit: the first', issuers: [[a], [b]], acceptable: [b, a], out: 0 },
    { name: 'none fits: none', issuers: [[a], [b]], acceptable: [c], out: -1 },
    { name: 'an intermediate of the chain fits', issuers: [[a, c], [b]], acceptable: [c], out: 0 },
  ])('$name', ({ issuers, acceptable, out }) => {
    expect(chooseClientCert(issuers, acceptable)).toBe(out);
  });
});

/** A TLS 1.2 handshake record holding `messages` (type, body). */
function record(...messages: Array<[number, Buffer]>): Buffer {
  const hs = Buffer.concat(
    messages.map(([type, body]) => {
      const head = Buffer.alloc(4);
      head[0] = type;
      head.writeUIntBE(body.length, 1, 3);
      return Buffer.concat([head, body]);
    }),
  );
  const head = Buffer.from([22, 3, 3, 0, 0]);
  head.writeUInt16BE(hs.length, 3);
  return Buffer.concat([head, hs]);
}

/** A CertificateRequest body: one certificate type, one signature algorithm, the CA names. */
function certificateRequest(cas: Buffer[]): Buffer {
  const names = Buffer.concat(
    cas.map((ca) => Buffer.concat([Buffer.from([ca.length >> 8, ca.length & 255]), ca])),
  );
  const len = Buffer.from([names.length >> 8, names.length & 255]);
  return Buffer.concat([Buffer.from([1, 64, 0, 2, 4, 3]), len, names]);
}

/** The same handshake bytes in two records, the first holding `k` of them. */
function split(one: Buffer, k: number): Buffer {
  const hs = one.subarray(5);
  const head = (n: number) => Buffer.from([22, 3, 3, n >> 8, n & 255]);
  return Buffer.concat([head(k), hs.subarray(0, k), head(hs.length - k), hs.subarray(k)]);
}

describe('scanCertificateRequest', () => {
  const hello = record([2, Buffer.alloc(10)]);
  const request = record(
    [2, Buffer.alloc(10)],
    [13, certificateRequest([Buffer.from('ca-1'), Buffer.from('ca-22')])],
  );
  it.each([
    { name: 'nothing yet', data: Buffer.alloc(0), out: { kind: 'incomplete' } },
    { name: 'ServerHello only', data: hello, out: { kind: 'incomplete' } },
    {
      name: 'a record cut short',
      data: request.subarray(0, request.length - 3),
      out: { kind: 'incomplete' },
    },
    {
      name: 'a CertificateRequest with two CAs',
      data: request,
      out: { kind: 'request', cas: [Buffer.from('ca-1'), Buffer.from('ca-22')] },
    },
    {
      name: 'a CertificateRequest with no CA',
      data: record([13, certificateRequest([])]),
      out: { kind: 'request', cas: [] },
    },
    {
      name: 'a message split over two records',
      data: split(request, 20),
      out: { kind: 'request', cas: [Buffer.from('ca-1'), Buffer.from('ca-22')] },
    },
    {
      name: 'ServerHelloDone without a request',
      data: record([2, Buffer.alloc(10)], [14, Buffer.alloc(0)]),
      out: { kind: 'none' },
    },
    { name: 'an alert', data: Buffer.from([21, 3, 3, 0, 2, 2, 40]), out: { kind: 'none' } },
  ])('$name', ({ data, out }) => {
    expect(scanCertificateRequest(data)).toEqual(out);
  });
});
