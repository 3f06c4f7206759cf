import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { TEST_IMAGE } from '../test/docker/image.ts';

/** The label that scopes a benchmark run's containers (constraints select on it). */
export const BENCH_LABEL = 'wharf.bench';

// Shared by the Docker benchmarks (bench:docker, bench:registrar).

/** The p-th percentile (nearest rank) of xs. */
export const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] as number;
};

/** Start-event times by container id, from the engine's events stream. */
export async function watchStarts(docker: Docker, signal: AbortSignal): Promise<Map<string, number>> {
  const starts = new Map<string, number>();
  const stream = (await docker.getEvents({
    filters: { type: ['container'], event: ['start'] },
    abortSignal: signal,
  } as Docker.GetEventsOptions)) as unknown as Readable;
  let rest = '';
  stream.on('data', (chunk: Buffer) => {
    const lines = (rest + chunk.toString('utf8')).split('\n');
    rest = lines.pop() as string;
    for (const line of lines) {
      if (!line.trim()) continue;
      const e = JSON.parse(line) as { id?: string; Actor?: { ID?: string }; timeNano?: number };
      const id = e.Actor?.ID ?? e.id;
      if (id && e.timeNano) starts.set(id, e.timeNano / 1e6);
    }
  });
  stream.on('error', () => undefined);
  return starts;
}

/**
 * Starts m labelled containers that sleep on the bridge network (never contacted), 8 at a time, each with
 * a Host router `s<i>.bench.docker`; their ids go to `ids` as they are created (for cleanup). `check` runs
 * before each one (to stop on Ctrl-C); progress is printed every tenth.
 */
export async function startSleepingContainers(
  docker: Docker,
  runId: string,
  m: number,
  ids: string[],
  check: () => void = () => undefined,
): Promise<void> {
  let next = 0;
  let done = 0;
  const step = Math.max(1, Math.ceil(m / 10));
  const t0 = performance.now();
  const worker = async () => {
    while (next < m) {
      check();
      const i = next++;
      const c = await docker.createContainer({
        name: `bench-${runId}-s${i}`,
        Image: TEST_IMAGE,
        Cmd: ['sleep', '3600'],
        Labels: {
          [BENCH_LABEL]: runId,
          'wharf.test': '1',
          [`wharf.http.routers.s${i}.rule`]: `Host(\`s${i}.bench.docker\`)`,
          [`wharf.http.services.s${i}.loadbalancer.server.port`]: '80',
        },
      });
      ids.push(c.id);
      await c.start();
      if (++done % step === 0 || done === m)
        process.stdout.write(
          `  ${done}/${m} containers started (${((performance.now() - t0) / 1000).toFixed(1)} s)\n`,
        );
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

/** `--quick`, `--containers=N`, `--startup=M` of the Docker benchmarks, each a whole number 1-5000. */
export function parseContainerArgs(
  argv: readonly string[],
  defaults: { containers: number; startup: number },
  quick: { containers: number; startup: number },
): { containers: number; startup: number } {
  const args = { ...defaults };
  for (const a of argv) {
    if (a === '--quick') Object.assign(args, quick);
    else if (a.startsWith('--containers=')) args.containers = Number(a.slice(13));
    else if (a.startsWith('--startup=')) args.startup = Number(a.slice(10));
    else throw new Error(`unknown flag ${a} (use --quick, --containers=N, --startup=N)`);
  }
  for (const [k, v] of Object.entries(args))
    if (!Number.isInteger(v) || v < 1 || v > 5000) throw new Error(`--${k}: give a whole number 1-5000`);
  return args;
}
