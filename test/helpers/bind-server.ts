import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { query } from '../../router/acme/dns01/dns-client.ts';
import { TYPE } from '../../router/acme/dns01/wire.ts';
import { freePort } from '../acme/pebble.ts';
import { aptInstall } from '../docker/image.ts';

// A real BIND 9 (Debian's `bind9`) for DNS-01: started by the test on a loopback port of its own (UDP and
// TCP), with a temp folder, one primary zone that accepts TSIG-signed updates of TXT records, and no
// recursion. Stopped by PID.

const NAMED = ['/usr/sbin/named', '/usr/bin/named'];

function named(): string | undefined {
  const dirs = (process.env.PATH ?? '').split(delimiter).filter((d) => d !== '');
  return [...dirs.map((d) => join(d, 'named')), ...NAMED].find((p) => existsSync(p));
}

/**
 * Makes sure `named` is installed: as root on Debian, `apt-get install bind9` when missing. Returns why
 * BIND tests must skip (WHARF_BIND=off, or no way to install it), or undefined when they can run. A skip
 * fails CI (WHARF_REQUIRE_ALL=1, test/summary-reporter.ts).
 */
export async function ensureBind(): Promise<string | undefined> {
  if (process.env.WHARF_BIND === 'off') return 'disabled by WHARF_BIND=off';
  if (named()) return undefined;
  const uid = process.getuid?.();
  if (uid !== 0) return `bind9 is not installed, and installing it needs root (uid is ${uid})`;
  if (!existsSync('/etc/debian_version') || !existsSync('/usr/bin/apt-get'))
    return 'bind9 is not installed, and installing it is only automated on Debian';
  console.log('[bind] named is missing: apt-get install bind9 …');
  await aptInstall(['bind9']);
  if (!named()) throw new Error('named is still missing after apt-get install bind9');
  return undefined;
}

/** A running test BIND. */
export interface BindServer {
  readonly port: number;
  /** `127.0.0.1:<port>`, as RFC2136_NAMESERVER and dnsChallenge.resolvers take it. */
  readonly address: string;
  readonly zone: string;
  /** The TSIG key allowed to update the zone. */
  readonly key: { readonly name: string; readonly algorithm: string; readonly secret: string };
  /** The TXT strings served at `name` (asked of BIND itself). */
  txt(name: string): Promise<string[]>;
  /** named's output so far. */
  log(): string;
  stop(): Promise<void>;
}

/**
 * Starts `named -g` on a free loopback port with zone `zone` (SOA, NS ns.<zone> at 127.0.0.1, an apex A
 * record) whose TXT records the TSIG key may update.
 */
export async function startBind(zone = 'example.test', algorithm = 'hmac-sha256'): Promise<BindServer> {
  const bin = named();
  if (!bin) throw new Error('named is not installed');
  const dir = mkdtempSync(join(tmpdir(), 'wharf-bind-'));
  const port = await freePort();
  const key = { name: 'wharf-acme.', algorithm, secret: randomBytes(32).toString('base64') };
  writeFileSync(
    join(dir, 'zone.db'),
    [
      '$TTL 60',
      `@ IN SOA ns.${zone}. hostmaster.${zone}. 1 60 60 600 1`,
      `@ IN NS ns.${zone}.`,
      'ns IN A 127.0.0.1',
      '@ IN A 127.0.0.1',
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(dir, 'named.conf'),
    [
      `key "${key.name}" { algorithm ${algorithm}; secret "${key.secret}"; };`,
      'options {',
      `  directory "${dir}";`,
      `  pid-file "${join(dir, 'named.pid')}";`,
      `  session-keyfile "${join(dir, 'session.key')}";`,
      `  listen-on port ${port} { 127.0.0.1; };`,
      '  listen-on-v6 { none; };',
      '  recursion no;',
      '  allow-query { any; };',
      '  dnssec-validation no;',
      '};',
      'controls { };',
      `zone "${zone}" { type primary; file "${join(dir, 'zone.db')}"; update-policy { grant ${key.name} zonesub TXT; }; };`,
      '',
    ].join('\n'),
  );
  let output = '';
  const child: ChildProcess = spawn(bin, ['-g', '-4', '-c', join(dir, 'named.conf')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  const server = { host: '127.0.0.1', port };
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`named exited at start:\n${output.slice(-2000)}`);
    const ok = await query(zone, TYPE.SOA, [server], false, 500).then(
      (r) => r.answers.length > 0,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`named did not answer on ${port}:\n${output.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port,
    address: `127.0.0.1:${port}`,
    zone,
    key,
    txt: async (name) =>
      (await query(name, TYPE.TXT, [server], false, 2_000)).answers
        .filter((a) => a.type === TYPE.TXT)
        .map((a) => (a.value as string[]).join('')),
    log: () => output,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
        const gone = new Promise((r) => child.once('exit', r));
        process.kill(child.pid, 'SIGTERM');
        const kill = setTimeout(
          () => child.exitCode === null && child.pid && process.kill(child.pid, 'SIGKILL'),
          5_000,
        );
        await gone;
        clearTimeout(kill);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
