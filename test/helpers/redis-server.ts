import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { freePort } from '../acme/pebble.ts';
import { aptInstall } from '../docker/image.ts';

// A real Redis (Debian's `redis-server`) for the distributed rateLimit: started by the test on a loopback
// port of its own, with its own temp folder and configuration (no persistence), stopped by PID.

function onPath(name: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((d) => d !== '' && existsSync(join(d, name)));
}

/**
 * Makes sure `redis-server` is installed: as root on Debian, `apt-get install redis-server` when missing.
 * Returns why Redis tests must skip (WHARF_REDIS=off, or no way to install it), or undefined when they
 * can run. A skip fails CI (WHARF_REQUIRE_ALL=1, test/summary-reporter.ts).
 */
export async function ensureRedis(): Promise<string | undefined> {
  if (process.env.WHARF_REDIS === 'off') return 'disabled by WHARF_REDIS=off';
  if (onPath('redis-server')) return undefined;
  const uid = process.getuid?.();
  if (uid !== 0) return `redis-server is not installed, and installing it needs root (uid is ${uid})`;
  if (!existsSync('/etc/debian_version') || !onPath('apt-get'))
    return 'redis-server is not installed, and installing it is only automated on Debian';
  console.log('[redis] redis-server is missing: apt-get install redis-server …');
  await aptInstall(['redis-server']);
  if (!onPath('redis-server'))
    throw new Error('redis-server is still missing after apt-get install redis-server');
  return undefined;
}

/** What a test Redis serves besides plain TCP without authentication. */
export interface RedisServerOptions {
  /** `requirepass`: the default user's password. */
  readonly password?: string;
  /** ACL users, as `user` lines of redis.conf (e.g. `wharf on >pw ~* &* +@all`). */
  readonly users?: readonly string[];
  /** Cluster mode (`cluster-enabled yes`); the test assigns the slots (CLUSTER ADDSLOTSRANGE). */
  readonly cluster?: boolean;
  /** Serve TLS only (no plain port) with this certificate; clients are not asked for one. */
  readonly tls?: { readonly certFile: string; readonly keyFile: string };
}

/** A running test Redis. */
export interface RedisServer {
  readonly port: number;
  /** `127.0.0.1:<port>`, as rateLimit.redis.endpoints takes it. */
  readonly endpoint: string;
  /** Stops the server (SIGTERM to its PID, SIGKILL after 5s); its data is gone (no persistence). */
  stop(): Promise<void>;
  /** Starts it again on the same port with the same configuration. */
  start(): Promise<void>;
  /** Freezes the process (SIGSTOP): connections stay open, nothing is answered, as a hung server. */
  pause(): void;
  /** Lets a paused server run again (SIGCONT). */
  resume(): void;
  /** Stops it and removes its folder. */
  remove(): Promise<void>;
}

/** Starts `redis-server` on a free loopback port with its own folder and configuration file. */
export async function startRedis(options: RedisServerOptions = {}): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'wharf-redis-'));
  const port = await freePort();
  const lines = [
    'bind 127.0.0.1',
    options.tls ? 'port 0' : `port ${port}`,
    `dir ${dir}`,
    'save ""',
    'appendonly no',
    'daemonize no',
    `logfile ${join(dir, 'redis.log')}`,
    ...(options.cluster ? ['cluster-enabled yes', `cluster-config-file ${join(dir, 'nodes.conf')}`] : []),
    ...(options.password !== undefined ? [`requirepass ${options.password}`] : []),
    ...(options.users ?? []).map((u) => `user ${u}`),
    ...(options.tls
      ? [
          `tls-port ${port}`,
          `tls-cert-file ${options.tls.certFile}`,
          `tls-key-file ${options.tls.keyFile}`,
          `tls-ca-cert-file ${options.tls.certFile}`,
          'tls-auth-clients no',
        ]
      : []),
  ];
  const conf = join(dir, 'redis.conf');
  writeFileSync(conf, `${lines.join('\n')}\n`);
  let child: ChildProcess | undefined;
  let exited = false;

  const start = async () => {
    exited = false;
    const proc = spawn('redis-server', [conf], { stdio: 'ignore' });
    child = proc;
    proc.once('exit', () => {
      exited = true;
    });
    const deadline = Date.now() + 15_000;
    while (!exited && !(await isListening(port))) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for redis-server on 127.0.0.1:${port}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    if (exited) throw new Error(`redis-server exited at start; see ${join(dir, 'redis.log')}`);
  };
  const stop = async () => {
    const proc = child;
    if (!proc || proc.pid === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
    const gone = new Promise((r) => proc.once('exit', r));
    process.kill(proc.pid, 'SIGCONT'); // a paused server could not act on SIGTERM
    process.kill(proc.pid, 'SIGTERM');
    const kill = setTimeout(
      () => proc.exitCode === null && proc.pid && process.kill(proc.pid, 'SIGKILL'),
      5000,
    );
    await gone;
    clearTimeout(kill);
  };
  await start();
  return {
    port,
    endpoint: `127.0.0.1:${port}`,
    stop,
    start,
    pause: () => child?.pid !== undefined && process.kill(child.pid, 'SIGSTOP'),
    resume: () => child?.pid !== undefined && process.kill(child.pid, 'SIGCONT'),
    remove: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** True when something accepts TCP connections on the loopback port. */
function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
