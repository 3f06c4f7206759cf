import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { commandOf, type Options, type ProxyName, parseArgs, USAGE } from './args.ts';
import { type Backend, startBackend } from './backend.ts';
import { type CompileTiming, measureCompile } from './compile-time.ts';
import { type Cpus, measure } from './measure.ts';
import {
  canInstall,
  detectTools,
  type Found,
  installTools,
  missingTools,
  TOOLS,
  type Tool,
  toolVersions,
} from './peers.ts';
import { beginShutdown, canPin, freePort, killAllNow, stopAll } from './procs.ts';
import { caddyMergedProxy, caddyProxy } from './proxies/caddy.ts';
import { haproxyProxy } from './proxies/haproxy.ts';
import { nginxProxy } from './proxies/nginx.ts';
import type { ProxyContext, ProxyDef } from './proxies/proxy.ts';
import { wharfProxy } from './proxies/wharf.ts';
import { formatReport, type Measurement, machineInfo, type Report, writeReport } from './report.ts';
import { SCENARIOS } from './scenarios.ts';

// `npm run bench`: Wharf against nginx, HAProxy and Caddy, each with one worker, behind the same nginx
// upstream, loaded by wrk. See bench/README.md.

const ROOT = join(import.meta.dirname, '..');
const TMP = join(ROOT, 'bench', '.tmp');
const RESULTS = join(ROOT, 'bench', 'results');
const DEFAULT_WHARF_BIN = join(ROOT, 'bin', 'wharf.js');

const wharfBin = (opts: Options): string => resolve(opts.wharfBin ?? DEFAULT_WHARF_BIN);

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

/** Finds the tools, installs missing ones with --install, and returns the proxies that can run. */
function prepare(opts: Options): { found: Found; proxies: ProxyName[] } | number {
  const needed: Tool[] = [
    'wrk',
    'nginx',
    ...opts.only.filter((p): p is Exclude<ProxyName, 'wharf'> => p !== 'wharf').map(commandOf),
  ];
  let found = detectTools();
  let missing = missingTools(found, [...new Set(needed)]);
  if (missing.length > 0 && opts.install) {
    if (canInstall()) {
      if (!installTools(missing)) say('apt-get install failed; going on with what is installed');
      found = detectTools();
      missing = missingTools(found, [...new Set(needed)]);
    } else say('--install needs root on Debian (apt-get); install by hand instead');
  }
  if (missing.length > 0) {
    say(
      `missing (skipped): ${missing.join(', ')}; install: apt-get install -y ${missing.map((t) => TOOLS[t]).join(' ')}`,
    );
  }
  if (found.wrk === undefined) {
    say(
      'wrk is required and not installed. Install it with:\n  apt-get install -y wrk\nor run: npm run bench -- --install (as root on Debian)',
    );
    return 1;
  }
  if (found.nginx === undefined)
    say('nginx missing: the backend falls back to a Node http server (slower; it may cap the fastest peers)');
  const proxies = opts.only.filter((p) => {
    if (p === 'wharf') {
      if (existsSync(wharfBin(opts))) return true;
      say(`wharf: ${wharfBin(opts)} not found (the router's entry point is not there yet): skipping wharf`);
      return false;
    }
    return found[commandOf(p)] !== undefined;
  });
  if (proxies.length === 0) {
    say(`nothing to run: none of ${opts.only.join(', ')} is available`);
    return 1;
  }
  return { found, proxies };
}

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
  try {
    backend = await startBackend(TMP, opts.nodeBackend ? undefined : found.nginx, cpu.load);
    say(`backend: ${backend.kind} on 127.0.0.1:${backend.port}; proxies: ${proxies.join(', ')}`);
    for (const id of opts.scenarios) {
      const scenario = SCENARIOS[id];
      for (const name of proxies) {
        if (name === 'caddy-merged' && id === 'A') continue; // one route: the same as caddy
        const ctx: ProxyContext = {
          dir: join(TMP, `${name}-${id}`),
          scenario,
          backendPort: backend.port,
          port: await freePort(),
          cpu: cpu.proxy,
          bin: name === 'wharf' ? wharfBin(opts) : found[commandOf(name)]!,
        };
        const m = await measure(DEFS[name], ctx, opts, {
          wrk: found.wrk!,
          backendPid: backend.proc.pid,
          cpu,
        });
        if (m.status !== 'ok') say(`${name} / ${id} ${scenario.title}: ${m.status}: ${m.note ?? ''}`);
        results.push(m);
      }
    }
    if (proxies.includes('wharf') && opts.scenarios.includes('B')) {
      say('wharf: measuring compile time of 10,000 routers');
      compile = await measureCompile(backend.port, opts.quick ? 3 : 10, join(TMP, 'compile.log'));
    }
  } finally {
    await stopAll();
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

let interrupted = false;
const onSignal = (sig: NodeJS.Signals): void => {
  if (interrupted) {
    killAllNow();
    process.exit(130);
  }
  interrupted = true;
  beginShutdown();
  say(`\n${sig}: stopping everything the benchmark started`);
  stopAll().finally(() => process.exit(130));
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);
// Last resort for any exit path: nothing the harness started outlives it.
process.on('exit', killAllNow);

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  async (err: unknown) => {
    say(err instanceof Error ? (err.stack ?? err.message) : String(err));
    await stopAll();
    process.exitCode = 1;
  },
);
