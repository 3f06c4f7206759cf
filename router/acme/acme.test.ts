import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { chmodSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { consulStorageTarget } from './consul-storage.ts';
import { accountKeyFromFile, LocalStorage, StoragePermissionsError } from './local-storage.ts';
import { certificateKey } from './resolver.ts';
import { renewalSchedule, retryDelay } from './schedule.ts';

const H = 3_600_000;
const D = 24 * H;

describe('renewalSchedule: Traefik getCertificateRenewDurations, then a third of the lifetime below 1h', () => {
  it.each([
    { duration: 365 * D, renew: 120 * D, check: 7 * D },
    { duration: 90 * D, renew: 30 * D, check: D },
    { duration: 30 * D, renew: 10 * D, check: 12 * H },
    { duration: 7 * D, renew: 2 * D, check: 2 * H },
    { duration: D, renew: 6 * H, check: 10 * 60_000 },
    { duration: 2 * H, renew: 20 * 60_000, check: 60_000 },
    { duration: 15_000, renew: 5_000, check: 1_250 },
    { duration: 6_000, renew: 2_000, check: 1_000 },
  ])('$duration ms', ({ duration, renew, check }) => {
    expect(renewalSchedule(duration)).toEqual({ renewBeforeMs: renew, checkEveryMs: check });
  });
});

describe('retryDelay', () => {
  it('doubles from 1 s (CA unreachable) or 1 min (CA refused), with ±20 % jitter, at most 1 h', () => {
    const mid = () => 0.5;
    expect([1, 2, 3, 4].map((n) => retryDelay(n, false, mid))).toEqual([1_000, 2_000, 4_000, 8_000]);
    expect([1, 2].map((n) => retryDelay(n, true, mid))).toEqual([60_000, 120_000]);
    expect(retryDelay(40, true, mid)).toBe(H);
    expect(retryDelay(1, false, () => 0)).toBe(800);
    expect(retryDelay(1, false, () => 1)).toBe(1_200);
  });
});

describe('certificateKey', () => {
  it('is the main domain, then the SANs sorted', () => {
    expect(certificateKey(['a.test', 'c.test', 'b.test'])).toBe('a.test,b.test,c.test');
    expect(certificateKey(['b.test', 'a.test'])).not.toBe(certificateKey(['a.test', 'b.test']));
  });
});

describe('consulStorageTarget', () => {
  const consul = { endpoints: ['10.0.0.1:8500'], rootKey: 'wharf', stale: false, token: 't' };
  it.each([
    { storage: 'acme.json', expected: undefined },
    { storage: '/data/acme.json', expected: undefined },
    {
      storage: 'consul',
      expected: {
        client: { endpoints: ['10.0.0.1:8500'], token: 't', tls: undefined, namespace: undefined },
        rootKey: 'wharf/acme',
        lockTtlMs: 10_000,
      },
    },
    {
      storage: 'consul://127.0.0.1:8501/certs?lockTTL=15s',
      expected: {
        client: { endpoints: ['127.0.0.1:8501'], token: 't', tls: undefined, namespace: undefined },
        rootKey: 'certs',
        lockTtlMs: 15_000,
      },
    },
  ])('$storage', ({ storage, expected }) => {
    expect(consulStorageTarget(storage, consul)).toEqual(expected);
  });
  it('names the problem: consul without providers.consul, a bad lockTTL', () => {
    expect(consulStorageTarget('consul', undefined)).toMatch(/needs providers\.consul/);
    expect(consulStorageTarget('consul://127.0.0.1:8500/x?lockTTL=soon', undefined)).toMatch(/lockTTL/);
    expect(consulStorageTarget('consul://127.0.0.1:8500', undefined)).toMatchObject({
      rootKey: 'wharf/acme',
    });
  });
});

describe('LocalStorage (acme.json)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wharf-acme-unit-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes by rename with mode 0600, keyed by resolver, and reads back what it wrote', async () => {
    const path = join(dir, 'acme.json');
    const a = new LocalStorage(path, 'a');
    const b = new LocalStorage(path, 'b');
    const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({
      format: 'pem',
      type: 'pkcs8',
    }) as string;
    await Promise.all([
      a.saveAccount({ email: 'a@x.test', url: 'https://ca/acct/1', keyPem: key }),
      a.saveCertificate({ domain: { main: 'a.test', sans: ['b.a.test'] }, certificate: 'CERT', key: 'KEY' }),
      b.saveCertificate({ domain: { main: 'b.test', sans: [] }, certificate: 'CERT-B', key: 'KEY-B' }),
    ]);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['acme.json']);
    expect(await a.load()).toEqual({
      account: { email: 'a@x.test', url: 'https://ca/acct/1', keyPem: key },
      certificates: [{ domain: { main: 'a.test', sans: ['b.a.test'] }, certificate: 'CERT', key: 'KEY' }],
    });
    expect((await b.load()).certificates.map((c) => c.domain.main)).toEqual(['b.test']);
  });

  it('refuses a file others can read, as Traefik does', async () => {
    const path = join(dir, 'open.json');
    writeFileSync(path, '{}');
    chmodSync(path, 0o644);
    await expect(new LocalStorage(path, 'le').load()).rejects.toBeInstanceOf(StoragePermissionsError);
  });

  it("reads Traefik's account key (base64 DER) as well as PEM", () => {
    const k = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const der = k.export({ format: 'der', type: 'sec1' }).toString('base64');
    const pem = accountKeyFromFile(der);
    expect(createPrivateKey(pem).export({ format: 'jwk' })).toEqual(k.export({ format: 'jwk' }));
  });
});
