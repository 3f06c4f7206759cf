import { mkdirSync, rmSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { commandOf, type Options, type ProxyName, parseArgs, USAGE } from './args.ts';
import { type Backend, startBackend } from './backend.ts';
import { type CompileTiming, measureCompile } from './compile-time.ts';
import { type Cpus, measure } from './measure.ts';
import { startOtlpSink } from './otlp-sink.ts';
import { toolVersions } from './peers.ts';
import { prepare, wharfBin } from './prepare.ts';
import { canPin, freePort, runMain, stopAll } from './procs.ts';
import { caddyMergedProxy, caddyProxy } from './proxies/caddy.ts';
import { haproxyProxy } from './proxies/haproxy.ts';
import { nginxProxy } from './proxies/nginx.ts';
import type { ProxyContext, ProxyDef } from './proxies/proxy.ts';
import { wharfProxy } from './proxies/wharf.ts';
import { formatReport, type Measurement, machineInfo, type Report, writeReport } from './report.ts';
import { SCENARIOS, scenarioProxies } from './scenarios.ts';

// `npm run bench`: Wharf against nginx, HAProxy and Caddy, each with one worker, behind the same nginx
// upstream, loaded by wrk. See bench/README.md.

const ROOT = join(import.meta.dirname, '..');
const TMP = join(ROOT, 'bench', '.tmp');
const RESULTS = join(ROOT, 'bench', 'results');

const DEFS: Record<ProxyName, ProxyDef> = {
  nginx: nginxProxy,
  haproxy: haproxyProxy,
  caddy: caddyProxy,
  'caddy-merged': caddyMergedProxy,
  wharf: wharfProxy,
};

const say = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

async function main(argv: readonly string[]): Promise<number> {
  let opts: Options;
  try {
    opts = parseArgs(argv);
  } catch (err) {
    say(err instanceof Error ? err.message : String(err));
    return 2;
  }
  if (opts.help) {
    say(USAGE);
    return 0;
  }
  const prepared = prepare(opts);
  if (typeof prepared === 'number') return prepared;
  const { found, proxies } = prepared;
  const pinned = opts.pin && canPin() && cpus().length >= 2;
  const cpu: Cpus = pinned ? { proxy: '1', load: '0' } : { proxy: undefined, load: undefined };
  const startedAt = new Date().toISOString();
  const machine = machineInfo(toolVersions(found));
  if (machine.loadAvgAtStart > 0.5)
    say(`note: load average ${machine.loadAvgAtStart}: other work shares the CPUs`);
  rmSync(TMP, { recursive: true, force: true });
  mkdirSync(TMP, { recursive: true });

  const results: Measurement[] = [];
  let compile: CompileTiming | null = null;
  let backend: Backend | undefined;
  const sink = opts.wharfTracing.length > 0 && proxies.includes('wharf') ? await startOtlpSink() : undefined;
  try {
    backend = await startBackend(TMP, opts.nodeBackend ? undefined : found.nginx, cpu.load);
    say(`backend: ${backend.kind} on 127.0.0.1:${backend.port}; proxies: ${proxies.join(', ')}`);
    for (const id of opts.scenarios) {
      const scenario = SCENARIOS[id];
      const left = proxies.filter((p) => p !== 'caddy-merged' && !scenarioProxies(scenario).includes(p));
      if (left.length > 0) say(`scenario ${id} (${scenario.title}): not configured for ${left.join(', ')}`);
      for (const name of proxies) {
        if (!scenarioProxies(scenario).includes(name)) continue;
        const ctx: ProxyContext = {
          dir: join(TMP, `${name}-${id}`),
          scenario,
          backendPort: backend.port,
          port: await freePort(),
          cpu: cpu.proxy,
          bin: name === 'wharf' ? wharfBin(opts) : found[commandOf(name)]!,
          ...(name === 'wharf' ? { extraArgs: opts.wharfArgs } : {}),
        };
        const tools = { wrk: found.wrk!, backendPid: backend.proc.pid, cpu };
        const m = await measure(DEFS[name], ctx, opts, tools);
        if (m.status !== 'ok') say(`${name} / ${id} ${scenario.title}: ${m.status}: ${m.note ?? ''}`);
        results.push(m);
        // Wharf again with tracing on (--wharf-tracing), right after, so both see the same machine.
        for (const rate of name === 'wharf' ? opts.wharfTracing : []) {
          if (!sink) break;
          const variant = `tracing ${Math.round(rate * 1000) / 10}%`;
          const traced = { ...ctx, dir: `${ctx.dir}-tracing-${rate}`, port: await freePort() };
          const before = sink.exports;
          const t = await measure(
            DEFS.wharf,
            { ...traced, tracing: { sampleRate: rate, endpoint: sink.url } },
            opts,
            tools,
          );
          if (t.status !== 'ok') say(`wharf ${variant} / ${id}: ${t.status}: ${t.note ?? ''}`);
          say(
            `wharf ${variant} / ${id}: the OTLP sink took ${sink.exports - before} exports, ${sink.spans(before)}`,
          );
          results.push({ ...t, variant });
        }
      }
    }
    if (proxies.includes('wharf') && opts.scenarios.includes('B')) {
      say('wharf: measuring compile time of 10,000 routers');
      compile = await measureCompile(backend.port, opts.quick ? 3 : 10, join(TMP, 'compile.log'));
    }
  } finally {
    await stopAll();
    await sink?.close();
  }

  const wharfB = results.find((m) => m.proxy === 'wharf' && m.scenario === 'B' && m.status === 'ok');
  const report: Report = {
    startedAt,
    machine,
    options: opts,
    pinned,
    backend: backend.kind,
    results,
    wharf: { compile, readyMs10k: wharfB?.readyMs ?? null, rssKiB10k: wharfB?.rssKiB ?? null },
  };
  say('');
  say(formatReport(report));
  say(`results: ${writeReport(report, RESULTS)}`);
  return results.some((m) => m.status === 'ok') ? 0 : 1;
}

runMain(main);
