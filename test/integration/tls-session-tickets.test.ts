import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type SecureVersion, connect as tlsConnect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CertFactory, certFactory } from '../helpers/certs.ts';
import { startWharf, type TestWharf } from '../helpers/wharf.ts';

// tls.options.<name>.disableSessionTickets (Traefik v3.7, Go's SessionTicketsDisabled): a client that kept
// the session of its first connection cannot resume it, while the default options let it. Loopback only.

let certs: CertFactory;
let upstream: Server;
let w: TestWharf;
beforeAll(async () => {
  certs = certFactory();
  upstream = createServer((_req, res) => res.end('ok'));
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  w = await startWharf({
    http: {
      routers: {
        a: { rule: 'Host(`a.tickets.test`)', service: 's', tls: { options: 'notickets' } },
        b: { rule: 'Host(`b.tickets.test`)', service: 's', tls: {} },
      },
      services: { s: { loadBalancer: { servers: [{ url }] } } },
    },
    tls: {
      certificates: [certs.make('t', ['a.tickets.test', 'b.tickets.test'])],
      options: { notickets: { disableSessionTickets: true } },
    },
  });
});
afterAll(async () => {
  await w?.stop();
  await new Promise<void>((r) => upstream.close(() => r()));
  certs?.remove();
});

/** Connects twice to `servername`, the second time offering the last session the first one got. */
async function resumed(servername: string, version: SecureVersion): Promise<boolean> {
  const port = w.wharf.port('web');
  const open = (session?: Buffer) =>
    new Promise<{ reused: boolean; session: Buffer | undefined }>((resolve, reject) => {
      let last: Buffer | undefined;
      const s = tlsConnect({
        host: '127.0.0.1',
        port,
        servername,
        rejectUnauthorized: false,
        minVersion: version,
        maxVersion: version,
        ...(session ? { session } : {}),
      });
      s.on('session', (b: Buffer) => {
        last = b;
      });
      s.once('secureConnect', () => {
        s.write(`GET / HTTP/1.1\r\nhost: ${servername}\r\nconnection: close\r\n\r\n`);
      });
      s.on('data', () => {});
      s.once('end', () => resolve({ reused: s.isSessionReused(), session: last }));
      s.once('error', reject);
    });
  const first = await open();
  if (!first.session) return false;
  return (await open(first.session)).reused;
}

describe('tls.options disableSessionTickets', () => {
  it.each(['TLSv1.2', 'TLSv1.3'] as const)(
    '%s: no resumption with disableSessionTickets, resumption without',
    async (v) => {
      expect(await resumed('b.tickets.test', v)).toBe(true);
      expect(await resumed('a.tickets.test', v)).toBe(false);
    },
  );
});
