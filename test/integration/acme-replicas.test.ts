import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { silentLogger } from '../../core/log.ts';
import { ConsulStorage, consulStorageTarget } from '../../router/acme/consul-storage.ts';
import { ensurePebble, type Pebble, startPebble } from '../acme/pebble.ts';
import {
  type AcmeWharf,
  peerChain,
  removeDir,
  resolver,
  startAcmeWharf,
  until,
  untilAcmeCertificate,
} from '../acme/wharf-acme.ts';
import { type ConsulTestServer, startConsulTestServer } from '../consul/server.ts';
import { type Backend, startEchoServer } from '../helpers/backends.ts';
import { programEnv } from '../helpers/program-env.ts';

// Three router replicas behind one name share ACME through Consul: one order per domain (a session lock),
// any replica answers the CA's challenge from the shared store, every replica serves the certificates,
// and a replica killed mid-order leaves the order to another once its session's TTL runs out.

const skip = await ensurePebble();
if (skip) console.log(`[acme] skipped: ${skip}`);

let pebble: Pebble;
let consul: ConsulTestServer;
let echo: Backend;
let dir: string;
beforeAll(async () => {
  if (skip) return;
  pebble = await startPebble();
  consul = await startConsulTestServer({ sessionTtlMinMs: 1_000 });
  echo = await startEchoServer();
  dir = mkdtempSync(join(tmpdir(), 'wharf-acme-'));
});
afterAll(async () => {
  await pebble?.stop();
  await consul?.close();
  await echo?.close();
  if (dir) removeDir(dir);
});

const storage = (root: string) => `consul://127.0.0.1:${consul.port}/${root}?lockTTL=2s`;
const dynamic = (hosts: string[]) => ({
  http: {
    routers: Object.fromEntries(
      hosts.map((h, i) => [
        `r${i}`,
        { rule: `Host(\`${h}\`)`, service: 'echo', entryPoints: ['websecure'], tls: { certResolver: 'le' } },
      ]),
    ),
    services: { echo: { loadBalancer: { servers: [{ url: echo.url }] } } },
  },
});

/** The certificate a TLS-ALPN-01 validator (ALPN acme-tls/1 only) gets for `servername`. */
function alpnHandshake(port: number, servername: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({
      host: '127.0.0.1',
      port,
      servername,
      ALPNProtocols: ['acme-tls/1'],
      rejectUnauthorized: false,
    });
    s.once('secureConnect', () => {
      resolve(`${s.alpnProtocol} ${s.getPeerCertificate().subject.CN}`);
      s.end();
    });
    s.once('error', reject);
  });
}

describe.skipIf(skip)('ACME shared by three replicas through Consul', () => {
  it('exactly one order per domain; every replica serves the certificates; any replica answers challenges from the store', async () => {
    const hosts = ['one.replicas.test', 'two.replicas.test'];
    const config = {
      certificatesResolvers: resolver(pebble, storage('shared'), {
        httpChallenge: { entryPoint: 'web' },
        tlsChallenge: {},
      }),
    };
    const before = pebble.orders();
    const replicas: AcmeWharf[] = await Promise.all(
      [0, 1, 2].map(() => startAcmeWharf(dynamic(hosts), config, dir)),
    );
    try {
      pebble.http.targets = replicas.map((r) => r.port('web'));
      for (const r of replicas)
        for (const h of hosts) await untilAcmeCertificate(r.port('websecure'), h, 30_000);
      expect(pebble.orders() - before).toBe(hosts.length);
      const placed = replicas.map((r) => r.wharf.acme?.resolvers.get('le')?.orders ?? 0);
      expect(placed.reduce((a, b) => a + b, 0)).toBe(hosts.length);
      // Same certificate everywhere.
      for (const h of hosts) {
        const prints = await Promise.all(
          replicas.map(async (r) => (await peerChain(r.port('websecure'), h)).chain[0]?.fingerprint256),
        );
        expect(new Set(prints).size).toBe(1);
      }

      // A challenge published by one writer is answered by every replica, HTTP-01 and TLS-ALPN-01.
      const target = consulStorageTarget(storage('shared'), undefined);
      if (!target || typeof target === 'string') throw new Error(String(target));
      const writer = new ConsulStorage(target, 'le', silentLogger());
      await writer.putChallenge('http-01', 'tok-123', 'tok-123.thumbprint');
      await writer.putChallenge(
        'tls-alpn-01',
        'alpn.replicas.test',
        JSON.stringify(await makeAlpnChallenge('alpn.replicas.test')),
      );
      for (const r of replicas) {
        const res = await request(`http://127.0.0.1:${r.port('web')}/.well-known/acme-challenge/tok-123`);
        expect([res.statusCode, await res.body.text()]).toEqual([200, 'tok-123.thumbprint']);
        expect(await alpnHandshake(r.port('websecure'), 'alpn.replicas.test')).toBe(
          'acme-tls/1 alpn.replicas.test',
        );
      }
      await writer.removeChallenge('http-01', 'tok-123');
      await writer.close();
    } finally {
      await Promise.all(replicas.map((r) => r.stop()));
    }
  });

  it('a replica killed mid-order releases its lock after the session TTL; another replica completes the order', async () => {
    const host = 'killed.replicas.test';
    const root = 'kill';
    const config = { certificatesResolvers: resolver(pebble, storage(root)) };
    // Replica X, a separate process: the CA's validation is held, so X stays mid-order until killed.
    pebble.http.hold = true;
    const file = join(dir, 'x-dynamic.yml');
    writeFileSync(file, stringify(dynamic([host])));
    const staticFile = join(dir, 'x-static.yml');
    writeFileSync(
      staticFile,
      stringify({
        entryPoints: { web: { address: '127.0.0.1:0' }, websecure: { address: '127.0.0.1:0' } },
        providers: { providersThrottleDuration: '0s', file: { filename: file } },
        log: { level: 'DEBUG', format: 'json' },
        ...config,
      }),
    );
    let out = '';
    const main = join(import.meta.dirname, '../../cli/wharf-main.ts');
    const x: ChildProcess = spawn(process.execPath, [main, `--configFile=${staticFile}`], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: programEnv(),
    });
    x.stdout?.on('data', (c: Buffer) => (out += c.toString()));
    x.stderr?.on('data', (c: Buffer) => (out += c.toString()));
    let y: AcmeWharf | undefined;
    try {
      const kv = async (prefix: string): Promise<Array<{ Key: string; Session?: string }>> => {
        const res = await request(`${consul.url}/v1/kv/${prefix}?recurse`);
        if (res.statusCode === 200)
          return (await res.body.json()) as Array<{ Key: string; Session?: string }>;
        await res.body.dump();
        return [];
      };
      await until(() => out.includes('obtaining an ACME certificate'), 'X ordering', 20_000);
      let held: Array<{ Key: string; Session?: string }> = [];
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline) {
        held = await kv(`${root}/le/`);
        if (
          held.some((e) => e.Key.includes('/challenges/http-01/')) &&
          held.some((e) => e.Key.endsWith(`locks/${host}`) && e.Session)
        )
          break;
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(held.find((e) => e.Key.endsWith(`locks/${host}`))?.Session).toBeTruthy();
      // Y starts while X holds the lock: it must not order.
      y = await startAcmeWharf(dynamic([host]), config, dir);
      // Y has tried the lock and found it busy: no attempt in flight, one waiting to try again.
      const yLe = y.wharf.acme?.resolvers.get('le');
      await until(
        () => yLe?.pending.ordering === 0 && yLe.pending.waiting === 1,
        'Y to find the lock busy',
        10_000,
      );
      expect(yLe?.orders).toBe(0);
      x.kill('SIGKILL');
      pebble.http.hold = false;
      pebble.http.dropAll();
      pebble.http.targets = [y.port('web')];
      await untilAcmeCertificate(y.port('websecure'), host, 20_000);
      expect(y.wharf.acme?.resolvers.get('le')?.orders).toBe(1);
    } finally {
      if (x.exitCode === null && x.signalCode === null) x.kill('SIGKILL');
      pebble.http.hold = false;
      await y?.stop();
    }
  });
});

/** A TLS-ALPN-01 certificate for `name`, as a replica would publish it. */
async function makeAlpnChallenge(name: string): Promise<{ cert: string; key: string }> {
  const { default: acme } = await import('acme-client');
  const { newPrivateKey } = await import('../../router/acme/order.ts');
  const [key, cert] = await acme.crypto.createAlpnCertificate(
    { identifier: { type: 'dns', value: name } } as Parameters<typeof acme.crypto.createAlpnCertificate>[0],
    'token.thumbprint',
    newPrivateKey('EC256'),
  );
  return { cert: cert.toString(), key: key.toString() };
}
