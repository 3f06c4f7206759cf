import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import acme from 'acme-client';
import { afterAll, describe, expect, it } from 'vitest';
import { StaticConfigSchema } from '../../config/static.ts';
import { setupAcmeHttp } from './http-setup.ts';
import { csrFor, newPrivateKey } from './order.ts';

// ACME keys of Traefik v3.7 that shape the CSR and the CA connection: disableCommonName, caSystemCertPool,
// caServerName.

const dir = mkdtempSync(join(tmpdir(), 'wharf-acme-options-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const config = (acmeKeys: Record<string, unknown>) =>
  StaticConfigSchema.parse({ certificatesResolvers: { le: { acme: { tlsChallenge: {}, ...acmeKeys } } } })
    .certificatesResolvers?.le?.acme as NonNullable<
    ReturnType<typeof StaticConfigSchema.parse>['certificatesResolvers']
  >[string]['acme'];

describe('ACME options', () => {
  it.each([
    [{}, 'a.example.test'],
    [{ disableCommonName: true }, undefined],
  ])('CSR with %j: common name %s, every name in subjectAltName', async (keys, commonName) => {
    const csr = await csrFor(config(keys), ['a.example.test', '*.b.example.test'], newPrivateKey('EC256'));
    const read = acme.crypto.readCsrDomains(csr);
    expect(read.commonName ?? undefined).toBe(commonName);
    expect(read.altNames).toEqual(['a.example.test', '*.b.example.test']);
  });

  it.each([
    ['caCertificates alone replace the system roots (Traefik)', false, 1],
    ['caSystemCertPool keeps the system roots too', true, rootCertificates.length + 1],
  ])('%s', (_, systemRoots, count) => {
    const file = join(dir, `ca-${count}.pem`);
    writeFileSync(file, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    setupAcmeHttp([], 1_000, { systemRoots, servername: 'ca.internal' });
    // The extra CAs are kept per process; only count what this call trusts beyond them.
    setupAcmeHttp([file], 1_000, { systemRoots, servername: 'ca.internal' });
    const agent = acme.axios.defaults.httpsAgent as Agent & {
      options: { ca?: string[]; servername?: string };
    };
    expect(agent.options.servername).toBe('ca.internal');
    expect((agent.options.ca ?? []).length).toBeGreaterThanOrEqual(count);
    if (!systemRoots) expect(agent.options.ca?.some((c) => rootCertificates.includes(c))).toBe(false);
    else
      expect(agent.options.ca?.filter((c) => rootCertificates.includes(c)).length).toBe(
        rootCertificates.length,
      );
  });
});
