import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fileOrContent, tlsConnectOptions, tlsServerName } from './transport-tls.ts';

const dir = mkdtempSync(join(tmpdir(), 'wharf-transport-tls-'));
const pemFile = join(dir, 'ca.pem');
const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
writeFileSync(pemFile, PEM);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('tlsServerName', () => {
  it.each([
    { host: 'api.internal', tls: undefined, out: 'api.internal' },
    { host: '127.0.0.1', tls: undefined, out: null },
    { host: '[::1]', tls: undefined, out: null },
    { host: '127.0.0.1', tls: { serverName: 'named.test' }, out: 'named.test' },
    { host: 'a.test', tls: { serverName: '' }, out: 'a.test' },
  ])('$host with $tls: $out', ({ host, tls, out }) => {
    expect(tlsServerName(host, tls)).toBe(out);
  });
});

describe('fileOrContent', () => {
  it('takes PEM text as it is and reads anything else as a file', () => {
    expect(fileOrContent(PEM, 'rootCAs[0]')).toBe(PEM);
    expect(fileOrContent(pemFile, 'rootCAs[0]')).toBe(PEM);
  });
  it('names the key and the file it cannot read', () => {
    expect(() => fileOrContent(join(dir, 'missing.pem'), 'rootCAs[1]')).toThrow(
      /^rootCAs\[1\] ".*missing\.pem" cannot be read \(ENOENT\)/,
    );
  });
});

describe('tlsConnectOptions', () => {
  it.each([
    { tls: undefined, out: {} },
    { tls: { insecureSkipVerify: true }, out: { rejectUnauthorized: false } },
    { tls: { rootCAs: [pemFile, PEM] }, out: { ca: [PEM, PEM] } },
    {
      tls: { certificates: [{ certFile: PEM, keyFile: pemFile }] },
      out: { cert: PEM, key: PEM },
    },
    {
      tls: { minVersion: 'VersionTLS12', maxVersion: 'VersionTLS13' },
      out: { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3' },
    },
  ])('$tls', ({ tls, out }) => {
    expect(tlsConnectOptions(tls)).toEqual(out);
  });

  it('refuses a minimum version above the maximum', () => {
    expect(() => tlsConnectOptions({ minVersion: 'VersionTLS13', maxVersion: 'VersionTLS12' })).toThrow(
      /minVersion VersionTLS13 is above maxVersion VersionTLS12/,
    );
  });

  it('peerCertURI: verifies the chain always and the URI SAN; the host name unless insecureSkipVerify', () => {
    const cert = { subjectaltname: 'DNS:b.test, URI:spiffe://x/y', subject: { CN: 'b.test' } } as never;
    const strict = tlsConnectOptions({ peerCertURI: 'spiffe://x/y' });
    expect(strict.rejectUnauthorized).toBe(true);
    expect(strict.checkServerIdentity?.('b.test', cert)).toBeUndefined();
    expect(strict.checkServerIdentity?.('other.test', cert)).toBeInstanceOf(Error);
    const loose = tlsConnectOptions({ peerCertURI: 'spiffe://x/y', insecureSkipVerify: true });
    expect(loose.rejectUnauthorized).toBe(true);
    expect(loose.checkServerIdentity?.('other.test', cert)).toBeUndefined();
    const wrong = tlsConnectOptions({ peerCertURI: 'spiffe://x/z', insecureSkipVerify: true });
    expect(wrong.checkServerIdentity?.('b.test', cert)?.message).toMatch(/no SAN URI "spiffe:\/\/x\/z"/);
  });
});
