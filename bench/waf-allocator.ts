import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { allocatorChoice, MALLOC_ENV } from '../core/node-flags.ts';
import { modsecurityEngine } from '../middleware/waf/engine.ts';
import { writeWafConfig } from '../middleware/waf/rules-cache.ts';
import { BENCH_GET_TARGET } from '../test/fixtures/waf-corpus/benign.ts';
import { median } from './wrk.ts';

// `npm run bench:waf-allocator -- [--pairs=N] [--transactions=N] [--concurrency=N]`: what the waf engine
// (libmodsecurity through native/modsecurity.c, `waf: {crs: {}}`, paranoia level 1) costs for bench/waf.ts's
// benign GET with ten query arguments, without HTTP: CPU time per transaction (connection, URI, headers,
// body phases, then logging and cleanup), on glibc's malloc (with MALLOC_ENV's settings, as Wharf ran
// before) and on jemalloc (as bin/launch.js runs Wharf when it is installed). Each measurement is a child
// process pinned to CPU 1 (when there are two CPUs); the allocators alternate, pair after pair, and the
// ratio is the median of the per-pair ratios, which a machine whose speed drifts disturbs least.
// (bench/waf-engine.ts compares sync and threaded evaluation on one allocator; bench/waf.ts the whole router.)

const HEADERS = [
  'Host',
  'bench.localhost',
  'User-Agent',
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36',
  'Accept',
  '*/*',
];

/** The child: runs `n` transactions, `concurrency` at a time on the engine threads, and prints µs CPU each. */
async function child(n: number, concurrency: number): Promise<void> {
  const loaded = modsecurityEngine();
  if (!('addon' in loaded)) throw new Error(loaded.reason);
  const a = loaded.addon;
  const rules = a.rulesFromFile(writeWafConfig({ crs: {} } as never));
  let next = 0;
  const one = async (i: number): Promise<void> => {
    const tx = a.newTransaction(rules, `bench-${i}`);
    const r = await a.processRequest(
      tx,
      '127.0.0.1',
      40000,
      '127.0.0.1',
      80,
      'GET',
      BENCH_GET_TARGET,
      '1.1',
      HEADERS,
      null,
    );
    if (r.disruptive) throw new Error(`the benign GET was blocked: ${r.log}`);
    await a.finish(tx);
  };
  const run = async (count: number): Promise<void> => {
    const end = next + count;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < end) await one(next++);
      }),
    );
  };
  await run(Math.min(200, n));
  const before = process.cpuUsage();
  await run(n);
  const used = process.cpuUsage(before);
  process.stdout.write(`${(used.user + used.system) / n}\n`);
}

function arg(argv: readonly string[], name: string, fallback: number): number {
  const found = argv.find((a) => a.startsWith(`--${name}=`));
  const value = found === undefined ? fallback : Number(found.slice(name.length + 3));
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer`);
  return value;
}

async function main(argv: readonly string[]): Promise<number> {
  if (argv[0] === '--child') {
    await child(Number(argv[1]), Number(argv[2]));
    return 0;
  }
  const pairs = arg(argv, 'pairs', 7);
  const n = arg(argv, 'transactions', 800);
  const concurrency = arg(argv, 'concurrency', 50);
  const jemalloc = allocatorChoice('jemalloc', existsSync).preload;
  if (jemalloc === undefined) {
    process.stdout.write('jemalloc is required: apt-get install -y libjemalloc2\n');
    return 1;
  }
  if (!('addon' in modsecurityEngine())) {
    process.stdout.write('the ModSecurity addon is required: npm run build:native\n');
    return 1;
  }
  const pin = spawnSync('taskset', ['--version']).status === 0 ? ['taskset', '-c', '1'] : [];
  const measure = (preload: string | undefined): number => {
    const env: NodeJS.ProcessEnv = { ...process.env, ...MALLOC_ENV };
    delete env.LD_PRELOAD;
    if (preload !== undefined) env.LD_PRELOAD = preload;
    const cmd = [...pin, process.execPath, import.meta.filename, '--child', String(n), String(concurrency)];
    const r = spawnSync(cmd[0] as string, cmd.slice(1), { env, encoding: 'utf8', timeout: 300_000 });
    const us = Number(r.stdout.trim());
    if (r.status !== 0 || !Number.isFinite(us)) throw new Error(`the child failed: ${r.stderr}${r.stdout}`);
    return us;
  };
  process.stdout.write(
    `waf engine, benign GET (10 args), CRS paranoia 1: ${n} transactions x ${pairs} pairs, ${concurrency} at a time${pin.length > 0 ? ', pinned to CPU 1' : ''}\n`,
  );
  const glibc: number[] = [];
  const je: number[] = [];
  for (let i = 0; i < pairs; i++) {
    // Alternate who goes first.
    const [first, second] = i % 2 === 0 ? [undefined, jemalloc] : [jemalloc, undefined];
    const a = measure(first);
    const b = measure(second);
    const [g, j] = first === undefined ? [a, b] : [b, a];
    glibc.push(g);
    je.push(j);
    process.stdout.write(
      `pair ${i + 1}: glibc ${g.toFixed(0)} µs, jemalloc ${j.toFixed(0)} µs CPU a transaction\n`,
    );
  }
  const ratio = median(je.map((j, i) => j / (glibc[i] as number)));
  process.stdout.write(
    `medians: glibc ${median(glibc).toFixed(0)} µs, jemalloc ${median(je).toFixed(0)} µs; jemalloc / glibc ${ratio.toFixed(3)}x (median of pairs)\n`,
  );
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
