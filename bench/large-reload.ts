import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { MALLOC_ENV, NODE_FLAGS } from '../core/node-flags.ts';
import type { Steps } from '../router/compile/slices.ts';
import { freePort, httpGet, pollUntil, rssKiB, runMain, start, stop, waitExit } from './procs.ts';
import { wharfDynamicYaml } from './proxies/wharf.ts';
import type { Scenario } from './scenarios.ts';
import { median } from './wrk.ts';

// `npm run bench:large-reload`: what loading a very large dynamic file (default 500,000 routers of
// scenario B's shape, ~50 MB of YAML) costs. Two measurements, each in fresh processes:
//   phases: each step of the reload pipeline timed on its own, in a child process with Wharf's flags;
//   serve:  a Wharf process serving a small file gets the large file (written aside, renamed in), while a
//           client sends one request after another to a route it already serves: the longest answer is
//           the longest stall of the event loop; the reload time runs from the rename to the first 200
//           from the large file's last router. Then a second large file (one router more) replaces it.

const ROOT = join(import.meta.dirname, '..');
const TMP = join(ROOT, 'bench', '.tmp', 'large-reload');
const SELF = fileURLToPath(import.meta.url);

const USAGE = `Usage: npm run bench:large-reload -- [flags]

  --routers=N     routers in the large file (default 500000)
  --runs=N        runs of each measurement; medians are reported (default 3)
  --only=phases   or --only=serve: one of the two measurements
  --help          this text
`;

/** The large configuration's shape: scenario B's routers (Host rule, two middlewares, one service). */
function scenario(routes: number): Scenario {
  return {
    id: 'B',
    title: `${routes} routers`,
    routes,
    hostOf: (i) => `h${i}.bench.localhost`,
    host: 'h0.bench.localhost',
    path: '/api/x',
    middlewares: true,
    stripPrefix: '/api',
    expectBody: 'xb=1 uri=/x\n',
  };
}

const round = (n: number) => Math.round(n);

/** One phases run: every step of the pipeline on `file`, timed on its own (ms), in this process. */
async function phasesChild(file: string): Promise<Record<string, number>> {
  const { parseConfigText } = await import('../config/config-file.ts');
  const { validateDynamic } = await import('../config/validate-dynamic.ts');
  const { mergeFileConfigs } = await import('../providers/file/merge-files.ts');
  const { stableStringify } = await import('../core/stable-stringify.ts');
  const { merge, mergeSteps } = await import('../router/reload/merge.ts');
  const { resolveRouting, resolveRoutingSteps } = await import('../router/compile/resolve-routing.ts');
  const { provision, provisionSteps } = await import('../router/compile/provision.ts');
  // Absent before the reload ran in slices (to measure an older tree with this script): then not measured.
  const slices = await import('../router/compile/slices.ts').catch(() => undefined);
  const { DEFAULT_SLICE_MS } = await import('../router/reload/reloader.ts');
  const { silentLogger } = await import('../core/log.ts');
  const { UpstreamPools } = await import('../router/proxy/upstream-pools.ts');
  const { Agent } = await import('undici');
  const out: Record<string, number> = {};
  const time = <T>(name: string, f: () => T): T => {
    const t0 = performance.now();
    const r = f();
    out[name] = round(performance.now() - t0);
    return r;
  };
  const text = time('readFile', () => readFileSync(file, 'utf8'));
  const parsed = time('yamlParse', () => parseConfigText(text, file));
  if (!parsed.ok) throw new Error(parsed.message);
  const valid = time('validate', () =>
    validateDynamic(parsed.value, { source: 'file', subject: file, locate: parsed.locate }),
  );
  const fileConfig = time('mergeFiles', () => mergeFileConfigs([{ file, config: valid.config }]));
  const snapshot = { provider: 'file', config: fileConfig.config, diagnostics: fileConfig.diagnostics };
  time('fingerprint', () =>
    createHash('sha256')
      .update(stableStringify({ c: snapshot.config, d: snapshot.diagnostics }))
      .digest('base64'),
  );
  const merged = time('merge', () => merge([snapshot]));
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
  const plan = time('resolveRouting', () => resolveRouting(merged, deps));
  const { table } = time('provision', () => provision(plan, deps));
  out.routers = table.info.routers.size;
  for (const r of table.services.values()) r.close();
  const gc = (globalThis as { gc?: (o: object) => void }).gc;
  if (!slices) {
    if (gc) time('fullGc', () => gc({ type: 'major', execution: 'sync' }));
    out.heapMiB = round(process.memoryUsage().heapUsed / 1048576);
    await Promise.all([pools.close(), sideTraffic.close()]);
    return out;
  }
  // The same steps again as the reloader runs them, in slices: the longest slice of each, and the longest
  // garbage-collection pause while they ran (a pause inside a slice lengthens it).
  let gcMax = 0;
  const gcs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcMax = Math.max(gcMax, e.duration);
  });
  gcs.observe({ entryTypes: ['gc'] });
  const sliced = async <T>(name: string, steps: Steps<T>): Promise<T> => {
    const stats = { slices: 0, longestMs: 0 };
    const t0 = performance.now();
    const r = await slices.runSliced(steps, { sliceMs: DEFAULT_SLICE_MS ?? 10, stats });
    out[`${name}Sliced`] = round(performance.now() - t0);
    out[`${name}LongestSlice`] = round(stats.longestMs);
    return r;
  };
  const merged2 = await sliced('merge', mergeSteps([snapshot]));
  const plan2 = await sliced('resolveRouting', resolveRoutingSteps(merged2, deps));
  const { table: table2 } = await sliced('provision', provisionSteps(plan2, deps));
  gcs.disconnect();
  out.gcPauseMax = round(gcMax);
  if (gc) time('fullGc', () => gc({ type: 'major', execution: 'sync' }));
  out.heapMiB = round(process.memoryUsage().heapUsed / 1048576);
  for (const r of table2.services.values()) r.close();
  await Promise.all([pools.close(), sideTraffic.close()]);
  return out;
}

/** Runs the phases child once and returns its timings. */
async function phasesRun(file: string): Promise<Record<string, number>> {
  const log = join(TMP, 'phases.log');
  const proc = start('phases', process.execPath, [...NODE_FLAGS, SELF, '--child-phases', file], {
    logFile: log,
    env: MALLOC_ENV,
  });
  if (!(await waitExit(proc, 600_000))) {
    await stop(proc);
    throw new Error('phases child did not finish within 600 s');
  }
  const lines = readFileSync(log, 'utf8').trim().split('\n');
  try {
    return JSON.parse(lines.at(-1) ?? '') as Record<string, number>;
  } catch {
    throw new Error(`phases child exited ${proc.exitCode}: ${lines.slice(-8).join('\n')}`);
  }
}

/** A steady stream of requests, one after another on one kept-alive connection, with their latencies. */
class Stream {
  readonly samples: Array<{ at: number; ms: number; status: number }> = [];
  #running = true;
  readonly #agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  readonly #done: Promise<void>;

  constructor(port: number, host: string) {
    this.#done = this.#loop(port, host);
  }

  async #loop(port: number, host: string): Promise<void> {
    while (this.#running) {
      const at = performance.now();
      const status = await new Promise<number>((resolve) => {
        const req = http.request(
          {
            host: '127.0.0.1',
            port,
            path: '/api/x',
            headers: { host },
            agent: this.#agent,
            timeout: 120_000,
          },
          (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
            res.on('error', () => resolve(0));
          },
        );
        req.on('timeout', () => req.destroy(new Error('timeout')));
        req.on('error', () => resolve(0));
        req.end();
      });
      this.samples.push({ at, ms: performance.now() - at, status });
    }
  }

  /** Samples that started in [from, to). */
  between(from: number, to: number) {
    return this.samples.filter((s) => s.at >= from && s.at < to);
  }

  async stop(): Promise<void> {
    this.#running = false;
    await this.#done;
    this.#agent.destroy();
  }
}

/** What one large reload looked like from outside. */
interface ReloadFigures {
  /** Rename of the file to the first 200 from its last router (ms). */
  reloadMs: number;
  /** Longest answer of the steady stream from the rename until 3 s after the reload (ms). */
  maxStallMs: number;
  /** Requests the stream got answered during the reload. */
  servedDuring: number;
  /** Requests of the stream that did not get a 200 (should be 0). */
  failed: number;
  /** What Wharf logged as the reload's own time ("configuration applied", ms). */
  appliedMs: number;
  /** Peak VmRSS of Wharf during the reload (MiB). */
  peakRssMiB: number;
}

/** One serve run: Wharf on a small file, then the large file, then the large file with one router more. */
async function serveRun(routers: number): Promise<{ first: ReloadFigures; second: ReloadFigures }> {
  const backend = http.createServer((req, res) => {
    const xb = req.headers['x-bench'];
    res.end(`xb=${typeof xb === 'string' ? xb : ''} uri=${req.url}\n`);
  });
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
  const backendPort = (backend.address() as { port: number }).port;
  const [port, apiPort] = [await freePort(), await freePort()];
  const dynamicFile = join(TMP, 'dynamic.yml');
  writeFileSync(dynamicFile, wharfDynamicYaml(scenario(1), backendPort));
  const staticFile = join(TMP, 'static.yml');
  writeFileSync(
    staticFile,
    `entryPoints:
  web: { address: "127.0.0.1:${port}" }
  wharf: { address: "127.0.0.1:${apiPort}" }
providers:
  file: { filename: ${JSON.stringify(dynamicFile)}, watch: true }
api: { insecure: true }
ping: {}
log: { level: INFO, format: json }
`,
  );
  const logFile = join(TMP, 'wharf.log');
  const wharf = start(
    'wharf',
    process.execPath,
    [join(ROOT, 'bin', 'wharf.js'), '--configFile', staticFile],
    { logFile, env: { NODE_ENV: 'production' } },
  );
  const stream = new Stream(port, 'h0.bench.localhost');
  try {
    await pollUntil(
      'route h0',
      async () => (await httpGet(port, 'h0.bench.localhost', '/api/x')).status === 200,
      60_000,
      wharf,
    );
    const reload = async (routes: number): Promise<ReloadFigures> => {
      const aside = join(TMP, 'dynamic.yml.new');
      writeFileSync(aside, wharfDynamicYaml(scenario(routes), backendPort));
      const logged = readFileSync(logFile, 'utf8').length;
      await new Promise((r) => setTimeout(r, 1000));
      let peak = 0;
      const rss = setInterval(() => (peak = Math.max(peak, rssKiB(wharf.pid))), 50);
      const t0 = performance.now();
      renameSync(aside, dynamicFile);
      const last = `h${routes - 1}.bench.localhost`;
      await pollUntil(
        `route ${last}`,
        async () => (await httpGet(port, last, '/api/x', 120_000)).status === 200,
        600_000,
        wharf,
        25,
      );
      const t1 = performance.now();
      // The heap trim's full collection runs 1 s after a swap (the first swap's at once).
      await new Promise((r) => setTimeout(r, 3000));
      clearInterval(rss);
      const during = stream.between(t0, performance.now());
      const applied = readFileSync(logFile, 'utf8')
        .slice(logged)
        .split('\n')
        .filter((l) => l.includes('configuration applied'))
        .map((l) => (JSON.parse(l) as { ms?: number }).ms ?? 0);
      return {
        reloadMs: round(t1 - t0),
        maxStallMs: round(Math.max(0, ...during.map((s) => s.ms))),
        servedDuring: stream.between(t0, t1).filter((s) => s.status === 200).length,
        failed: during.filter((s) => s.status !== 200).length,
        appliedMs: round(applied.at(-1) ?? Number.NaN),
        peakRssMiB: round(peak / 1024),
      };
    };
    const first = await reload(routers);
    const second = await reload(routers + 1);
    return { first, second };
  } finally {
    await stream.stop();
    await stop(wharf);
    await new Promise((r) => backend.close(r));
  }
}

function flag(argv: readonly string[], name: string): string | undefined {
  return argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
}

async function main(argv: readonly string[]): Promise<number> {
  if (argv.includes('--help')) {
    process.stdout.write(USAGE);
    return 0;
  }
  const routers = Number(flag(argv, 'routers') ?? 500_000);
  const runs = Number(flag(argv, 'runs') ?? 3);
  const only = flag(argv, 'only');
  if (!Number.isInteger(routers) || routers < 1 || !Number.isInteger(runs) || runs < 1) {
    process.stdout.write(USAGE);
    return 2;
  }
  mkdirSync(TMP, { recursive: true });
  const say = (s: string) => process.stdout.write(`${s}\n`);
  const file = join(TMP, 'large.yml');
  writeFileSync(file, wharfDynamicYaml(scenario(routers), 1));
  const mib = Math.round((readFileSync(file).length / 1048576) * 10) / 10;
  say(`large file: ${routers} routers, ${mib} MiB of YAML; Node ${process.versions.node}`);
  const medians = (rows: ReadonlyArray<Record<string, number>>) =>
    Object.fromEntries(Object.keys(rows[0] ?? {}).map((k) => [k, median(rows.map((r) => r[k] ?? 0))]));
  if (only !== 'serve') {
    const rows: Array<Record<string, number>> = [];
    for (let i = 0; i < runs; i++) {
      rows.push(await phasesRun(file));
      say(`phases run ${i + 1}: ${JSON.stringify(rows.at(-1))}`);
    }
    say(`phases, median of ${runs} (ms): ${JSON.stringify(medians(rows))}`);
  }
  if (only !== 'phases') {
    const first: ReloadFigures[] = [];
    const second: ReloadFigures[] = [];
    for (let i = 0; i < runs; i++) {
      const r = await serveRun(routers);
      first.push(r.first);
      second.push(r.second);
      say(`serve run ${i + 1}: small -> large ${JSON.stringify(r.first)}`);
      say(`serve run ${i + 1}: large -> large+1 ${JSON.stringify(r.second)}`);
    }
    const rows = (xs: ReloadFigures[]) => xs as unknown as Array<Record<string, number>>;
    say(`serve, small -> large, median of ${runs}: ${JSON.stringify(medians(rows(first)))}`);
    say(`serve, large -> large+1, median of ${runs}: ${JSON.stringify(medians(rows(second)))}`);
  }
  return 0;
}

if (process.argv[2] === '--child-phases') {
  phasesChild(process.argv[3] as string).then(
    (r) => process.stdout.write(`${JSON.stringify(r)}\n`),
    (err: unknown) => {
      process.stdout.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 1;
    },
  );
} else if (process.argv[1] === SELF) {
  runMain(main);
}
