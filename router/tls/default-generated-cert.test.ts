import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TlsConfig } from '../../config/dynamic.ts';
import { type CertFactory, certFactory, type TestCert } from '../../test/helpers/certs.ts';
import { buildTls } from './build-tls.ts';

// tls.stores.default.defaultGeneratedCert as Traefik's TLS manager and ACME provider treat it: the
// resolver's certificate for exactly those names becomes the default; defaultCertificate wins over it.

let certs: CertFactory;
let exact: TestCert;
let other: TestCert;
let configured: TestCert;
beforeAll(() => {
  certs = certFactory();
  exact = certs.make('exact', ['example.test', '*.example.test']);
  other = certs.make('other', ['example.test']);
  configured = certs.make('configured', ['configured.test']);
});
afterAll(() => certs?.remove());

const generated = { resolver: 'le', domain: { main: 'Example.test', sans: ['*.example.test'] } };
const acme = (...c: TestCert[]): { provider: string; config: TlsConfig } => ({
  provider: 'le.acme',
  config: { certificates: c.map((x) => ({ ...x, stores: ['default'] })) },
});
const build = (sections: Array<{ provider: string; config: TlsConfig }>) =>
  buildTls(sections, { acmeProviders: new Set(['le.acme']) });

describe('defaultGeneratedCert', () => {
  it("serves the resolver's certificate with exactly the domain's names as the default one", () => {
    const { state, diagnostics } = build([
      { provider: 'file', config: { stores: { default: { defaultGeneratedCert: generated } } } },
      acme(other, exact),
    ]);
    expect(diagnostics).toEqual([]);
    expect(state.defaultGeneratedCert).toEqual(generated);
    expect(state.store.defaultCertificate?.names).toEqual(['example.test', '*.example.test']);
  });

  it('keeps the generated default until the resolver has the certificate', () => {
    const { state } = build([
      { provider: 'file', config: { stores: { default: { defaultGeneratedCert: generated } } } },
      acme(other),
    ]);
    expect(state.defaultGeneratedCert).toEqual(generated);
    expect(state.store.defaultCertificate).toBeUndefined();
  });

  it('defaultCertificate wins: a warning, nothing is asked of the resolver', () => {
    const { state, diagnostics } = build([
      {
        provider: 'file',
        config: { stores: { default: { defaultCertificate: configured, defaultGeneratedCert: generated } } },
      },
      acme(exact),
    ]);
    expect(state.defaultGeneratedCert).toBeUndefined();
    expect(state.store.defaultCertificate?.names).toEqual(['configured.test']);
    expect(diagnostics.map((d) => `${d.severity} ${d.code}`)).toEqual(['warning CONFIG_UNSUPPORTED']);
    expect(diagnostics[0]?.message).toMatch(/defaultCertificate is served and nothing is obtained/);
  });

  it('two providers setting it: an error and none is used', () => {
    const { state, diagnostics } = build([
      { provider: 'a', config: { stores: { default: { defaultGeneratedCert: generated } } } },
      { provider: 'b', config: { stores: { default: { defaultGeneratedCert: generated } } } },
    ]);
    expect(state.defaultGeneratedCert).toBeUndefined();
    expect(diagnostics.map((d) => `${d.severity} ${d.code}`)).toEqual(['error TLS_DEFAULT_CONFLICT']);
  });
});
