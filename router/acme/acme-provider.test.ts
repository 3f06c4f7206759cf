import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AcmeResolverSchema } from '../../config/static.ts';
import { silentLogger } from '../../core/log.ts';
import type { Snapshot } from '../../providers/provider.ts';
import { until } from '../../test/helpers/backends.ts';
import { type CertFactory, certFactory } from '../../test/helpers/certs.ts';
import { startWharf } from '../../test/helpers/wharf.ts';
import { isProblem, loadCertificate } from '../tls/certificates.ts';
import { AcmeProvider, acmeSnapshot } from './acme-provider.ts';
import { LocalStorage } from './local-storage.ts';
import { AcmeResolver } from './resolver.ts';
import type { AcmeStorage, StoredCertificate } from './storage.ts';

let certs: CertFactory;
beforeAll(() => {
  certs = certFactory();
});
afterAll(() => certs?.remove());

/** A certificate for `names` as a resolver stores it (PEM text). */
function stored(file: string, names: readonly string[]): StoredCertificate {
  const c = certs.make(file, names);
  return {
    domain: { main: names[0] as string, sans: names.slice(1) },
    certificate: readFileSync(c.certFile, 'utf8'),
    key: readFileSync(c.keyFile, 'utf8'),
  };
}

/** A storage in memory whose `watch` a test feeds, as Consul's does when another replica writes. */
class MemoryStorage implements AcmeStorage {
  readonly description = 'memory';
  readonly locks: string[] = [];
  certificates: StoredCertificate[] = [];
  push: ((list: StoredCertificate[]) => void) | undefined;
  load = async () => ({ account: undefined, certificates: this.certificates });
  saveAccount = async (a: Parameters<AcmeStorage['saveAccount']>[0]) => a;
  saveCertificate = async () => {};
  getCertificate = async () => undefined;
  putChallenge = async () => {};
  removeChallenge = async () => {};
  getChallenge = async () => undefined;
  tryLock = async (name: string) => {
    this.locks.push(name);
    return undefined;
  };
  watch(onCertificates: (list: StoredCertificate[]) => void): void {
    this.push = onCertificates;
  }
  close = async () => {};
}

describe('acmeSnapshot', () => {
  it('is a dynamic configuration with only tls.certificates, as PEM text in the default store', () => {
    const s = stored('one', ['one.test']);
    const loaded = loadCertificate({ certFile: s.certificate, keyFile: s.key }, readFileSync);
    if (isProblem(loaded)) throw new Error(loaded.code);
    expect(acmeSnapshot('le.acme', [loaded])).toEqual({
      provider: 'le.acme',
      config: { tls: { certificates: [{ certFile: s.certificate, keyFile: s.key, stores: ['default'] }] } },
      diagnostics: [],
    });
    expect(acmeSnapshot('le.acme', []).config).toEqual({ tls: { certificates: [] } });
  });
});

describe('AcmeProvider', () => {
  it('yields the stored certificates at once, the whole set again after each change, and ends on abort', async () => {
    const storage = new MemoryStorage();
    const first = stored('first', ['first.test']);
    storage.certificates = [first];
    const resolver = new AcmeResolver({
      name: 'le',
      config: AcmeResolverSchema.parse({ certificatesDuration: '24h' }),
      storage,
      logger: silentLogger(),
    });
    await resolver.start();
    const provider = new AcmeProvider(resolver);
    expect(provider.name).toBe('le.acme');
    const controller = new AbortController();
    const seen: string[][] = [];
    const done = (async () => {
      for await (const snap of provider.watch(controller.signal) as AsyncIterable<Snapshot>)
        seen.push((snap.config.tls?.certificates ?? []).map((c) => c.certFile));
    })();
    await until(() => seen.length === 1, 'the first snapshot');
    expect(seen[0]).toEqual([first.certificate]);
    // Another replica obtained a certificate and renewed the first one: both reach the snapshot.
    const renewed = stored('renewed', ['first.test']);
    const second = stored('second', ['second.test']);
    storage.push?.([renewed, second]);
    await until(() => seen.length === 2, 'a snapshot after the change');
    expect(seen[1]).toEqual([renewed.certificate, second.certificate]);
    // The same set again is no change: no snapshot.
    storage.push?.([renewed, second]);
    controller.abort();
    await done;
    expect(seen).toHaveLength(2);
    await resolver.stop();
  });
});

/** A loopback port nothing listens on: a CA that cannot be reached. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

describe('the table listener', () => {
  it("serves stored certificates through provider le.acme and orders for the domains of the table's routers", async () => {
    const path = join(certs.dir, 'acme.json');
    const kept = stored('kept', ['kept.test']);
    await new LocalStorage(path, 'le').saveCertificate(kept);
    const router = (host: string) => ({
      rule: `Host(\`${host}\`)`,
      service: 's',
      tls: { certResolver: 'le' },
    });
    const w = await startWharf(
      {
        http: {
          routers: { kept: router('kept.test'), wanted: router('wanted.test') },
          services: { s: { loadBalancer: { servers: [{ url: 'http://127.0.0.1:9' }] } } },
        },
      },
      {
        certificatesResolvers: {
          le: {
            acme: {
              caServer: `http://127.0.0.1:${await closedPort()}/dir`,
              storage: path,
              certificatesDuration: '24h',
              httpChallenge: { entryPoint: 'web' },
            },
          },
        },
      },
    );
    try {
      const resolver = w.wharf.acme?.resolvers.get('le');
      // The table in service holds the stored certificate, from the resolver's provider.
      const tls = w.wharf.tableRef.current().table.tls?.state;
      const servedId = tls?.store.match('kept.test')?.id;
      expect(servedId).toBeDefined();
      expect(tls?.acmeCertificateIds.has(servedId as string)).toBe(true);
      // The listener told the resolver what both routers want; only the missing one is ordered.
      await until(() => (resolver?.orders ?? 0) > 0, 'an order for wanted.test');
      expect(resolver?.wanted().map((x) => [x.names, x.routers])).toEqual([
        [['kept.test'], ['kept@file']],
        [['wanted.test'], ['wanted@file']],
      ]);
      // A router removed from the table is no longer wanted.
      await w.reload({
        http: {
          routers: { kept: router('kept.test') },
          services: { s: { loadBalancer: { servers: [{ url: 'http://127.0.0.1:9' }] } } },
        },
      });
      expect(resolver?.wanted().map((x) => x.names)).toEqual([['kept.test']]);
    } finally {
      await w.stop();
    }
  });
});
