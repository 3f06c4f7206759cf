import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { connect as h2connect } from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
import { type Backend, startEchoServer } from '../helpers/backends.ts';

// Issuance with HTTP-01 and TLS-ALPN-01 against a real Pebble, hot swap, HTTP/2, restart reuse, a bad
// domain next to good ones. Pebble's validation connects to relays that forward to the Wharf under test.

const skip = await ensurePebble();
if (skip) console.log(`[acme] skipped: ${skip}`);

let pebble: Pebble;
let echo: Backend;
let dir: string;
beforeAll(async () => {
  if (skip) return;
  pebble = await startPebble({ blocklist: ['blocked.acme.test'] });
  echo = await startEchoServer();
  dir = mkdtempSync(join(tmpdir(), 'wharf-acme-'));
});
afterAll(async () => {
  await pebble?.stop();
  await echo?.close();
  if (dir) removeDir(dir);
});

const dynamic = (routers: Record<string, unknown>) => ({
  http: { routers, services: { echo: { loadBalancer: { servers: [{ url: echo.url }] } } } },
});
const tlsRouter = (host: string, extra: Record<string, unknown> = {}) => ({
  rule: `Host(\`${host}\`)`,
  service: 'echo',
  entryPoints: ['websecure'],
  tls: { certResolver: 'le', ...extra },
});

/** Verifies the served chain against Pebble's root, for `servername`; resolves with the ALPN protocol. */
function verifiedHandshake(port: number, servername: string, root: string): Promise<string | false> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({
      host: '127.0.0.1',
      port,
      servername,
      ca: root,
      ALPNProtocols: ['h2', 'http/1.1'],
    });
    socket.once('secureConnect', () => {
      resolve(socket.alpnProtocol ?? false);
      socket.end();
    });
    socket.once('error', reject);
  });
}

describe.skipIf(skip)('ACME with Pebble', () => {
  it('HTTP-01: a router with certResolver gets a certificate that chains to the CA root, served over HTTP/2; a restart reuses it', async () => {
    const storage = join(dir, 'acme.json');
    const routers = { app: tlsRouter('app.acme.test'), other: tlsRouter('other.acme.test') };
    let w: AcmeWharf | undefined = await startAcmeWharf(dynamic(routers), {
      certificatesResolvers: resolver(pebble, storage),
    });
    try {
      pebble.http.targets = [w.port('web')];
      const ordersBefore = pebble.orders();
      const cert = await untilAcmeCertificate(w.port('websecure'), 'app.acme.test');
      expect(cert.subjectaltname).toContain('DNS:app.acme.test');
      await untilAcmeCertificate(w.port('websecure'), 'other.acme.test');
      const root = await pebble.root();
      expect(await verifiedHandshake(w.port('websecure'), 'app.acme.test', root)).toBe('h2');

      // HTTP/2 request through the router with the ACME certificate, verified against Pebble's root.
      const client = h2connect(`https://127.0.0.1:${w.port('websecure')}`, {
        ca: root,
        servername: 'app.acme.test',
      });
      const status = await new Promise<number>((resolve, reject) => {
        const req = client.request({ ':path': '/hello', ':authority': 'app.acme.test' });
        req.on('response', (h) => resolve(Number(h[':status'])));
        req.resume();
        req.on('error', reject);
        req.end();
      });
      client.close();
      expect(status).toBe(200);
      expect(pebble.orders() - ordersBefore).toBe(2);

      // Stored in acme.json (Traefik's layout), mode 0600.
      expect(statSync(storage).mode & 0o777).toBe(0o600);
      const file = JSON.parse(readFileSync(storage, 'utf8')) as {
        le: { Account: { Email: string }; Certificates: Array<{ domain: { main: string } }> };
      };
      expect(file.le.Account.Email).toBe('ops@wharf.test');
      expect(file.le.Certificates.map((c) => c.domain.main).sort()).toEqual([
        'app.acme.test',
        'other.acme.test',
      ]);

      // A restart serves the stored certificates at once and orders nothing.
      await w.stop();
      w = undefined;
      const ordersAtRestart = pebble.orders();
      w = await startAcmeWharf(dynamic(routers), { certificatesResolvers: resolver(pebble, storage) });
      const again = await untilAcmeCertificate(w.port('websecure'), 'app.acme.test', 2_000);
      expect(again.fingerprint256).toBe(cert.fingerprint256);
      // The routers are in service (ready), so the resolver has been told what they want and has decided,
      // synchronously, whether to order: nothing is being ordered or waiting to be.
      await w.wharf.ready;
      const le = w.wharf.acme?.resolvers.get('le');
      expect(le?.pending).toEqual({ ordering: 0, waiting: 0 });
      expect(le?.orders).toBe(0);
      expect(pebble.orders()).toBe(ordersAtRestart);
      expect(w.logs.filter((l) => l.msg === 'obtaining an ACME certificate')).toEqual([]);
    } finally {
      await w?.stop();
    }
  });

  it('while a certificate is being obtained the default certificate serves; a router added later gets one without a restart', async () => {
    const storage = join(dir, 'hot.json');
    const w = await startAcmeWharf(dynamic({}), { certificatesResolvers: resolver(pebble, storage) });
    try {
      // The CA cannot validate until the relay points at this Wharf: meanwhile the default certificate serves.
      pebble.http.targets = [];
      w.write(dynamic({ late: tlsRouter('late.acme.test') }));
      await until(
        () => w.logs.some((l) => l.msg === 'obtaining an ACME certificate'),
        'an order for late.acme.test',
        10_000,
      );
      const served = (await peerChain(w.port('websecure'), 'late.acme.test')).chain[0];
      expect(served?.subject.CN).toBe('WHARF DEFAULT CERT');
      pebble.http.targets = [w.port('web')];
      await untilAcmeCertificate(w.port('websecure'), 'late.acme.test', 30_000);
      const res = await request(`http://127.0.0.1:${w.port('web')}/.well-known/acme-challenge/unknown-token`);
      expect(res.statusCode).toBe(404);
      await res.body.dump();
    } finally {
      await w.stop();
    }
  });

  it('TLS-ALPN-01: the validation is answered on the TLS entryPoint (acme-tls/1 routed before the handshake)', async () => {
    const storage = join(dir, 'alpn.json');
    const w = await startAcmeWharf(dynamic({ alpn: tlsRouter('alpn.acme.test') }), {
      certificatesResolvers: resolver(pebble, storage, { tlsChallenge: {} }),
    });
    try {
      pebble.tls.targets = [w.port('websecure')];
      const before = pebble.tls.forwarded.get(w.port('websecure')) ?? 0;
      const cert = await untilAcmeCertificate(w.port('websecure'), 'alpn.acme.test');
      expect(cert.subjectaltname).toContain('DNS:alpn.acme.test');
      expect(pebble.tls.forwarded.get(w.port('websecure')) ?? 0).toBeGreaterThan(before);
      expect(await verifiedHandshake(w.port('websecure'), 'alpn.acme.test', await pebble.root())).toBe('h2');
    } finally {
      await w.stop();
    }
  });

  it('a domain the CA refuses is logged with the domain and the CA message; other routers get their certificates', async () => {
    const storage = join(dir, 'bad.json');
    const w = await startAcmeWharf(
      dynamic({ bad: tlsRouter('blocked.acme.test'), good: tlsRouter('good.acme.test') }),
      { certificatesResolvers: resolver(pebble, storage) },
    );
    try {
      pebble.http.targets = [w.port('web')];
      await untilAcmeCertificate(w.port('websecure'), 'good.acme.test');
      await until(
        () => w.logs.some((l) => l.code === 'ACME_ORDER_FAILED'),
        'the failed order logged',
        10_000,
      );
      const failed = w.logs.find((l) => l.code === 'ACME_ORDER_FAILED') as { msg: string; domain: string };
      expect(failed.domain).toBe('blocked.acme.test');
      expect(failed.msg).toMatch(/blocked\.acme\.test/);
      expect(failed.msg).toMatch(/blocklist|policy|forbidden|rejected/i);
      const served = (await peerChain(w.port('websecure'), 'blocked.acme.test')).chain[0];
      expect(served?.subject.CN).toBe('WHARF DEFAULT CERT');
    } finally {
      await w.stop();
    }
  });
});
