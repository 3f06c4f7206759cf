import { join } from 'node:path';
import type { Options, ProxyName } from './args.ts';
import { checkRouting, routedOk } from './checks.ts';
import { foreignShare, sampleCpu, treeCpuSeconds, waitQuiet } from './cpu.ts';
import { pollUntil, rssKiB, stop, treePssKiB } from './procs.ts';
import type { ProxyContext, ProxyDef } from './proxies/proxy.ts';
import type { Measurement, RunResult } from './report.ts';
import type { Scenario } from './scenarios.ts';
import { median, runWrk, type WrkResult } from './wrk.ts';

// One proxy in one scenario, from start to stop.

/** Longest wait from start to the first correctly routed answer (10,000 routes can take a while). */
const READY_DEADLINE_MS = 180_000;
/** Share of non-2xx/3xx answers above which a measurement counts as failed. */
const MAX_ERROR_SHARE = 0.01;
/** Other processes' CPU share under which the machine counts as quiet, and the longest wait for it. */
const QUIET_SHARE = 0.1;
const QUIET_WAIT_MS = 30_000;
/** With quiet handling on, at most this many times the asked runs are made. */
const MAX_ATTEMPTS_FACTOR = 3;

const say = (line: string): void => {
  process.stdout.write(`${line}\n`);
};
const pct = (x: number): string => `${Math.round(x * 100)}%`;

/** Placement of processes on CPUs: the proxy alone on one core, wrk and the backend on the other. */
export interface Cpus {
  readonly proxy: string | undefined;
  readonly load: string | undefined;
}

function failed(proxy: ProxyName, s: Scenario, status: 'failed' | 'skipped', note: string): Measurement {
  return {
    proxy,
    scenario: s.id,
    title: s.title,
    status,
    note,
    runs: [],
    attempts: 0,
    rps: 0,
    p50Ms: 0,
    p99Ms: 0,
    readyMs: 0,
    rssKiB: 0,
    pssKiB: 0,
  };
}

/**
 * Measures one proxy in one scenario: start, wait for the route, check the routing, warm up, run wrk
 * opts.runs times, read its memory, check the routing again, stop it.
 */
export async function measure(
  def: ProxyDef,
  ctx: ProxyContext,
  opts: Options,
  tools: { readonly wrk: string; readonly backendPid: number; readonly cpu: Cpus },
): Promise<Measurement> {
  const { wrk, cpu } = tools;
  const s = ctx.scenario;
  const tag = `${def.name} / ${s.id} ${s.title}`;
  const proc = await def.start(ctx).catch((err: unknown) => err as Error);
  if (proc instanceof Error) return failed(def.name, s, 'failed', proc.message);
  try {
    await pollUntil(`${tag}: route ${s.host}${s.path}`, routedOk(s, ctx.port), READY_DEADLINE_MS, proc);
    const readyMs = performance.now() - proc.startedAt;
    const problem = await checkRouting(s, ctx.port);
    if (problem !== undefined) return failed(def.name, s, 'failed', problem);
    say(`${tag}: ready in ${Math.round(readyMs)} ms, routing checked`);
    const load = (durationS: number, i: number): Promise<WrkResult> =>
      runWrk({
        wrk,
        port: ctx.port,
        host: s.host,
        path: s.path,
        durationS,
        connections: opts.connections,
        cpu: cpu.load,
        logFile: join(ctx.dir, `wrk-${i}.log`),
        ...(s.requestHeaders !== undefined && { headers: s.requestHeaders }),
      });
    const pids = [proc.pid, tools.backendPid];
    if (opts.warmupS > 0) await load(opts.warmupS, 0);
    const all: RunResult[] = [];
    // On a shared machine a run that other processes disturbed is repeated, up to 3x the runs asked.
    const maxAttempts = opts.waitQuiet ? opts.runs * MAX_ATTEMPTS_FACTOR : opts.runs;
    for (let i = 1; i <= maxAttempts; i++) {
      if (all.filter((r) => r.otherCpu < QUIET_SHARE).length >= opts.runs) break;
      if (opts.waitQuiet) {
        const other = await waitQuiet(pids, QUIET_SHARE, QUIET_WAIT_MS);
        if (other >= QUIET_SHARE)
          say(`${tag}: other processes still use ${pct(other)} of the CPUs; measuring anyway`);
      }
      const before = sampleCpu(pids);
      const proxyBefore = treeCpuSeconds(proc.pid);
      const r = await load(opts.durationS, i);
      const after = sampleCpu(pids);
      const otherCpu = foreignShare(before, after);
      const proxyCpu = (treeCpuSeconds(proc.pid) - proxyBefore) / ((after.at - before.at) / 1000);
      all.push({ ...r, otherCpu, proxyCpu: Math.round(proxyCpu * 100) / 100 });
      const errs =
        r.non2xx + r.socketErrors > 0 ? `, ${r.non2xx} non-2xx, ${r.socketErrors} socket errors` : '';
      const disturbed =
        opts.waitQuiet && otherCpu >= QUIET_SHARE ? ' (disturbed: will be repeated if possible)' : '';
      say(
        `${tag}: run ${i}: ${Math.round(r.rps)} req/s, p50 ${r.p50Ms.toFixed(2)} ms, p99 ${r.p99Ms.toFixed(2)} ms, proxy CPU ${pct(proxyCpu)}, other CPU ${pct(otherCpu)}${errs}${disturbed}`,
      );
    }
    // The opts.runs least disturbed runs, in the order they ran.
    const keep = new Set([...all].sort((a, b) => a.otherCpu - b.otherCpu).slice(0, opts.runs));
    const runs = all.filter((r) => keep.has(r));
    const vmRss = rssKiB(proc.pid);
    const pssKiB = treePssKiB(proc.pid);
    const after = await checkRouting(s, ctx.port);
    const non2xx = runs.reduce((a, r) => a + r.non2xx, 0);
    const total = runs.reduce((a, r) => a + r.requests, 0);
    if (after !== undefined) return failed(def.name, s, 'failed', `after load: ${after}`);
    if (non2xx > total * MAX_ERROR_SHARE) {
      return failed(def.name, s, 'failed', `${non2xx} of ${total} answers not 2xx/3xx`);
    }
    const sockErrs = runs.reduce((a, r) => a + r.socketErrors, 0);
    return {
      proxy: def.name,
      scenario: s.id,
      title: s.title,
      status: 'ok',
      ...(non2xx + sockErrs > 0 ? { note: `${non2xx} non-2xx, ${sockErrs} socket errors` } : {}),
      runs,
      attempts: all.length,
      rps: median(runs.map((r) => r.rps)),
      p50Ms: median(runs.map((r) => r.p50Ms)),
      p99Ms: median(runs.map((r) => r.p99Ms)),
      readyMs,
      rssKiB: vmRss,
      pssKiB,
    };
  } catch (err) {
    return failed(def.name, s, 'failed', err instanceof Error ? err.message : String(err));
  } finally {
    await stop(proc);
  }
}
