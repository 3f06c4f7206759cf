import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { childPids } from './procs.ts';

// CPU time not spent by the benchmark's own processes, so a run on a shared machine (builds, tests of
// other people) can be recognised: the report shows it per run and the harness waits for a quiet moment.

/** CPU ticks (USER_HZ) the whole machine and the benchmark's processes had used at one moment. */
export interface CpuSample {
  readonly at: number;
  readonly busyTicks: number;
  readonly oursTicks: number;
}

const HZ = 100; // USER_HZ; 100 on every Linux the harness targets

function machineBusyTicks(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal: busy leaves out idle and iowait
  return (f[0] ?? 0) + (f[1] ?? 0) + (f[2] ?? 0) + (f[5] ?? 0) + (f[6] ?? 0) + (f[7] ?? 0);
}

function procTicks(pid: number | 'self', withChildren: boolean): number {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // fields after the ")" that closes the command name: state is field 3, utime 14, stime 15, cutime 16, cstime 17
    const f = text
      .slice(text.lastIndexOf(')') + 2)
      .split(' ')
      .map(Number);
    const own = (f[11] ?? 0) + (f[12] ?? 0);
    return withChildren ? own + (f[13] ?? 0) + (f[14] ?? 0) : own;
  } catch {
    return 0;
  }
}

function treeTicks(pid: number, depth = 0): number {
  if (depth > 4) return 0;
  return procTicks(pid, false) + childPids(pid).reduce((s, c) => s + treeTicks(c, depth + 1), 0);
}

/** CPU seconds a process and its descendants have used so far (nginx: master + worker). */
export function treeCpuSeconds(pid: number): number {
  return treeTicks(pid) / HZ;
}

/**
 * A sample of machine-wide busy time and of the time used by the given process trees plus this harness
 * and its reaped children (wrk, once it has exited).
 */
export function sampleCpu(pids: readonly number[]): CpuSample {
  return {
    at: performance.now(),
    busyTicks: machineBusyTicks(),
    oursTicks: procTicks('self', true) + pids.reduce((s, p) => s + treeTicks(p), 0),
  };
}

/** Share of the machine's whole CPU capacity (0..1) used by other processes between two samples. */
export function foreignShare(a: CpuSample, b: CpuSample): number {
  const seconds = (b.at - a.at) / 1000;
  if (seconds <= 0) return 0;
  const foreign = (b.busyTicks - a.busyTicks - (b.oursTicks - a.oursTicks)) / HZ;
  return Math.max(0, Math.min(1, foreign / (seconds * cpus().length)));
}

/**
 * Waits until other processes use less than `threshold` of the machine over a 1 s window, at most
 * maxWaitMs. Returns the last measured share.
 */
export async function waitQuiet(
  pids: readonly number[],
  threshold: number,
  maxWaitMs: number,
): Promise<number> {
  const t0 = performance.now();
  let share = 1;
  for (let i = 0; i < Math.ceil(maxWaitMs / 1000) + 1; i++) {
    const a = sampleCpu(pids);
    await new Promise((r) => setTimeout(r, 1000));
    share = foreignShare(a, sampleCpu(pids));
    if (share < threshold || performance.now() - t0 >= maxWaitMs) break;
  }
  return share;
}
