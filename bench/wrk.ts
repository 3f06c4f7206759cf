import { readFileSync } from 'node:fs';
import { start, stop, waitExit } from './procs.ts';

/** What one wrk run measured. */
export interface WrkResult {
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly requests: number;
  /** Responses with a status outside 2xx/3xx. */
  readonly non2xx: number;
  /** connect + read + write + timeout errors. */
  readonly socketErrors: number;
}

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

function latencyMs(out: string, pct: string): number {
  const m = new RegExp(`^\\s*${pct}%\\s+([\\d.]+)(us|ms|s|m|h)\\s*$`, 'm').exec(out);
  if (m === null) throw new Error(`wrk output has no ${pct}% latency line`);
  return Math.round(Number(m[1]) * UNIT_MS[m[2]!]! * 1000) / 1000; // to the microsecond
}

/** Parses `wrk --latency` output; throws when a needed line is missing. */
export function parseWrk(out: string): WrkResult {
  const rps = /^Requests\/sec:\s+([\d.]+)/m.exec(out);
  if (rps === null) throw new Error(`wrk output has no Requests/sec line:\n${out}`);
  const requests = /^\s*(\d+) requests in /m.exec(out);
  const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(out);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  return {
    rps: Number(rps[1]),
    p50Ms: latencyMs(out, '50'),
    p99Ms: latencyMs(out, '99'),
    requests: requests !== null ? Number(requests[1]) : 0,
    non2xx: non2xx !== null ? Number(non2xx[1]) : 0,
    socketErrors: sock !== null ? sock.slice(1, 5).reduce((a, b) => a + Number(b), 0) : 0,
  };
}

/** One wrk run against 127.0.0.1:port. */
export interface WrkRun {
  readonly wrk: string;
  readonly port: number;
  readonly host: string;
  readonly path: string;
  readonly durationS: number;
  readonly connections: number;
  readonly cpu: string | undefined;
  readonly logFile: string;
  /** More request headers (besides Host), e.g. credentials. */
  readonly headers?: Readonly<Record<string, string>>;
  /** A wrk Lua script (`-s`), e.g. one that sets the method and body of a POST. */
  readonly script?: string;
}

/** Runs `wrk -t1 -c<N> -d<S>s --latency` with the scenario's Host (and other) headers and parses its report. */
export async function runWrk(r: WrkRun): Promise<WrkResult> {
  const args = [
    '-t1',
    `-c${r.connections}`,
    `-d${r.durationS}s`,
    '--latency',
    '--timeout',
    '5s',
    '-H',
    `Host: ${r.host}`,
    ...Object.entries(r.headers ?? {}).flatMap(([k, v]) => ['-H', `${k}: ${v}`]),
    ...(r.script !== undefined ? ['-s', r.script] : []),
    `http://127.0.0.1:${r.port}${r.path}`,
  ];
  const proc = start('wrk', r.wrk, args, { logFile: r.logFile, cpu: r.cpu });
  // wrk stops itself after durationS; the margin bounds a hung run.
  if (!(await waitExit(proc, (r.durationS + 30) * 1000))) {
    await stop(proc);
    throw new Error(`wrk did not finish within ${r.durationS + 30} s`);
  }
  const out = readFileSync(r.logFile, 'utf8');
  if (proc.exitCode !== 0) throw new Error(`wrk exited with code ${proc.exitCode}:\n${out}`);
  return parseWrk(out);
}

/** The median of a non-empty list. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
