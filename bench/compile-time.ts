import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent } from 'undici';
import { start, stop, waitExit } from './procs.ts';
import { SCENARIO_B } from './scenarios.ts';
import { median } from './wrk.ts';

// Compile time of the 10,000-router configuration, measured in a child process of its own (clean heap
// and JIT state; a throw there cannot take the harness down). Run as a script it prints one JSON line.

/** Result of the compile measurement. */
export type CompileTiming =
  | {
      readonly status: 'ok';
      readonly routers: number;
      /** zod validation of the dynamic config (DynamicConfigSchema.parse), median. */
      readonly parseMs: number;
      /** merge() of the one file snapshot, median. */
      readonly mergeMs: number;
      /** First compile (cold JIT). */
      readonly coldMs: number;
      /** Median of the following compiles. */
      readonly medianMs: number;
      readonly iterations: number;
      readonly diagnostics: number;
    }
  | { readonly status: 'missing' | 'error'; readonly note: string };

const ROOT = join(import.meta.dirname, '..');
const COMPILE_FILE = join(ROOT, 'router', 'compile', 'compile.ts');

/** Whether the lead's compile module exists yet. */
export function compileAvailable(): boolean {
  return existsSync(COMPILE_FILE);
}

/** Runs this file as a child process (tracked like every other, so SIGINT stops it) and returns its measurement. */
export async function measureCompile(
  backendPort: number,
  iterations: number,
  logFile: string,
): Promise<CompileTiming> {
  if (!compileAvailable()) {
    return {
      status: 'missing',
      note: 'router/compile/compile.ts not found; see startup-to-ready time instead',
    };
  }
  const args = [fileURLToPath(import.meta.url), String(backendPort), String(iterations)];
  const proc = start('compile', process.execPath, args, { logFile });
  if (!(await waitExit(proc, 300_000))) {
    await stop(proc);
    return { status: 'error', note: 'compile child did not finish within 300 s' };
  }
  const out = readFileSync(logFile, 'utf8').trim();
  try {
    return JSON.parse(out.split('\n').pop() ?? '') as CompileTiming;
  } catch {
    return {
      status: 'error',
      note: `compile child exited ${proc.exitCode}: ${out.split('\n').slice(0, 8).join(' | ')}`,
    };
  }
}

/**
 * In the child: validates the 10,000-router file config (DynamicConfigSchema), merges it as the file
 * provider's snapshot, then compiles it as the router does (entryPoints web + wharf, fresh pools, no
 * previous load balancers), closing each table's services before the next compile.
 */
async function childMain(backendPort: number, iterations: number): Promise<CompileTiming> {
  const { compile } = await import('../router/compile/compile.ts');
  const { merge } = await import('../router/reload/merge.ts');
  const { DynamicConfigSchema } = await import('../config/dynamic.ts');
  const { silentLogger } = await import('../core/log.ts');
  const { UpstreamPools } = await import('../router/proxy/upstream-pools.ts');
  const raw = (await import('./proxies/wharf.ts')).wharfDynamic(SCENARIO_B, backendPort);

  const parseTimes: number[] = [];
  const mergeTimes: number[] = [];
  let config = DynamicConfigSchema.parse(raw);
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    config = DynamicConfigSchema.parse(raw);
    const t1 = performance.now();
    merge([{ provider: 'file', config, diagnostics: [] }]);
    mergeTimes.push(performance.now() - t1);
    parseTimes.push(t1 - t0);
  }
  const merged = merge([{ provider: 'file', config, diagnostics: [] }]);
  const pools = new UpstreamPools();
  const sideTraffic = new Agent();
  const deps = {
    entryPoints: [
      { name: 'web', middlewares: [], isDefault: true },
      { name: 'wharf', middlewares: [], isDefault: false },
    ],
    pools,
    sideTraffic,
    logger: silentLogger(),
    previousServices: new Map(),
  };
  const times: number[] = [];
  let diagnostics = 0;
  let routers = 0;
  for (let i = 0; i <= iterations; i++) {
    const t0 = performance.now();
    const { table, diagnostics: diags } = compile(merged, deps);
    times.push(performance.now() - t0);
    diagnostics = diags.length;
    routers = table.info.routers.size;
    for (const r of table.services.values()) r.close();
  }
  await Promise.all([pools.close(), sideTraffic.close()]);
  return {
    status: 'ok',
    routers,
    parseMs: median(parseTimes),
    mergeMs: median(mergeTimes),
    coldMs: times[0]!,
    medianMs: median(times.slice(1)),
    iterations,
    diagnostics,
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const port = Number(process.argv[2] ?? 1);
  const iterations = Number(process.argv[3] ?? 5);
  childMain(port, iterations).then(
    (r) => process.stdout.write(`${JSON.stringify(r)}\n`),
    (err: unknown) => {
      const note = err instanceof Error ? (err.stack ?? err.message) : String(err);
      process.stdout.write(
        `${JSON.stringify({ status: 'error', note: note.split('\n').slice(0, 6).join(' | ') })}\n`,
      );
    },
  );
}
