import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, closeSync, constants, existsSync, openSync, readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { delimiter, join } from 'node:path';

// Process bookkeeping for the benchmark: everything the harness starts is recorded here by PID, so a
// finally block or a SIGINT stops exactly those processes and nothing else.

/** A process the harness started. */
export interface Started {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  readonly child: ChildProcess;
  readonly startedAt: number;
  exited: boolean;
  exitCode: number | null;
}

/** Options for {@link start}. */
export interface StartOptions {
  /** Where stdout and stderr go. */
  readonly logFile: string;
  /** CPU list for taskset (e.g. "1"); unset: no pinning. */
  readonly cpu?: string | undefined;
  readonly env?: Record<string, string>;
  readonly cwd?: string;
}

const running = new Set<Started>();
let closing = false;

/** Refuses every later start: called on SIGINT/SIGTERM before stopping what runs. */
export function beginShutdown(): void {
  closing = true;
}

/** Absolute path of an executable found on PATH (plus the sbin folders, where nginx and haproxy live). */
export function findCommand(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin', '/usr/local/sbin'];
  for (const dir of dirs) {
    if (dir === '') continue;
    const file = join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not in this folder; the next one may have it
    }
  }
  return undefined;
}

const taskset = findCommand('taskset');

/** Whether CPU pinning is possible here. */
export function canPin(): boolean {
  return taskset !== undefined;
}

/** Starts a process (through taskset when a CPU is given), its output going to a log file. */
export function start(name: string, cmd: string, args: readonly string[], opts: StartOptions): Started {
  if (closing) throw new Error(`${name}: not started, the benchmark is stopping`);
  const fd = openSync(opts.logFile, 'w');
  const pinned = opts.cpu !== undefined && taskset !== undefined;
  const file = pinned ? taskset : cmd;
  const argv = pinned ? ['-c', opts.cpu!, cmd, ...args] : [...args];
  let child: ChildProcess;
  try {
    child = spawn(file, argv, {
      stdio: ['ignore', fd, fd],
      env: { ...process.env, ...opts.env },
      cwd: opts.cwd,
    });
  } finally {
    closeSync(fd);
  }
  // Spawn failures (ENOENT, EACCES) arrive as an 'error' event; without a listener it would crash the harness.
  child.on('error', (err) => {
    process.stderr.write(`${name}: ${err.message}\n`);
  });
  if (child.pid === undefined) throw new Error(`${name}: could not start ${cmd}`);
  const p: Started = {
    name,
    pid: child.pid,
    logFile: opts.logFile,
    child,
    startedAt: performance.now(),
    exited: false,
    exitCode: null,
  };
  running.add(p);
  child.on('exit', (code, signal) => {
    p.exited = true;
    p.exitCode = code ?? (signal !== null ? 128 : null);
    running.delete(p);
  });
  return p;
}

/** Resolves when the process exits; false if it is still running after timeoutMs. */
export function waitExit(p: Started, timeoutMs: number): Promise<boolean> {
  if (p.exited) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(p.exited), timeoutMs);
    p.child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** Stops one started process by its PID: SIGTERM, then SIGKILL after a grace period. */
export async function stop(p: Started, graceMs = 5000): Promise<void> {
  if (p.exited) return;
  try {
    process.kill(p.pid, 'SIGTERM');
  } catch {
    return; // already gone
  }
  if (await waitExit(p, graceMs)) return;
  try {
    process.kill(p.pid, 'SIGKILL');
  } catch {
    return;
  }
  await waitExit(p, 2000);
}

/** Stops every process the harness started that is still running. */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((p) => stop(p)));
}

/** Sends SIGKILL to every started process at once; for exit paths that cannot wait. */
export function killAllNow(): void {
  for (const p of running) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** The last lines of a process's log, for error messages. */
export function logTail(p: Started, lines = 15): string {
  if (!existsSync(p.logFile)) return '';
  return readFileSync(p.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() =>
        typeof addr === 'object' && addr !== null ? resolve(addr.port) : reject(new Error('no port')),
      );
    });
  });
}

/** One HTTP answer, or the error that stopped it. */
export interface Answer {
  readonly status: number;
  /** The body as UTF-8 text, cut after 64 KiB. */
  readonly body: string;
  /** The whole body as received (still encoded when the answer has a Content-Encoding). */
  readonly bytes?: Buffer;
  /** Response headers, lower-case names (absent or empty when no answer came). */
  readonly headers?: http.IncomingHttpHeaders;
  readonly error?: string;
}

/** More of a request than host and path: its method and other headers. */
export interface RequestExtra {
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** A request body (its Content-Length is set). */
  readonly body?: string;
}

/** One request (GET by default) to 127.0.0.1:port with the given Host header, bounded by timeoutMs. */
export function httpGet(
  port: number,
  host: string,
  path: string,
  timeoutMs = 2000,
  extra: RequestExtra = {},
): Promise<Answer> {
  return new Promise((resolve) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: extra.method ?? 'GET',
        headers: { ...extra.headers, host },
        agent: false,
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        const text = (): { body: string; bytes: Buffer } => {
          const bytes = Buffer.concat(chunks);
          return { body: bytes.subarray(0, 65_536).toString('utf8'), bytes };
        };
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, ...text(), headers: res.headers }));
        res.on('error', (err) => resolve({ status: 0, ...text(), headers: res.headers, error: err.message }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err) => resolve({ status: 0, body: '', headers: {}, error: err.message }));
    req.end(extra.body);
  });
}

/**
 * Polls check every intervalMs until it returns true, the deadline passes, or the process (if given)
 * exits. Returns the elapsed milliseconds; throws with the process's log tail on failure.
 */
export async function pollUntil(
  what: string,
  check: () => Promise<boolean>,
  deadlineMs: number,
  proc?: Started,
  intervalMs = 50,
): Promise<number> {
  const t0 = performance.now();
  const maxTries = Math.ceil(deadlineMs / intervalMs) + 1;
  for (let i = 0; i < maxTries && performance.now() - t0 < deadlineMs; i++) {
    if (proc?.exited) {
      throw new Error(`${what}: ${proc.name} exited with code ${proc.exitCode}\n${logTail(proc)}`);
    }
    if (await check()) return performance.now() - t0;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  const tail = proc !== undefined ? `\n${logTail(proc)}` : '';
  throw new Error(`${what}: not ready after ${Math.round(deadlineMs / 1000)} s${tail}`);
}

function readKiB(file: string, key: string): number {
  try {
    const m = new RegExp(`^${key}:\\s+(\\d+)\\s+kB`, 'm').exec(readFileSync(file, 'utf8'));
    return m !== null ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** VmRSS of one process, KiB (0 when unreadable). */
export function rssKiB(pid: number): number {
  return readKiB(`/proc/${pid}/status`, 'VmRSS');
}

/** PIDs of a process's direct children (empty when unreadable). */
export function childPids(pid: number): number[] {
  const out: number[] = [];
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const text = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
      if (text !== '') out.push(...text.split(/\s+/).map(Number));
    }
  } catch {
    // the process is gone or the kernel lacks the children file; its own RSS is all we can read
  }
  return out;
}

/**
 * Proportional set size (KiB) of a process and all its descendants: pages shared between an nginx
 * master and its worker count once, split between them, unlike a sum of VmRSS.
 */
export function treePssKiB(pid: number, depth = 0): number {
  if (depth > 4) return 0;
  const own = readKiB(`/proc/${pid}/smaps_rollup`, 'Pss') || rssKiB(pid);
  return own + childPids(pid).reduce((sum, c) => sum + treePssKiB(c, depth + 1), 0);
}

/**
 * Runs a benchmark entry's main on the command line's arguments and exits with its status. SIGINT or
 * SIGTERM stops every process the harness started (by PID) and exits 130; a second signal kills them at
 * once. On any exit path nothing the harness started outlives it.
 */
export function runMain(main: (argv: readonly string[]) => Promise<number>): void {
  const say = (line: string): void => {
    process.stdout.write(`${line}\n`);
  };
  let interrupted = false;
  const onSignal = (sig: NodeJS.Signals): void => {
    if (interrupted) {
      killAllNow();
      process.exit(130);
    }
    interrupted = true;
    beginShutdown();
    say(`\n${sig}: stopping everything the benchmark started`);
    stopAll().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // Last resort for any exit path: nothing the harness started outlives it.
  process.on('exit', killAllNow);

  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    async (err: unknown) => {
      say(err instanceof Error ? (err.stack ?? err.message) : String(err));
      await stopAll();
      process.exitCode = 1;
    },
  );
}
