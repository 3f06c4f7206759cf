import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type Docker from 'dockerode';
import { request } from 'undici';
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
import { beginShutdown, freePort, httpGet, pollUntil, type Started, start, stop, stopAll } from './procs.ts';

// `npm run bench:registrar`: how fast the registrar carries Docker changes through Consul to a router,
// against a real Docker Engine (DOCKER_HOST or /var/run/docker.sock, else our own dockerd, as the tests
// provision it), the Consul test server (test/consul/main.ts) as a process, a wharf-registrar process and a
// Wharf process whose only provider is providers.consul (default throttle, 100 ms).
//  1. Event to route: N labelled containers started one after another; for each, the time from the
//     engine's `start` event (its timeNano) to the first 200 through Wharf, p50 and p99, and to the
//     container's document in Consul (polled beside the route, every 2 ms: the registrar's share). Then, as a
//     reference in the same run, N more containers with a Wharf reading Docker directly (bench:docker's
//     figure), and the ratio of the two.
//  2. Start-up: M labelled containers running before the registrar starts (a fresh Consul test server);
//     time from the registrar's process start to Consul holding all M documents, each parsed as JSON.
// Containers serve on 127.0.0.1 in host network mode (1) or sleep on a bridge network and are never
// contacted (2). Every loop is bounded; everything started is removed by its id, processes stopped by PID.

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TMP = join(ROOT, 'bench', '.tmp', 'registrar');
const HOST_ID = 'bench';
const PREFIX = `wharf/registrar/${HOST_ID}/containers/`;
const CONCURRENCY = 8;

const parseArgs = (argv: readonly string[]) =>
  parseContainerArgs(argv, { containers: 50, startup: 1000 }, { containers: 10, startup: 100 });

let interrupted = false;
const checkInterrupted = () => {
  if (interrupted) throw new Error('interrupted');
};

/** The Consul test server as a process on a free port. */
async function startConsul(tag: string): Promise<{ proc: Started; port: number }> {
  const port = await freePort();
  const proc = start(
    'consul',
    process.execPath,
    [join(ROOT, 'test', 'consul', 'main.ts'), '--port', String(port)],
    {
      logFile: join(TMP, `consul-${tag}.log`),
    },
  );
  await pollUntil(
    'consul test server',
    async () => (await httpGet(port, 'x', '/v1/status/leader')).status === 200,
    30_000,
    proc,
    10,
  );
  return { proc, port };
}

function startRegistrar(
  host: string,
  consulPort: number,
  runId: string,
  healthFile: string,
  tag: string,
): Started {
  return start(
    'wharf-registrar',
    process.execPath,
    [
      ...NODE_FLAGS,
      join(ROOT, 'bin', 'wharf-registrar.js'),
      `--registrar.hostId=${HOST_ID}`,
      `--consul.endpoints=127.0.0.1:${consulPort}`,
      `--providers.docker.endpoint=${host}`,
      `--providers.docker.constraints=Label(\`${BENCH_LABEL}\`,\`${runId}\`)`,
      '--log.level=ERROR',
      `--registrar.healthFile=${healthFile}`,
    ],
    { logFile: join(TMP, `registrar-${tag}.log`), env: MALLOC_ENV },
  );
}

/** A Wharf process with one provider: Consul (the registrar's documents) or Docker (directly). */
async function startWharf(provider: string, tag: string): Promise<{ proc: Started; web: number }> {
  const [web, api] = [await freePort(), await freePort()];
  const file = join(TMP, `wharf-${tag}.yml`);
  writeFileSync(
    file,
    [
      'entryPoints:',
      `  web: { address: "127.0.0.1:${web}" }`,
      `  wharf: { address: "127.0.0.1:${api}" }`,
      'providers:',
      `  ${provider}`,
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
    { logFile: join(TMP, `wharf-${tag}.log`), env: MALLOC_ENV },
  );
  await pollUntil(
    'wharf /ping',
    async () => (await httpGet(api, 'x', '/ping')).status === 200,
    30_000,
    proc,
    10,
  );
  return { proc, web };
}

/**
 * Starts n serving containers one after another; for each, the time from its start event to the first 200
 * through Wharf, and (with consulPort) to its document in Consul.
 */
async function eventToRoute(
  docker: Docker,
  web: number,
  watched: readonly Started[],
  n: number,
  runId: string,
  tag: string,
  ids: string[],
  consulPort?: number,
): Promise<{ route: number[]; stored: number[] }> {
  const controller = new AbortController();
  const starts = await watchStarts(docker, controller.signal);
  const latencies: number[] = [];
  const stored: number[] = [];
  const alive = () => {
    const dead = watched.find((p) => p.exited);
    if (dead) throw new Error(`${dead.name} exited with code ${dead.exitCode} (log: ${dead.logFile})`);
  };
  try {
    for (let i = 0; i < n; i++) {
      checkInterrupted();
      const port = await freePort();
      const name = `bench-${runId}-${tag}${i}`;
      const c = await docker.createContainer({
        name,
        Image: TEST_IMAGE,
        Cmd: ['/bin/wharf-serve', `127.0.0.1:${port}`],
        Labels: {
          [BENCH_LABEL]: runId,
          'wharf.test': '1',
          [`wharf.http.routers.${tag}${i}.rule`]: `Host(\`${tag}${i}.bench.docker\`)`,
          [`wharf.http.services.${tag}${i}.loadbalancer.server.port`]: String(port),
        },
        HostConfig: { NetworkMode: 'host' },
      });
      ids.push(c.id);
      await c.start();
      const host = `${tag}${i}.bench.docker`;
      const inConsul =
        consulPort === undefined
          ? undefined
          : pollUntil(
              `document of ${name}`,
              async () => (await httpGet(consulPort, 'x', `/v1/kv/${PREFIX}${c.id}`)).status === 200,
              10_000,
              undefined,
              2,
            ).then(
              () => Date.now(),
              () => Number.NaN,
            );
      await pollUntil(
        `route ${host}`,
        async () => {
          alive();
          return (await httpGet(web, host, '/', 1000)).status === 200;
        },
        10_000,
        undefined,
        1,
      );
      const answered = Date.now();
      await pollUntil(`start event of ${name}`, async () => starts.has(c.id), 5_000, undefined, 5);
      const started = starts.get(c.id) as number;
      latencies.push(answered - started);
      if (inConsul) stored.push((await inConsul) - started);
    }
  } finally {
    controller.abort();
  }
  return { route: latencies, stored };
}

/** Removes containers by id, a few at a time; empties the list. */
async function removeAll(docker: Docker, ids: string[]): Promise<void> {
  const todo = ids.splice(0);
  let i = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (i < todo.length)
        await docker
          .getContainer(todo[i++] as string)
          .remove({ force: true })
          .catch(() => undefined);
    }),
  );
}

/** GET from the Consul test server: status and parsed JSON (undefined on 404). */
async function consulGet(port: number, path: string): Promise<unknown> {
  const r = await request(`http://127.0.0.1:${port}${path}`, { headersTimeout: 5000, bodyTimeout: 5000 });
  const text = await r.body.text();
  if (r.statusCode === 404) return undefined;
  if (r.statusCode !== 200) throw new Error(`consul GET ${path}: ${r.statusCode} ${text}`);
  return JSON.parse(text);
}

interface Startup {
  firstMs: number;
  allMs: number;
  documents: number;
  txns: number;
}

async function startup(
  docker: Docker,
  host: string,
  m: number,
  runId: string,
  healthDir: string,
  ids: string[],
): Promise<Startup> {
  await startSleepingContainers(docker, runId, m, ids, checkInterrupted);
  const consul = await startConsul('startup');
  let registrar: Started | undefined;
  try {
    registrar = startRegistrar(host, consul.port, runId, join(healthDir, 'startup.json'), 'startup');
    const began = registrar.startedAt;
    let firstMs = 0;
    const keysPath = `/v1/kv/${PREFIX}?keys`;
    await pollUntil(
      `${m} documents in Consul`,
      async () => {
        const keys = ((await consulGet(consul.port, keysPath)) ?? []) as string[];
        if (keys.length > 0 && firstMs === 0) firstMs = performance.now() - began;
        return keys.length >= m;
      },
      120_000,
      registrar,
      25,
    );
    const allMs = performance.now() - began;
    const entries = (await consulGet(consul.port, `/v1/kv/${PREFIX}?recurse`)) as Array<{
      Key: string;
      Value: string | null;
      ModifyIndex: number;
    }>;
    const writes = new Set<number>();
    for (const e of entries) {
      const doc = JSON.parse(Buffer.from(e.Value ?? '', 'base64').toString('utf8')) as {
        version?: number;
        host?: string;
        container?: { id?: string };
        labels?: Record<string, string>;
      };
      const rule = Object.entries(doc.labels ?? {}).find(([k]) =>
        /^wharf\.http\.routers\.s\d+\.rule$/.test(k),
      );
      if (doc.version !== 1 || doc.host !== HOST_ID || `${PREFIX}${doc.container?.id}` !== e.Key || !rule)
        throw new Error(`incomplete document at ${e.Key}: ${JSON.stringify(doc).slice(0, 300)}`);
      writes.add(e.ModifyIndex);
    }
    if (entries.length !== m) throw new Error(`expected ${m} documents, Consul holds ${entries.length}`);
    return { firstMs, allMs, documents: entries.length, txns: writes.size };
  } finally {
    if (registrar) await stop(registrar);
    await stop(consul.proc);
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  mkdirSync(TMP, { recursive: true });
  const healthDir = mkdtempSync(join(tmpdir(), 'wharf-bench-registrar-'));
  const onSignal = () => {
    interrupted = true;
    beginShutdown();
    void stopAll();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const provided = new Map<string, unknown>();
  const project = {
    provide: (k: string, v: unknown) => provided.set(k, v),
    vitest: { config: { watch: true } },
  };
  const teardown = await setupEngine(project as unknown as Parameters<typeof setupEngine>[0]);
  const host = provided.get('dockerHost') as string | undefined;
  const ids: string[] = [];
  let docker: Docker | undefined;
  const procs: Started[] = [];
  try {
    if (!host)
      throw new Error(
        `no Docker Engine: ${String(provided.get('dockerError') ?? provided.get('dockerSkipReason'))}`,
      );
    docker = dockerFromHost(host);
    const runId = (provided.get('dockerRunId') as string) ?? String(process.pid);
    const version = (await docker.version()) as { Version?: string; ApiVersion?: string };
    process.stdout.write(`engine: Docker ${version.Version} (API ${version.ApiVersion}) at ${host}\n`);
    const fmt = (x: number) => `${Math.round(x).toLocaleString('en-US')} ms`;
    const summary = (lat: number[]) =>
      `p50 ${fmt(percentile(lat, 50))}, p99 ${fmt(percentile(lat, 99))}, min ${fmt(Math.min(...lat))}, max ${fmt(Math.max(...lat))}`;

    process.stdout.write(
      `1. event to route through the registrar and Consul: ${args.containers} containers, router throttle 100ms\n`,
    );
    const consul = await startConsul('events');
    procs.push(consul.proc);
    const registrar = startRegistrar(host, consul.port, runId, join(healthDir, 'events.json'), 'events');
    procs.push(registrar);
    const viaConsul = await startWharf(`consul: { endpoints: ["127.0.0.1:${consul.port}"] }`, 'consul');
    procs.push(viaConsul.proc);
    await pollUntil(
      'registrar in sync',
      async () => {
        try {
          return JSON.parse(readFileSync(join(healthDir, 'events.json'), 'utf8')).inSync === true;
        } catch {
          return false;
        }
      },
      30_000,
      registrar,
      20,
    );
    const { route: lat, stored } = await eventToRoute(
      docker,
      viaConsul.web,
      procs,
      args.containers,
      runId,
      'r',
      ids,
      consul.port,
    );
    process.stdout.write(`  ${summary(lat)} (targets: p50 < 300 ms, p99 < 1,000 ms)\n`);
    process.stdout.write(`  of which start event to the document in Consul: ${summary(stored)}\n`);
    for (const p of procs.splice(0).reverse()) await stop(p);

    const direct = await startWharf(
      `docker: { endpoint: "${host}", constraints: "Label(\`${BENCH_LABEL}\`,\`${runId}\`)" }`,
      'docker',
    );
    procs.push(direct.proc);
    const ref = (await eventToRoute(docker, direct.web, procs, args.containers, runId, 'd', ids)).route;
    for (const p of procs.splice(0).reverse()) await stop(p);
    process.stdout.write(`  same run, Wharf reading Docker directly (bench:docker): ${summary(ref)}\n`);
    const ratio = (p: number) => (percentile(lat, p) / Math.max(1, percentile(ref, p))).toFixed(1);
    process.stdout.write(`  registrar path / direct: p50 ${ratio(50)}x, p99 ${ratio(99)}x\n`);
    await removeAll(docker, ids);

    process.stdout.write(`2. start-up with ${args.startup} labelled containers running\n`);
    const s = await startup(docker, host, args.startup, runId, healthDir, ids);
    process.stdout.write(
      `  registrar start to all ${s.documents} documents in Consul: ${fmt(s.allMs)} (first after ${fmt(s.firstMs)}; target < 10,000 ms); each parsed as JSON; written in ${s.txns} transactions (distinct ModifyIndex)\n`,
    );
  } finally {
    for (const p of procs.reverse()) await stop(p);
    if (docker) await removeAll(docker, ids);
    await teardown?.();
    rmSync(healthDir, { recursive: true, force: true });
  }
  if (interrupted) process.exitCode = 130;
}

await main();
