import { mkdirSync, rmSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { type Options, parseArgs, WHARF_METRICS_FLAG } from './args.ts';
import { startBackend } from './backend.ts';
import { routedOk } from './checks.ts';
import { foreignShare, sampleCpu, treeCpuSeconds } from './cpu.ts';
import { startOtlpSink } from './otlp-sink.ts';
import { prepare, wharfBin } from './prepare.ts';
import { canPin, freePort, pollUntil, runMain, type Started, stop, stopAll } from './procs.ts';
import { caddyProxy } from './proxies/caddy.ts';
import type { ProxyContext, ProxyDef } from './proxies/proxy.ts';
import { wharfProxy } from './proxies/wharf.ts';
import { SCENARIO_A, SCENARIO_A_BAN, SCENARIO_D, SCENARIO_E, type Scenario } from './scenarios.ts';
import { median, runWrk } from './wrk.ts';

// `npm run bench:tracing -- [--wharf-tracing=0.1] [--runs=N] [--duration=S] [--restart-every=N]`: Wharf with tracing on
// against Wharf without, in scenario A; `npm run bench:rate-limit` (`--rate-limit`): scenario E (a
// rateLimit that never limits) against scenario A; `npm run bench:ban` (`--ban`): scenario A's route
// behind a ban that never bans against scenario A; `--metrics`: Prometheus metrics on (every level) against
// off; `--gzip-vs-caddy`: Wharf against Caddy in scenario D (16 KB HTML gzip), "off" being Caddy. The two are measured in alternation (off, on, on, off, ...)
// rather than one after the other. On a machine other work shares, throughput drifts over minutes; pairs
// of neighbouring runs see nearly the same machine, so the median of the per-pair ratios is a fairer
// figure than a ratio of two medians taken minutes apart. Both processes run all along (only the one
// under load does work), pinned to the same CPU; spans go to bench/otlp-sink.ts.

const ROOT = join(import.meta.dirname, '..');
const TMP = join(ROOT, 'bench', '.tmp', 'tracing');

const say = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

interface Run {
  readonly rps: number;
  readonly p99Ms: number;
  /** Proxy CPU time per request, µs. */
  readonly cpuUs: number;
  readonly otherCpu: number;
}

async function main(argv: readonly string[]): Promise<number> {
  let opts: Options;
  const rateLimit = argv.includes('--rate-limit');
  const ban = argv.includes('--ban');
  const metrics = argv.includes('--metrics');
  const gzip = argv.includes('--gzip-vs-caddy');
  const modes = ['--rate-limit', '--ban', '--metrics', '--gzip-vs-caddy'];
  // --restart-every=N: both processes are started afresh every N pairs (see restartEvery below).
  const restartFlag = '--restart-every=';
  const restartText = argv.find((a) => a.startsWith(restartFlag))?.slice(restartFlag.length);
  const restartEvery = restartText === undefined ? 0 : Number(restartText);
  if (!Number.isSafeInteger(restartEvery) || restartEvery < 0) {
    say(`${restartFlag}${restartText}: want a whole number of pairs (0: never)`);
    return 2;
  }
  const rest = argv.filter((a) => !modes.includes(a) && !a.startsWith(restartFlag));
  try {
    const only = gzip ? '--only=caddy,wharf' : '--only=wharf';
    opts = parseArgs(rest.some((a) => a.startsWith('--only')) ? rest : [only, ...rest]);
  } catch (err) {
    say(err instanceof Error ? err.message : String(err));
    return 2;
  }
  const rate = opts.wharfTracing[0] ?? 0.1;
  const prepared = prepare(opts, 'bench:tracing');
  if (typeof prepared === 'number') return prepared;
  const pinned = opts.pin && canPin() && cpus().length >= 2;
  const cpu = pinned ? { proxy: '1', load: '0' } : { proxy: undefined, load: undefined };
  rmSync(TMP, { recursive: true, force: true });
  mkdirSync(TMP, { recursive: true });
  const sink = await startOtlpSink();
  try {
    const backend = await startBackend(TMP, prepared.found.nginx, cpu.load);
    const s = gzip ? SCENARIO_D : SCENARIO_A;
    const variants: { name: string; proc: Started; port: number }[] = [];
    type Variant = readonly [string, ProxyDef, Scenario, ProxyContext['tracing'], readonly string[]];
    const first: Variant = gzip
      ? ['caddy', caddyProxy, s, undefined, []]
      : ['off', wharfProxy, s, undefined, []];
    const second: Variant = gzip
      ? ['wharf', wharfProxy, s, undefined, []]
      : rateLimit
        ? ['rateLimit', wharfProxy, SCENARIO_E, undefined, []]
        : ban
          ? ['ban', wharfProxy, SCENARIO_A_BAN, undefined, []]
          : metrics
            ? ['metrics', wharfProxy, s, undefined, [WHARF_METRICS_FLAG]]
            : [`tracing ${rate * 100}%`, wharfProxy, s, { sampleRate: rate, endpoint: sink.url }, []];
    const startVariant = async ([name, def, scenario, tracing, extraArgs]: Variant) => {
      const ctx: ProxyContext = {
        dir: join(TMP, name.replace(/\W+/g, '-')),
        scenario,
        backendPort: backend.port,
        port: await freePort(),
        cpu: cpu.proxy,
        bin: def === wharfProxy ? wharfBin(opts) : (prepared.found.caddy as string),
        ...(tracing ? { tracing } : {}),
        extraArgs,
      };
      // Each writes the shared static file before it starts: start them one after the other.
      const proc = await def.start(ctx);
      await pollUntil(`${name}: route`, routedOk(s, ctx.port), 60_000, proc);
      return { name, proc, port: ctx.port };
    };
    const defs: readonly Variant[] = [first, second];
    for (const v of defs) variants.push(await startVariant(v));
    const found = prepared.found;
    const load = async (v: (typeof variants)[number], durationS: number, i: number): Promise<Run> => {
      const pids = [v.proc.pid, backend.proc.pid];
      const before = sampleCpu(pids);
      const proxyBefore = treeCpuSeconds(v.proc.pid);
      const r = await runWrk({
        wrk: found.wrk as string,
        port: v.port,
        host: s.host,
        path: s.path,
        ...(s.requestHeaders !== undefined && { headers: s.requestHeaders }),
        durationS,
        connections: opts.connections,
        cpu: cpu.load,
        logFile: join(TMP, `wrk-${i}.log`),
      });
      const after = sampleCpu(pids);
      const cpuSeconds = treeCpuSeconds(v.proc.pid) - proxyBefore;
      return {
        rps: r.rps,
        p99Ms: r.p99Ms,
        cpuUs: (cpuSeconds / r.requests) * 1e6,
        otherCpu: foreignShare(before, after),
      };
    };
    for (const v of variants) await load(v, opts.warmupS || 1, 0);
    let [off, on] = variants as [(typeof variants)[0], (typeof variants)[0]];
    const pairs: { off: Run; on: Run }[] = [];
    for (let i = 0; i < opts.runs; i++) {
      // Two processes of one build can differ by ~10% for their whole life (JIT decisions, heap layout;
      // bench/README.md, "Tracing"): fresh ones every few pairs let the median average that out.
      if (restartEvery > 0 && i > 0 && i % restartEvery === 0) {
        for (const v of variants) await stop(v.proc);
        variants.length = 0;
        for (const v of defs) variants.push(await startVariant(v));
        for (const v of variants) await load(v, opts.warmupS || 1, 0);
        [off, on] = variants as [(typeof variants)[0], (typeof variants)[0]];
        say(`(both restarted before pair ${i + 1})`);
      }
      // off-on, then on-off: drift within a pair cancels out over two pairs.
      const first = i % 2 === 0 ? off : on;
      const a = await load(first, opts.durationS, 2 * i + 1);
      const b = await load(first === off ? on : off, opts.durationS, 2 * i + 2);
      const pair = first === off ? { off: a, on: b } : { off: b, on: a };
      pairs.push(pair);
      say(
        `pair ${i + 1}: ${off.name} ${Math.round(pair.off.rps)} req/s ${pair.off.cpuUs.toFixed(1)} µs/req, ` +
          `${on.name} ${Math.round(pair.on.rps)} req/s ${pair.on.cpuUs.toFixed(1)} µs/req ` +
          `(other CPU ${Math.round(Math.max(pair.off.otherCpu, pair.on.otherCpu) * 100)}%)`,
      );
    }
    // A variant that stopped answering would look like a slow one: check that both still route.
    for (const v of variants) {
      const answers = await routedOk(s, v.port)().catch(() => false);
      say(`${v.name}: ${answers ? 'still answers' : 'DOES NOT ANSWER any more'} after the runs`);
    }
    const m = (f: (p: (typeof pairs)[0]) => number) => median(pairs.map(f));
    say('');
    const what = gzip
      ? 'scenario D (16 KB HTML gzip), Wharf against Caddy'
      : rateLimit
        ? 'scenario E against A'
        : ban
          ? 'scenario A, ban (memory, never set off) against none'
          : metrics
            ? 'scenario A, metrics on against off'
            : 'scenario A';
    say(`${what}, wrk -c${opts.connections} -d${opts.durationS}s, ${opts.runs} pairs, medians:`);
    say(
      `  ${off.name}: ${Math.round(m((p) => p.off.rps))} req/s, p99 ${m((p) => p.off.p99Ms).toFixed(2)} ms, ${m((p) => p.off.cpuUs).toFixed(1)} µs CPU/request`,
    );
    say(
      `  ${on.name}: ${Math.round(m((p) => p.on.rps))} req/s, p99 ${m((p) => p.on.p99Ms).toFixed(2)} ms, ${m((p) => p.on.cpuUs).toFixed(1)} µs CPU/request`,
    );
    say(
      `  ratio ${on.name}/${off.name} (median of pairs): req/s ${m((p) => p.on.rps / p.off.rps).toFixed(3)}x, CPU/request ${m((p) => p.on.cpuUs / p.off.cpuUs).toFixed(3)}x, p99 ${m((p) => p.on.p99Ms / p.off.p99Ms).toFixed(3)}x`,
    );
    if (!rateLimit && !ban && !metrics && !gzip)
      say(`  OTLP sink: ${sink.exports} exports, ${sink.spans(0)}`);
    return 0;
  } finally {
    await stopAll();
    await sink.close();
  }
}

runMain(main);
