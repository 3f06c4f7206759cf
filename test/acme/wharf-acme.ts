import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type PeerCertificate, connect as tlsConnect } from 'node:tls';
import pino from 'pino';
import { stringify } from 'yaml';
import { type StaticConfigInput, StaticConfigSchema } from '../../config/static.ts';
import { Wharf } from '../../router/wharf.ts';
import { until } from '../helpers/backends.ts';
import type { Pebble } from './pebble.ts';

/** A log line as pino writes it in JSON. */
export interface LogLine {
  level: number;
  msg: string;
  code?: string;
  domain?: string;
  [k: string]: unknown;
}

/** A Wharf with ACME for a test: its ports, the JSON log lines it wrote, and a stop. */
export interface AcmeWharf {
  readonly wharf: Wharf;
  readonly logs: LogLine[];
  /** Replaces the dynamic configuration file (the file provider reloads it). */
  write(dynamic: unknown): void;
  port(name: 'web' | 'websecure'): number;
  stop(): Promise<void>;
}

/** The resolver `le` of a test: Pebble as CA, EC256 keys, and the challenge(s) given. */
export function resolver(
  pebble: Pebble,
  storage: string,
  acme: Record<string, unknown> = { httpChallenge: { entryPoint: 'web' } },
): StaticConfigInput['certificatesResolvers'] {
  return {
    le: {
      acme: {
        email: 'ops@wharf.test',
        caServer: pebble.directory,
        caCertificates: [pebble.caFile],
        storage,
        keyType: 'EC256',
        ...acme,
      },
    },
  };
}

/** Starts Wharf (entryPoints web and websecure on loopback) serving `dynamic` from a file, logging to memory. */
export async function startAcmeWharf(
  dynamic: unknown,
  extra: Partial<StaticConfigInput>,
  shared?: string,
): Promise<AcmeWharf> {
  const dir = shared ?? mkdtempSync(join(tmpdir(), 'wharf-acme-'));
  const dynamicFile = join(dir, `dynamic-${process.hrtime.bigint()}.yml`);
  writeFileSync(dynamicFile, stringify(dynamic));
  const logs: LogLine[] = [];
  const logger = pino(
    { level: 'debug', base: undefined },
    { write: (line: string) => logs.push(JSON.parse(line) as LogLine) },
  );
  const staticConfig = StaticConfigSchema.parse({
    entryPoints: { web: { address: '127.0.0.1:0' }, websecure: { address: '127.0.0.1:0' } },
    providers: { providersThrottleDuration: '0s', file: { filename: dynamicFile, watch: true } },
    ...extra,
  });
  const wharf = await Wharf.start({ staticConfig, logger });
  await wharf.ready;
  return {
    wharf,
    logs,
    write: (d) => writeFileSync(dynamicFile, stringify(d)),
    port: (name) => wharf.port(name),
    stop: async () => {
      await wharf.stop();
      rmSync(shared ? dynamicFile : dir, { recursive: true, force: true });
    },
  };
}

/** The certificate chain a TLS client gets for `servername` on a port (no verification). */
export function peerChain(
  port: number,
  servername: string,
): Promise<{ chain: PeerCertificate[]; alpn: string | false }> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({
      host: '127.0.0.1',
      port,
      servername,
      rejectUnauthorized: false,
      ALPNProtocols: ['h2', 'http/1.1'],
    });
    socket.once('secureConnect', () => {
      const chain: PeerCertificate[] = [];
      let c = socket.getPeerCertificate(true) as PeerCertificate & { issuerCertificate?: PeerCertificate };
      const seen = new Set<string>();
      while (c && !seen.has(c.fingerprint256)) {
        seen.add(c.fingerprint256);
        chain.push(c);
        c = (c as { issuerCertificate?: PeerCertificate }).issuerCertificate as typeof c;
      }
      resolve({ chain, alpn: socket.alpnProtocol ?? false });
      socket.end();
    });
    socket.once('error', reject);
  });
}

/** Waits until the certificate served for `servername` is issued by Pebble (not the default one). */
export async function untilAcmeCertificate(
  port: number,
  servername: string,
  timeoutMs = 20_000,
): Promise<PeerCertificate> {
  let last: PeerCertificate | undefined;
  const check = async () => {
    last = (await peerChain(port, servername)).chain[0];
    return /Pebble/.test(String(last?.issuer?.CN ?? ''));
  };
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline)
      throw new Error(
        `no Pebble certificate for ${servername}; served: ${last?.subject?.CN} by ${last?.issuer?.CN}`,
      );
    await new Promise((r) => setTimeout(r, 100));
  }
  return last as PeerCertificate;
}

export { until };

/** Removes a folder of a test. */
export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
