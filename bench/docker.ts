import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type Docker from 'dockerode';
import { MALLOC_ENV, NODE_FLAGS } from '../core/node-flags.ts';
import { dockerFromHost } from '../test/docker/engine.ts';
import setupEngine from '../test/docker/global-setup.ts';
import { TEST_IMAGE } from '../test/docker/image.ts';
import {
  BENCH_LABEL,
  parseContainerArgs,
  percentile,
  startSleepingContainers,
  watchStarts,
} from './docker-events.ts';
import { freePort, httpGet, pollUntil, type Started, start, stop } from './procs.ts';

// `npm run bench:docker`: how fast Docker changes reach the routing table, against a real Docker Engine
// (the one at DOCKER_HOST or /var/run/docker.sock, else our own dockerd, as the tests provision it).
//  1. Event to route: N labelled containers started one after another; for each, the time from the
//     engine's `start` event (its timeNano) to the first 200 through Wharf. p50 and p99.
//  2. Start-up: M labelled containers running before Wharf starts; time from Wharf's process start to
//     its API showing every router (the first complete snapshot in service).
// Containers serve on 127.0.0.1 in host network mode (1) or sleep on a bridge network and are never
// contacted (2). Every loop is bounded; everything started is removed by its id, Wharf stopped by PID.

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TMP = join(ROOT, 'bench', '.tmp', 'docker');

const parseArgs = (argv: readonly string[]) =>
  parseContainerArgs(argv, { containers: 50, startup: 500 }, { containers: 10, startup: 50 });

async function startWharf(host: string, runId: string): Promise<{ proc: Started; web: number; api: number }> {
  mkdirSync(TMP, { recursive: true });
  const [web, api] = [await freePort(), await freePort()];
  const file = join(TMP, 'wharf.yml');
  writeFileSync(
    file,
    [
      'entryPoints:',
      `  web: { address: "127.0.0.1:${web}" }`,
      `  wharf: { address: "127.0.0.1:${api}" }`,
      'providers:',
      `  docker: { endpoint: "${host}", constraints: "Label(\`${BENCH_LABEL}\`,\`${runId}\`)" }`,
      'api: { insecure: true }',
      'ping: {}',
      'log: { level: ERROR }',
      '',
    ].join('\n'),
  );
  const proc = start(
    'wharf',
    process.execPath,
    [...NODE_FLAGS, join(ROOT, 'bin', 'wharf.js'), '--configFile', file],
    {
      logFile: join(TMP, 'wharf.log'),
      env: MALLOC_ENV,
    },
  );
  await pollUntil(
    'wharf /ping',
    async () => (await httpGet(api, 'x', '/ping')).status === 200,
    30_000,
    proc,
    10,
  );
  return { proc, web, api };
}

async function eventToRoute(
  docker: Docker,
  host: string,
  n: number,
  runId: string,
  ids: string[],
): Promise<number[]> {
  const wharf = await startWharf(host, runId);
  const controller = new AbortController();
  const starts = await watchStarts(docker, controller.signal);
  const latencies: number[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const port = await freePort();
      const name = `bench-${runId}-${i}`;
      const c = await docker.createContainer({
        name,
        Image: TEST_IMAGE,
        Cmd: ['/bin/wharf-serve', `127.0.0.1:${port}`],
        Labels: {
          [BENCH_LABEL]: runId,
          'wharf.test': '1',
          [`wharf.http.routers.r${i}.rule`]: `Host(\`r${i}.bench.docker\`)`,
          [`wharf.http.services.r${i}.loadbalancer.server.port`]: String(port),
        },
        HostConfig: { NetworkMode: 'host' },
      });
      ids.push(c.id);
      await c.start();
      const host = `r${i}.bench.docker`;
      await pollUntil(
        `route ${host}`,
        async () => (await httpGet(wharf.web, host, '/', 1000)).status === 200,
        10_000,
        wharf.proc,
        1,
      );
      const answered = Date.now();
      await pollUntil(`start event of ${name}`, async () => starts.has(c.id), 5_000, undefined, 5);
      latencies.push(answered - (starts.get(c.id) as number));
    }
  } finally {
    controller.abort();
    await stop(wharf.proc);
  }
  return latencies;
}

async function startupSnapshot(
  docker: Docker,
  host: string,
  m: number,
  runId: string,
  ids: string[],
): Promise<{ ms: number; routers: number }> {
  await startSleepingContainers(docker, runId, m, ids);
  const began = performance.now();
  const wharf = await startWharf(host, runId);
  let routers = 0;
  try {
    await pollUntil(
      `${m} routers in the API`,
      async () => {
        const r = await httpGet(wharf.api, 'x', '/api/overview');
        routers =
          r.status === 200
            ? (JSON.parse(r.body) as { http: { routers: { total: number } } }).http.routers.total
            : 0;
        return routers >= m;
      },
      120_000,
      wharf.proc,
      10,
    );
    return { ms: performance.now() - began, routers };
  } finally {
    await stop(wharf.proc);
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const provided = new Map<string, unknown>();
  const project = {
    provide: (k: string, v: unknown) => provided.set(k, v),
    vitest: { config: { watch: true } },
  };
  const teardown = await setupEngine(project as unknown as Parameters<typeof setupEngine>[0]);
  const host = provided.get('dockerHost') as string | undefined;
  const ids: string[] = [];
  let docker: Docker | undefined;
  try {
    if (!host)
      throw new Error(
        `no Docker Engine: ${String(provided.get('dockerError') ?? provided.get('dockerSkipReason'))}`,
      );
    docker = dockerFromHost(host);
    const runId = (provided.get('dockerRunId') as string) ?? String(process.pid);
    const version = (await docker.version()) as { Version?: string; ApiVersion?: string };
    process.stdout.write(`engine: Docker ${version.Version} (API ${version.ApiVersion}) at ${host}\n`);
    process.stdout.write(`1. event to route: ${args.containers} containers, default throttle (100ms)\n`);
    const lat = await eventToRoute(docker, host, args.containers, runId, ids);
    const fmt = (x: number) => `${Math.round(x)} ms`;
    process.stdout.write(
      `  p50 ${fmt(percentile(lat, 50))}, p99 ${fmt(percentile(lat, 99))}, min ${fmt(Math.min(...lat))}, max ${fmt(Math.max(...lat))} (targets: p50 < 100 ms, p99 < 300 ms)\n`,
    );
    process.stdout.write(`2. start-up with ${args.startup} labelled containers running\n`);
    const s = await startupSnapshot(docker, host, args.startup, runId, ids);
    process.stdout.write(`  Wharf start to all ${s.routers} routers in service: ${fmt(s.ms)}\n`);
  } finally {
    if (docker) {
      const d = docker;
      let i = 0;
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          while (i < ids.length)
            await d
              .getContainer(ids[i++] as string)
              .remove({ force: true })
              .catch(() => undefined);
        }),
      );
    }
    await teardown?.();
  }
}

await main();
