import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseNameserver } from '../../router/acme/dns01/exchange.ts';
import { type Rfc2136Config, rfc2136Update } from '../../router/acme/dns01/rfc2136.ts';
import { tsigKey } from '../../router/acme/dns01/tsig.ts';
import { ensurePebble, type Pebble, startPebble } from '../acme/pebble.ts';
import {
  type AcmeWharf,
  removeDir,
  resolver,
  startAcmeWharf,
  untilAcmeCertificate,
} from '../acme/wharf-acme.ts';
import { type Backend, startEchoServer } from '../helpers/backends.ts';
import { type BindServer, ensureBind, startBind } from '../helpers/bind-server.ts';

// DNS-01 end to end: Pebble validates by asking a real BIND 9 for the TXT records, which Wharf writes with
// RFC 2136 updates signed with TSIG, or through an exec program or an httpreq server that update BIND
// themselves. Each router asks for example.test and *.example.test (a wildcard: DNS-01 only).

const skip = (await ensurePebble()) ?? (await ensureBind());
if (skip) console.log(`[acme-dns01] skipped: ${skip}`);

let pebble: Pebble;
let bind: BindServer;
let echo: Backend;
let dir: string;
let update: Rfc2136Config;
beforeAll(async () => {
  if (skip) return;
  bind = await startBind('example.test');
  pebble = await startPebble({ dnsServer: bind.address });
  echo = await startEchoServer();
  dir = mkdtempSync(join(tmpdir(), 'wharf-acme-dns01-'));
  update = {
    nameserver: parseNameserver(bind.address),
    key: tsigKey(bind.key.name, bind.key.algorithm, bind.key.secret),
    ttl: 60,
    timeoutMs: 5_000,
    zones: [],
  };
});
afterAll(async () => {
  await pebble?.stop();
  await bind?.stop();
  await echo?.close();
  if (dir) removeDir(dir);
});

/** Environment variables set by a test, removed after it. */
const setEnv: string[] = [];
function env(vars: Record<string, string>): void {
  for (const [k, v] of Object.entries(vars)) {
    process.env[k] = v;
    setEnv.push(k);
  }
}
let wharf: AcmeWharf | undefined;
afterEach(async () => {
  await wharf?.stop();
  wharf = undefined;
  for (const k of setEnv.splice(0)) delete process.env[k];
});

const dynamic = () => ({
  http: {
    routers: {
      app: {
        rule: 'Host(`app.example.test`)',
        service: 'echo',
        entryPoints: ['websecure'],
        tls: { certResolver: 'le', domains: [{ main: 'example.test', sans: ['*.example.test'] }] },
      },
    },
    services: { echo: { loadBalancer: { servers: [{ url: echo.url }] } } },
  },
});

/** The resolver `le`: DNS-01 with `provider`, BIND as the recursive resolver (its authoritative port is not 53). */
const dnsResolver = (provider: string, storage: string) =>
  resolver(pebble, join(dir, storage), {
    dnsChallenge: {
      provider,
      resolvers: [bind.address],
      propagation: { disableANSChecks: true, requireAllRNS: true },
    },
  });

/** Fast lego timings for a test: 15 s propagation timeout, 0.2 s polling, 0.2 s between sequential challenges. */
const timings = (prefix: string) => ({
  [`${prefix}PROPAGATION_TIMEOUT`]: '15',
  [`${prefix}POLLING_INTERVAL`]: '0.2',
  [`${prefix}SEQUENCE_INTERVAL`]: '0.2',
});

/** Asserts the wildcard certificate serves any name under the zone and the apex, then the TXT records are gone. */
async function expectWildcard(w: AcmeWharf): Promise<void> {
  const cert = await untilAcmeCertificate(w.port('websecure'), 'anything.example.test', 40_000);
  expect(cert.subjectaltname?.split(', ').sort()).toEqual(['DNS:*.example.test', 'DNS:example.test']);
  const apex = await untilAcmeCertificate(w.port('websecure'), 'example.test', 5_000);
  expect(apex.fingerprint256).toBe(cert.fingerprint256);
  // Both challenges' TXT records are cleaned up once the order is done.
  const deadline = Date.now() + 10_000;
  while ((await bind.txt('_acme-challenge.example.test')).length > 0) {
    if (Date.now() > deadline) throw new Error('the TXT records were not cleaned up');
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.skipIf(skip !== undefined)('ACME DNS-01 with Pebble and BIND', { timeout: 90_000 }, () => {
  it('rfc2136: a router gets a certificate for example.test and *.example.test through TSIG-signed updates', async () => {
    env({
      RFC2136_NAMESERVER: bind.address,
      RFC2136_TSIG_KEY: bind.key.name,
      RFC2136_TSIG_SECRET: bind.key.secret,
      RFC2136_TSIG_ALGORITHM: `${bind.key.algorithm}.`,
      RFC2136_TTL: '30',
      RFC2136_DNS_TIMEOUT: '5',
      ...timings('RFC2136_'),
    });
    wharf = await startAcmeWharf(dynamic(), {
      certificatesResolvers: dnsResolver('rfc2136', 'rfc2136.json'),
    });
    await expectWildcard(wharf);
    // BIND applied updates signed with the key: a replace (delete the set, add) and a delete of one RR.
    expect(bind.log()).toMatch(
      /key wharf-acme: updating zone 'example\.test\/IN': deleting rrset at '_acme-challenge\.example\.test' TXT/,
    );
    expect(bind.log()).toMatch(
      /key wharf-acme: updating zone 'example\.test\/IN': deleting an RR at _acme-challenge\.example\.test TXT/,
    );
  });

  it('tls.stores.default.defaultGeneratedCert: the resolver obtains the default certificate, served for unknown names', async () => {
    env({
      RFC2136_NAMESERVER: bind.address,
      RFC2136_TSIG_KEY: bind.key.name,
      RFC2136_TSIG_SECRET: bind.key.secret,
      RFC2136_TSIG_ALGORITHM: bind.key.algorithm,
      ...timings('RFC2136_'),
    });
    const config = {
      http: {
        routers: {
          plain: { rule: 'Host(`plain.other.test`)', service: 'echo', entryPoints: ['websecure'], tls: {} },
        },
        services: { echo: { loadBalancer: { servers: [{ url: echo.url }] } } },
      },
      tls: {
        stores: {
          default: {
            defaultGeneratedCert: {
              resolver: 'le',
              domain: { main: 'example.test', sans: ['*.example.test'] },
            },
          },
        },
      },
    };
    wharf = await startAcmeWharf(config, {
      certificatesResolvers: dnsResolver('rfc2136', 'default-cert.json'),
    });
    // A name no certificate serves (and a client without SNI's fallback) gets the resolver's certificate.
    const cert = await untilAcmeCertificate(wharf.port('websecure'), 'nothing.other.test', 40_000);
    expect(cert.subjectaltname?.split(', ').sort()).toEqual(['DNS:*.example.test', 'DNS:example.test']);
  });

  it('exec: the program is called as lego calls it (present|cleanup <fqdn> <value>) and writes into BIND', async () => {
    const calls = join(dir, 'exec-calls.log');
    const script = join(dir, 'update-dns.mjs');
    const rfc2136 = resolve(import.meta.dirname, '../../router/acme/dns01/rfc2136.ts');
    writeFileSync(
      script,
      [
        `#!${process.execPath}`,
        "import { appendFileSync } from 'node:fs';",
        `import { rfc2136FromEnv, rfc2136Update } from ${JSON.stringify(rfc2136)};`,
        'const [action, fqdn, value] = process.argv.slice(2);',
        `appendFileSync(${JSON.stringify(calls)}, JSON.stringify(process.argv.slice(2)) + '\\n');`,
        "const config = rfc2136FromEnv((s) => process.env['TEST_' + s]);",
        "await rfc2136Update(config, action === 'present' ? 'insert' : 'remove', fqdn, value);",
        "console.log(action + ' done for ' + fqdn);",
        '',
      ].join('\n'),
    );
    chmodSync(script, 0o755);
    env({
      EXEC_PATH: script,
      TEST_NAMESERVER: bind.address,
      TEST_TSIG_KEY: bind.key.name,
      TEST_TSIG_SECRET: bind.key.secret,
      TEST_TSIG_ALGORITHM: bind.key.algorithm,
      ...timings('EXEC_'),
    });
    wharf = await startAcmeWharf(dynamic(), { certificatesResolvers: dnsResolver('exec', 'exec.json') });
    await expectWildcard(wharf);
    const lines = readFileSync(calls, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as string[]);
    expect(lines.map((l) => `${l[0]} ${l[1]}`).sort()).toEqual([
      'cleanup _acme-challenge.example.test.',
      'cleanup _acme-challenge.example.test.',
      'present _acme-challenge.example.test.',
      'present _acme-challenge.example.test.',
    ]);
    // Sequential, as lego runs exec: present, cleanup, present, cleanup.
    expect(lines.map((l) => l[0])).toEqual(['present', 'cleanup', 'present', 'cleanup']);
    expect(lines.every((l) => /^[A-Za-z0-9_-]{43}$/.test(l[2] ?? ''))).toBe(true);
    // The program's output is logged.
    expect(wharf.logs.some((l) => /present done for _acme-challenge\.example\.test\./.test(l.msg))).toBe(
      true,
    );
  });

  it('httpreq: POST /present and /cleanup with {fqdn, value} and basic auth; the server writes into BIND', async () => {
    const seen: Array<{ path: string; auth?: string; type?: string; body: { fqdn: string; value: string } }> =
      [];
    const server: Server = createServer((req: IncomingMessage, res) => {
      let text = '';
      req.on('data', (c: Buffer) => (text += c.toString()));
      req.on('end', () => {
        const body = JSON.parse(text) as { fqdn: string; value: string };
        seen.push({
          path: req.url ?? '',
          auth: req.headers.authorization,
          type: req.headers['content-type'],
          body,
        });
        // lego's httpreq runs challenges in parallel: the server adds to the TXT set, never replaces it.
        const action = req.url === '/api/present' ? 'add' : 'remove';
        rfc2136Update(update, action, body.fqdn, body.value).then(
          () => res.writeHead(200).end('{}'),
          (err: Error) => res.writeHead(500).end(err.message),
        );
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      env({
        HTTPREQ_ENDPOINT: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`,
        HTTPREQ_USERNAME: 'acme',
        HTTPREQ_PASSWORD: 's3cret',
        ...timings('HTTPREQ_'),
      });
      wharf = await startAcmeWharf(dynamic(), {
        certificatesResolvers: dnsResolver('httpreq', 'httpreq.json'),
      });
      await expectWildcard(wharf);
      expect(seen.map((s) => s.path).sort()).toEqual([
        '/api/cleanup',
        '/api/cleanup',
        '/api/present',
        '/api/present',
      ]);
      expect(new Set(seen.map((s) => s.auth))).toEqual(
        new Set([`Basic ${Buffer.from('acme:s3cret').toString('base64')}`]),
      );
      expect(
        seen.every((s) => s.type === 'application/json' && s.body.fqdn === '_acme-challenge.example.test.'),
      ).toBe(true);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('an unsupported DNS provider: the wildcard is reported and not ordered, Wharf keeps serving', async () => {
    wharf = await startAcmeWharf(dynamic(), { certificatesResolvers: dnsResolver('cloudflare', 'cf.json') });
    const deadline = Date.now() + 5_000;
    const reported = () =>
      wharf?.logs.find((l) => l.code === 'ACME_DOMAIN_INVALID' && /not supported by Wharf/.test(l.msg));
    while (!reported()) {
      if (Date.now() > deadline) throw new Error('no ACME_DOMAIN_INVALID for the wildcard');
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(reported()?.msg).toMatch(/\*\.example\.test is a wildcard, which needs DNS-01/);
  });
});
