import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { type AddressInfo, createServer, connect as netConnect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { aptInstall } from '../docker/image.ts';
import { relay } from '../helpers/relay.ts';

// Real Pebble (Debian's `pebble` package) for ACME tests: Pebble with its own HTTPS certificate, and
// pebble-challtestsrv as its DNS server answering 127.0.0.1 for every name, so Pebble's validation
// authority connects to loopback. Its HTTP-01 and TLS-ALPN-01 connections reach two relays of ours that
// forward to whichever Wharf the test points them at (round robin over several replicas).

function onPath(name: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((d) => d !== '' && existsSync(join(d, name)));
}

/**
 * Makes sure `pebble` and `pebble-challtestsrv` are installed: as root on Debian, `apt-get install pebble`
 * when missing. Returns why ACME tests must skip (WHARF_PEBBLE=off, or no way to install it), or undefined
 * when they can run.
 */
export async function ensurePebble(): Promise<string | undefined> {
  // Checked first: WHARF_PEBBLE=off skips the ACME tests even where Pebble is installed.
  if (process.env.WHARF_PEBBLE === 'off') return 'disabled by WHARF_PEBBLE=off';
  if (onPath('pebble') && onPath('pebble-challtestsrv')) return undefined;
  const uid = process.getuid?.();
  if (uid !== 0) return `pebble is not installed, and installing it needs root (uid is ${uid})`;
  if (!existsSync('/etc/debian_version') || !onPath('apt-get'))
    return 'pebble is not installed, and installing it is only automated on Debian';
  console.log('[acme] pebble is missing: apt-get install pebble …');
  await aptInstall(['pebble']);
  if (!onPath('pebble') || !onPath('pebble-challtestsrv'))
    throw new Error('pebble is still missing after apt-get install pebble');
  return undefined;
}

/** A free loopback TCP port (bound, read, released). */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

/** Forwards each connection to the next target port (round robin); counts connections per target. */
export class ChallengeRelay {
  readonly server: Server;
  targets: number[] = [];
  /** Connections forwarded, per target port. */
  readonly forwarded = new Map<number, number>();
  /** While true, connections are held open unanswered (a CA validation that never completes). */
  hold = false;
  readonly #open = new Set<Socket>();
  #next = 0;

  constructor() {
    this.server = createServer((client) => {
      this.#open.add(client);
      client.on('close', () => this.#open.delete(client));
      client.on('error', () => client.destroy());
      const port = this.targets[this.#next++ % Math.max(1, this.targets.length)];
      if (this.hold) return;
      if (port === undefined) {
        client.destroy();
        return;
      }
      this.forwarded.set(port, (this.forwarded.get(port) ?? 0) + 1);
      relay(client, netConnect(port, '127.0.0.1'), this.#open);
    });
  }

  async listen(): Promise<number> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return (this.server.address() as AddressInfo).port;
  }

  /** Ends held and relayed connections. */
  dropAll(): void {
    for (const s of this.#open) s.destroy();
  }

  async close(): Promise<void> {
    this.dropAll();
    await new Promise((r) => this.server.close(r));
  }
}

/** Options of one Pebble instance. */
export interface PebbleOptions {
  /** Lifetime of issued certificates, seconds (Pebble's default: 5 years). */
  readonly validitySeconds?: number;
  /** Names Pebble refuses to issue for (rejectedIdentifier). */
  readonly blocklist?: readonly string[];
  /** The DNS server Pebble's validation asks (`host:port`; default: challtestsrv, 127.0.0.1 for every name). */
  readonly dnsServer?: string;
}

/** A Pebble CA for a test file. */
export interface Pebble {
  /** https://127.0.0.1:<port>/dir */
  readonly directory: string;
  /** Pebble's own HTTPS certificate file: `caCertificates` for Wharf. */
  readonly caFile: string;
  readonly http: ChallengeRelay;
  readonly tls: ChallengeRelay;
  /** Pebble's output so far. */
  log(): string;
  /** Orders placed so far (new-order requests Pebble answered). */
  orders(): number;
  /** The root of Pebble's issuing chain (PEM), from its management API. */
  root(): Promise<string>;
  /** Starts Pebble (again, on the same ports) after `stopCa`, or when created with `start: false`. */
  startCa(): Promise<void>;
  /** Stops Pebble only (the CA becomes unreachable); the DNS server and relays stay. */
  stopCa(): Promise<void>;
  stop(): Promise<void>;
}

async function terminate(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise((r) => child.once('exit', r));
  process.kill(child.pid, 'SIGTERM');
  const timer = setTimeout(
    () => child.pid !== undefined && child.exitCode === null && process.kill(child.pid, 'SIGKILL'),
    3_000,
  );
  await exited;
  clearTimeout(timer);
}

function get(url: string, ca: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: new Agent({ ca, keepAlive: false }) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Starts challtestsrv, the two relays and (unless `start: false`) Pebble, on free loopback ports. */
export async function startPebble(options: PebbleOptions & { start?: boolean } = {}): Promise<Pebble> {
  const dir = mkdtempSync(join(tmpdir(), 'wharf-pebble-'));
  const caFile = join(dir, 'pebble.pem');
  const keyFile = join(dir, 'pebble.key');
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2']
      .concat(['-subj', '/CN=pebble test server', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'])
      .concat(['-keyout', keyFile, '-out', caFile]),
    { stdio: 'pipe' },
  );
  const { readFileSync } = await import('node:fs');
  const ca = readFileSync(caFile, 'utf8');
  const http = new ChallengeRelay();
  const tls = new ChallengeRelay();
  const [httpPort, tlsPort, port, management, dns, dnsManagement] = [
    await http.listen(),
    await tls.listen(),
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const configFile = join(dir, 'pebble-config.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      pebble: {
        listenAddress: `127.0.0.1:${port}`,
        managementListenAddress: `127.0.0.1:${management}`,
        certificate: caFile,
        privateKey: keyFile,
        httpPort,
        tlsPort,
        ocspResponderURL: '',
        externalAccountBindingRequired: false,
        domainBlocklist: options.blocklist ?? [],
        ...(options.validitySeconds ? { certificateValidityPeriod: options.validitySeconds } : {}),
      },
    }),
  );
  let output = '';
  const capture = (child: ChildProcess) => {
    child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  };
  const cts = spawn(
    'pebble-challtestsrv',
    ['-defaultIPv4', '127.0.0.1', '-defaultIPv6', '', '-dns01', `127.0.0.1:${dns}`].concat([
      '-http01',
      '',
      '-https01',
      '',
      '-tlsalpn01',
      '',
      '-management',
      `127.0.0.1:${dnsManagement}`,
    ]),
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  capture(cts);
  let pebble: ChildProcess | undefined;
  const directory = `https://127.0.0.1:${port}/dir`;
  const startCa = async () => {
    const dnsServer = options.dnsServer ?? `127.0.0.1:${dns}`;
    pebble = spawn('pebble', ['-config', configFile, '-dnsserver', dnsServer], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, PEBBLE_VA_NOSLEEP: '1', PEBBLE_WFE_NONCEREJECT: '0', PEBBLE_AUTHZREUSE: '0' },
    });
    capture(pebble);
    const deadline = Date.now() + 15_000;
    for (;;) {
      try {
        if ((await get(directory, ca)).status === 200) return;
      } catch {
        // Not listening yet.
      }
      if (pebble.exitCode !== null || Date.now() > deadline)
        throw new Error(`pebble did not start:\n${output.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  if (options.start !== false) await startCa();
  return {
    directory,
    caFile,
    http,
    tls,
    log: () => output,
    orders: () => output.split('\n').filter((l) => l.includes('POST /order-plz')).length,
    root: async () => (await get(`https://127.0.0.1:${management}/roots/0`, ca)).body,
    startCa,
    stopCa: () => terminate(pebble),
    stop: async () => {
      await terminate(pebble);
      await terminate(cts);
      await http.close();
      await tls.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
