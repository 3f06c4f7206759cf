import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TlsConfig } from '../../config/dynamic.ts';
import { type CertFactory, certFactory, type TestCert } from '../../test/helpers/certs.ts';
import { buildTls } from './build-tls.ts';
import { certificateNames, isProblem, loadCertificate } from './certificates.ts';
import { generateDefaultCertificate } from './default-certificate.ts';
import { CertificateStore } from './store.ts';

let certs: CertFactory;
let a: TestCert;
let wild: TestCert;
let ip: TestCert;
beforeAll(() => {
  certs = certFactory();
  a = certs.make('a', ['a.test', 'b.test']);
  wild = certs.make('wild', ['*.w.test', 'a.test']);
  ip = certs.make('ip', ['127.0.0.1']);
});
afterAll(() => certs?.remove());

const load = (c: TestCert) => {
  const r = loadCertificate(c, readFileSync);
  if (isProblem(r)) throw new Error(r.code);
  return r;
};

describe('certificates', () => {
  it('reads names from SANs (DNS and IP) and the CN', () => {
    expect(certificateNames(new X509Certificate(readFileSync(a.certFile)))).toEqual(['a.test', 'b.test']);
    expect(certificateNames(new X509Certificate(readFileSync(ip.certFile)))).toEqual(['127.0.0.1']);
    expect(load(wild).names).toEqual(['*.w.test', 'a.test']);
  });

  it('accepts inline PEM as Traefik does, and reports unreadable files, bad PEM and mismatched keys', () => {
    const pem = { certFile: readFileSync(a.certFile, 'utf8'), keyFile: readFileSync(a.keyFile, 'utf8') };
    expect(load(pem as TestCert).names).toEqual(['a.test', 'b.test']);
    const problems = [
      loadCertificate({ certFile: '/nope.pem', keyFile: a.keyFile }, readFileSync),
      loadCertificate({ certFile: a.keyFile, keyFile: a.keyFile }, readFileSync),
      loadCertificate({ certFile: a.certFile, keyFile: a.certFile }, readFileSync),
      loadCertificate({ certFile: a.certFile, keyFile: wild.keyFile }, readFileSync),
    ].map((r) => (isProblem(r) ? [r.code, r.params.field ?? ''] : ['loaded']));
    expect(problems).toEqual([
      ['TLS_CERT_UNREADABLE', 'certFile'],
      ['TLS_CERT_INVALID', 'certFile'],
      ['TLS_CERT_INVALID', 'keyFile'],
      ['TLS_KEY_MISMATCH', ''],
    ]);
  });

  it('the generated default certificate is self-signed, named WHARF DEFAULT CERT and serves no real name', async () => {
    const d = await generateDefaultCertificate();
    const x = new X509Certificate(d.cert);
    expect(x.subject).toBe('CN=WHARF DEFAULT CERT');
    expect(x.verify(x.publicKey)).toBe(true);
    expect(d.names).toEqual([expect.stringMatching(/^[0-9a-f]{32}\.[0-9a-f]{32}\.wharf\.default$/)]);
    // Written by hand in DER (no certificate library): a v3 leaf for server auth, valid for a year from now.
    expect(x.ca).toBe(false);
    expect(x.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
    expect(x.checkPrivateKey(createPrivateKey(d.key))).toBe(true);
    const days = (Date.parse(x.validTo) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(364);
    expect(days).toBeLessThan(366);
    expect(Date.parse(x.validFrom)).toBeLessThanOrEqual(Date.now());
    const other = await generateDefaultCertificate();
    expect(new X509Certificate(other.cert).serialNumber).not.toBe(x.serialNumber);
  });
});

describe('CertificateStore', () => {
  it('matches exact names, then one-label wildcards; the first certificate wins a name', () => {
    const store = new CertificateStore([load(a), load(wild), load(ip)], undefined);
    const table: Array<[string | undefined, string | undefined]> = [
      ['a.test', 'a'],
      ['b.test', 'a'],
      ['x.w.test', 'wild'],
      ['y.x.w.test', undefined],
      ['w.test', undefined],
      ['127.0.0.1', 'ip'],
      [undefined, undefined],
    ];
    const ids = new Map([
      [load(a).id, 'a'],
      [load(wild).id, 'wild'],
      [load(ip).id, 'ip'],
    ]);
    for (const [name, expected] of table) {
      const got = store.match(name);
      expect([name, got && ids.get(got.id)]).toEqual([name, expected]);
    }
  });
});

describe('buildTls', () => {
  it('leaves out bad certificates and options with a diagnostic naming each; qualifies options by provider', () => {
    const files: TlsConfig = {
      certificates: [
        a,
        { certFile: '/missing.pem', keyFile: a.keyFile },
        { certFile: a.certFile, keyFile: wild.keyFile },
      ],
      options: { modern: { minVersion: 'VersionTLS13' }, bad: { maxVersion: 'VersionTLS14' } },
      stores: { default: { defaultCertificate: wild }, other: {} },
    };
    const { state, diagnostics } = buildTls([{ provider: 'file', config: files }], {});
    expect([...state.options.keys()].sort()).toEqual(['default', 'modern@file']);
    expect([...state.invalidOptions.keys()]).toEqual(['bad@file']);
    expect(state.store.certificates.map((c) => c.names[0])).toEqual(['a.test']);
    expect(state.store.defaultCertificate?.names).toEqual(['*.w.test', 'a.test']);
    expect(diagnostics.map((d) => [d.code, d.severity, d.item?.name])).toEqual([
      ['TLS_CERT_UNREADABLE', 'error', 'certificates[1]'],
      ['TLS_KEY_MISMATCH', 'error', 'certificates[2]'],
      ['CONFIG_UNSUPPORTED', 'warning', 'stores.other'],
      ['TLS_OPTIONS_INVALID', 'error', 'options.bad'],
    ]);
    expect(diagnostics[0]?.message).toBe(
      'tls.certificates[1] (provider file): cannot read certFile /missing.pem: ENOENT; the certificate is left out',
    );
  });

  it('default options and default certificate set by two providers: an error, and the built-in ones', () => {
    const config: TlsConfig = {
      options: { default: { minVersion: 'VersionTLS13' } },
      stores: { default: { defaultCertificate: a } },
    };
    const { state, diagnostics } = buildTls(
      [
        { provider: 'consul', config },
        { provider: 'file', config },
      ],
      {},
    );
    expect(state.options.get('default')?.secure.minVersion).toBe('TLSv1.2');
    expect(state.store.defaultCertificate).toBeUndefined();
    expect(diagnostics.map((d) => d.code)).toEqual(['TLS_DEFAULT_CONFLICT', 'TLS_DEFAULT_CONFLICT']);
  });

  it("certificates of resolvers' providers (a.acme) serve after configured ones and are marked as such", () => {
    // `a.acme` sorts before `file`: without acmeProviders its certificate would win a.test.
    const { state } = buildTls(
      [
        { provider: 'a.acme', config: { certificates: [wild] } },
        { provider: 'file', config: { certificates: [a] } },
      ],
      { acmeProviders: new Set(['a.acme']) },
    );
    expect(state.store.certificates.map((c) => c.id)).toEqual([load(a).id, load(wild).id]);
    expect(state.store.match('a.test')?.id).toBe(load(a).id);
    expect(state.store.match('x.w.test')?.id).toBe(load(wild).id);
    expect([...state.acmeCertificateIds]).toEqual([load(wild).id]);
  });
});
