import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import type { Options, ProxyName, ScenarioId } from './args.ts';
import type { CompileTiming } from './compile-time.ts';
import type { Tool } from './peers.ts';
import { median, type WrkResult } from './wrk.ts';

/** One wrk run, the share of the machine's CPU that other processes used meanwhile (0..1), and the proxy's CPU. */
export type RunResult = WrkResult & {
  readonly otherCpu: number;
  /** CPU the proxy (with its children) used during the run, in cores (1 = one core busy all the time). */
  readonly proxyCpu: number;
};

/** One proxy in one scenario. */
export interface Measurement {
  readonly proxy: ProxyName;
  /** A variant of the proxy's configuration (Wharf with tracing: `tracing 10%`); absent: the plain one. */
  readonly variant?: string;
  readonly scenario: ScenarioId;
  readonly title: string;
  readonly status: 'ok' | 'skipped' | 'failed';
  readonly note?: string;
  /** The runs kept: the least disturbed ones (see attempts). */
  readonly runs: readonly RunResult[];
  /** wrk runs made, disturbed ones included. */
  readonly attempts: number;
  /** Medians over runs. */
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** From process start to the first correctly routed 200. */
  readonly readyMs: number;
  /** VmRSS of the started process after the load runs, KiB (for nginx: the master only). */
  readonly rssKiB: number;
  /** PSS of the started process and its children (nginx master + worker) after the load runs, KiB. */
  readonly pssKiB: number;
}

/** Everything one `npm run bench` measured; written as JSON to bench/results/. */
export interface Report {
  readonly startedAt: string;
  readonly machine: {
    readonly nproc: number;
    readonly cpuModel: string;
    readonly node: string;
    /** 1-minute load average when the run started; above ~0.5 other work shares the CPUs. */
    readonly loadAvgAtStart: number;
    readonly versions: Partial<Record<Tool, string>>;
  };
  readonly options: Options;
  readonly pinned: boolean;
  readonly backend: 'nginx' | 'node';
  readonly results: Measurement[];
  readonly wharf: {
    readonly compile: CompileTiming | null;
    /** Startup-to-ready with 10,000 routers (the stand-in while compile is not importable). */
    readonly readyMs10k: number | null;
    readonly rssKiB10k: number | null;
  };
}

/** Facts about this machine for the report. */
export function machineInfo(versions: Partial<Record<Tool, string>>): Report['machine'] {
  const cpu = cpus();
  return {
    nproc: cpu.length,
    cpuModel: cpu[0]?.model ?? 'unknown',
    node: process.version,
    loadAvgAtStart: Number(loadavg()[0]!.toFixed(2)),
    versions,
  };
}

const fmtInt = (n: number): string => Math.round(n).toLocaleString('en-US');
const fmtMs = (n: number): string => (n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : n.toFixed(0));
const fmtMiB = (kib: number): string => (kib > 0 ? `${(kib / 1024).toFixed(1)} MiB` : '-');

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const line = (r: string[]): string =>
    r.map((cell, c) => (c < 2 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
  return [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

function ratioLines(results: readonly Measurement[], scenario: ScenarioId): string[] {
  const ok = (p: ProxyName): Measurement | undefined =>
    results.find(
      (m) => m.scenario === scenario && m.proxy === p && m.variant === undefined && m.status === 'ok',
    );
  const wharf = ok('wharf');
  const out: string[] = [];
  for (const v of results.filter((m) => m.scenario === scenario && m.variant && m.status === 'ok')) {
    if (wharf === undefined) continue;
    // CPU per request is what a variant adds; it is less disturbed by other processes than req/s.
    const cpuUs = (m: Measurement) => median(m.runs.map((x) => (x.proxyCpu / x.rps) * 1e6));
    out.push(
      `  Wharf ${v.variant}/off req/s ${(v.rps / wharf.rps).toFixed(2)}x   p99 ${fmtMs(v.p99Ms)} vs ${fmtMs(wharf.p99Ms)} ms   CPU/request ${cpuUs(v).toFixed(1)} vs ${cpuUs(wharf).toFixed(1)} µs (${(cpuUs(wharf) / cpuUs(v)).toFixed(2)}x)`,
    );
  }
  for (const peer of ['caddy', 'caddy-merged', 'nginx', 'haproxy'] as const) {
    const m = ok(peer);
    if (wharf === undefined || m === undefined) continue;
    out.push(
      `  Wharf/${peer.padEnd(12)} req/s ${(wharf.rps / m.rps).toFixed(2)}x   p99 ${fmtMs(wharf.p99Ms)} vs ${fmtMs(m.p99Ms)} ms (${(wharf.p99Ms / m.p99Ms).toFixed(2)}x)`,
    );
  }
  // Scenario E has no peer: it is Wharf with a rateLimit against Wharf without (scenario A, same run).
  const plain = results.find((m) => m.scenario === 'A' && m.proxy === 'wharf' && m.status === 'ok');
  if (scenario === 'E' && wharf !== undefined && plain !== undefined) {
    out.push(
      `  Wharf E/Wharf A      req/s ${(wharf.rps / plain.rps).toFixed(2)}x   p99 ${fmtMs(wharf.p99Ms)} vs ${fmtMs(plain.p99Ms)} ms (rateLimit's cost: ${(100 * (1 - wharf.rps / plain.rps)).toFixed(1)}% of req/s)`,
    );
  }
  if (out.length === 0) out.push('  (no Wharf result or no peer result: ratios n/a)');
  return out;
}

/** The human-readable report. */
export function formatReport(r: Report): string {
  const v = r.machine.versions;
  const busy =
    r.machine.loadAvgAtStart > 0.5 ? '  (other work was running: figures may be low and noisy)' : '';
  const head = [
    `machine: ${r.machine.nproc} CPUs (${r.machine.cpuModel}), node ${r.machine.node}, load average ${r.machine.loadAvgAtStart}${busy}`,
    `peers:   ${['nginx', 'haproxy', 'caddy', 'wrk'].map((t) => `${t} ${v[t as Tool] ?? 'missing'}`).join(' | ')}`,
    `load:    wrk -t1 -c${r.options.connections} -d${r.options.durationS}s, ${r.options.warmupS} s warm-up, median of ${r.options.runs} run(s)` +
      `; backend ${r.backend}${r.backend === 'node' ? ' (a Node upstream may cap the fastest peers)' : ''}` +
      `; ${r.pinned ? 'proxy pinned to CPU 1, wrk + backend to CPU 0' : 'no CPU pinning'}`,
  ];
  const rows = [
    [
      'proxy',
      'scenario',
      'req/s',
      'p50 ms',
      'p99 ms',
      'ready ms',
      'mem (PSS)',
      'proxy CPU',
      'other CPU',
      'runs req/s',
    ],
  ];
  for (const m of r.results) {
    const name = m.variant ? `${m.proxy} ${m.variant}` : m.proxy;
    if (m.status !== 'ok') {
      rows.push([
        name,
        `${m.scenario} ${m.title}`,
        m.status,
        '-',
        '-',
        '-',
        '-',
        '-',
        '-',
        (m.note ?? '').split('\n')[0]!.slice(0, 60),
      ]);
      continue;
    }
    rows.push([
      name,
      `${m.scenario} ${m.title}`,
      fmtInt(m.rps),
      fmtMs(m.p50Ms),
      fmtMs(m.p99Ms),
      fmtInt(m.readyMs),
      fmtMiB(m.pssKiB),
      `${Math.round(median(m.runs.map((x) => x.proxyCpu)) * 100)}%`,
      `${Math.round(Math.max(...m.runs.map((x) => x.otherCpu)) * 100)}%`,
      m.runs.map((x) => fmtInt(x.rps)).join(' / ') +
        (m.attempts > m.runs.length ? ` (of ${m.attempts})` : ''),
    ]);
  }
  const capped = r.results.filter((m) => m.status === 'ok' && median(m.runs.map((x) => x.proxyCpu)) < 0.9);
  const notes =
    capped.length > 0
      ? [
          `note: ${capped.map((m) => `${m.proxy}/${m.scenario}`).join(', ')}: proxy CPU below 90%: the load side (wrk + backend on`,
          '      the other core) was the limit, not the proxy, so these req/s are lower bounds.',
          '',
        ]
      : [];
  const ratios: string[] = [];
  for (const id of r.options.scenarios) ratios.push(`scenario ${id}:`, ...ratioLines(r.results, id));
  const w = r.wharf;
  const c = w.compile;
  const compile =
    c === null
      ? 'compile: not measured (wharf not run)'
      : c.status === 'ok'
        ? `compile: ${c.routers} routers: ${fmtMs(c.medianMs)} ms median of ${c.iterations} (cold ${fmtMs(c.coldMs)} ms; before it: schema parse ${fmtMs(c.parseMs)} ms, merge ${fmtMs(c.mergeMs)} ms; ${c.diagnostics} diagnostics)`
        : `compile: ${c.status}: ${c.note}`;
  const wharfLines = [
    compile,
    `startup-to-ready with 10k routers: ${w.readyMs10k === null ? 'n/a' : `${fmtInt(w.readyMs10k)} ms`}`,
    `VmRSS with 10k routers after load: ${w.rssKiB10k === null ? 'n/a' : fmtMiB(w.rssKiB10k)}`,
  ];
  return [
    ...head,
    '',
    table(rows),
    '',
    ...notes,
    'ratios:',
    ...ratios,
    '',
    'wharf:',
    ...wharfLines.map((l) => `  ${l}`),
    '',
  ].join('\n');
}

/** Writes the report as JSON to bench/results/<timestamp>.json and returns the path. */
export function writeReport(r: Report, resultsDir: string): string {
  mkdirSync(resultsDir, { recursive: true });
  const file = join(resultsDir, `${r.startedAt.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(r, null, 2)}\n`);
  return file;
}
