import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensurePebble, type Pebble, startPebble } from '../acme/pebble.ts';
import {
  peerChain,
  removeDir,
  resolver,
  startAcmeWharf,
  until,
  untilAcmeCertificate,
} from '../acme/wharf-acme.ts';
import { type Backend, startEchoServer } from '../helpers/backends.ts';

// A CA that is down at first (default certificate, logged errors, retries with backoff, then issuance
// once it is up), and renewal of short-lived certificates swapped in without a restart. Pebble issues
// 15-second certificates here; `certificatesDuration: 15s` gives the schedule: renew with 5 s left.

const skip = await ensurePebble();
if (skip) console.log(`[acme] skipped: ${skip}`);

let pebble: Pebble;
let echo: Backend;
let dir: string;
beforeAll(async () => {
  if (skip) return;
  pebble = await startPebble({ validitySeconds: 15, start: false });
  echo = await startEchoServer();
  dir = mkdtempSync(join(tmpdir(), 'wharf-acme-'));
});
afterAll(async () => {
  await pebble?.stop();
  await echo?.close();
  if (dir) removeDir(dir);
});

const dynamic = (host: string) => ({
  http: {
    routers: {
      app: {
        rule: `Host(\`${host}\`)`,
        service: 'echo',
        entryPoints: ['websecure'],
        tls: { certResolver: 'le' },
      },
    },
    services: { echo: { loadBalancer: { servers: [{ url: echo.url }] } } },
  },
});

describe.skipIf(skip)('ACME renewal and an unreachable CA', () => {
  it('CA unreachable: the default certificate serves, each failure is logged with the domain and the cause, retries back off, and the certificate comes once the CA is up', async () => {
    const w = await startAcmeWharf(dynamic('down.acme.test'), {
      certificatesResolvers: resolver(pebble, join(dir, 'down.json'), {
        httpChallenge: { entryPoint: 'web' },
        certificatesDuration: '15s',
      }),
    });
    try {
      pebble.http.targets = [w.port('web')];
      const failures = () => w.logs.filter((l) => l.code === 'ACME_ORDER_FAILED');
      await until(() => failures().length >= 2, 'two failed attempts', 10_000);
      const [first, second] = failures() as unknown as Array<{
        msg: string;
        domain: string;
        failures: number;
      }>;
      expect(first?.domain).toBe('down.acme.test');
      expect(first?.msg).toMatch(/down\.acme\.test .*ECONNREFUSED.*next attempt in \d+s/);
      // Backing off: each failure is counted and announces a longer pause before the next attempt.
      const pause = (line: { msg: string } | undefined) =>
        Number(/next attempt in (\d+)s/.exec(line?.msg ?? '')?.[1]);
      expect([first?.failures, second?.failures]).toEqual([1, 2]);
      expect(pause(first)).toBeGreaterThanOrEqual(1);
      expect(pause(second)).toBeGreaterThan(pause(first));
      const served = (await peerChain(w.port('websecure'), 'down.acme.test')).chain[0];
      expect(served?.subject.CN).toBe('WHARF DEFAULT CERT');
      await pebble.startCa();
      await untilAcmeCertificate(w.port('websecure'), 'down.acme.test', 20_000);
    } finally {
      await w.stop();
    }
  });

  it('renews a certificate before it expires and serves the new one without a restart', async () => {
    const storage = join(dir, 'renew.json');
    const w = await startAcmeWharf(dynamic('renew.acme.test'), {
      certificatesResolvers: resolver(pebble, storage, {
        httpChallenge: { entryPoint: 'web' },
        certificatesDuration: '15s',
      }),
    });
    try {
      pebble.http.targets = [w.port('web')];
      const first = await untilAcmeCertificate(w.port('websecure'), 'renew.acme.test');
      const orders = pebble.orders();
      await until(() => w.logs.some((l) => l.msg === 'renewing the ACME certificate'), 'a renewal', 15_000);
      let renewed = first;
      const served = async () => {
        renewed = (await peerChain(w.port('websecure'), 'renew.acme.test')).chain[0] ?? first;
        return renewed.fingerprint256;
      };
      await expect.poll(served, { timeout: 15_000, interval: 200 }).not.toBe(first.fingerprint256);
      expect(renewed.fingerprint256).not.toBe(first.fingerprint256);
      expect(Date.parse(renewed.valid_to)).toBeGreaterThan(Date.parse(first.valid_to));
      expect(pebble.orders()).toBeGreaterThan(orders);
      const stored = JSON.parse(readFileSync(storage, 'utf8')) as { le: { Certificates: unknown[] } };
      expect(stored.le.Certificates).toHaveLength(1);
    } finally {
      await w.stop();
    }
  });
});
