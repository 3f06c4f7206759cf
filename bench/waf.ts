import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { WafSchema } from '../config/middlewares/waf.ts';
import { MALLOC_ENV, NODE_FLAGS } from '../core/node-flags.ts';
import { wafSecLang } from '../middleware/waf/seclang-config.ts';
import { BENCH_GET_TARGET, benchJsonBody } from '../test/fixtures/waf-corpus/benign.ts';
import { modsecModulePath } from '../test/helpers/nginx-modsec.ts';
import { type Options, parseArgs } from './args.ts';
import { startBackend } from './backend.ts';
import { foreignShare, sampleCpu, treeCpuSeconds } from './cpu.ts';
import { prepare, wharfBin } from './prepare.ts';
import { canPin, freePort, httpGet, pollUntil, runMain, type Started, start, stopAll } from './procs.ts';
import { startNginxWith } from './proxies/nginx.ts';
import { wharfStaticYaml } from './proxies/wharf.ts';
import { median, runWrk } from './wrk.ts';

// `npm run bench:waf -- [--runs=N] [--duration=S]`: issue 17's WAF targets. Three proxies run side by
// side, each with one worker on the same CPU, in front of the same backend: nginx + ModSecurity
// (Debian's connector, worker_processes 1) and Wharf with `waf: {crs: {}}` load the same SecLang text
// (wafSecLang: Debian's recommended base configuration and the CRS at paranoia level 1), and a Wharf
// without the waf. Two loads: a benign GET with ten query arguments and a 2 KB JSON POST. As in
// bench/tracing.ts the proxies are loaded in alternation, in a rotating order, and the ratios are the
// medians of the per-round ratios, which a machine whose speed drifts over minutes disturbs least.

const ROOT = join(import.meta.dirname, '..');
const TMP = join(ROOT, 'bench', '.tmp', 'waf');
const HOST = 'bench.localhost';
/** A browser's request headers besides Host (wrk sends none by default). */
const HEADERS = {
  'User-Agent':
    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36',
  Accept: '*/*',
};
const ATTACK = "/shop/search?q=1'%20OR%20'1'='1";

const say = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

interface Variant {
  readonly name: 'nginx+modsec' | 'wharf+waf' | 'wharf';
  readonly proc: Started;
  readonly port: number;
}

interface Load {
  readonly name: 'GET 10 args' | 'POST 2 KB JSON';
  readonly path: string;
  /** wrk Lua script setting method, body and Content-Type (POST only). */
  readonly script?: string;
  /** What the backend echoes for the routed request. */
  readonly body: string;
}

interface Run {
  readonly rps: number;
  readonly p99Ms: number;
  readonly cpuUs: number;
  readonly otherCpu: number;
  readonly non2xx: number;
}

function nginxModsecConf(dir: string, port: number, backendPort: number, rulesFile: string): string {
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
    .map((t) => `  ${t}_temp_path ${join(dir, `${t}_temp`)};`)
    .join('\n');
  return `load_module ${modsecModulePath()};
worker_processes 1;
daemon off;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} error;
events { worker_connections 8192; multi_accept on; }
http {
  access_log off;
  keepalive_requests 1000000;
  keepalive_timeout 120s;
  client_max_body_size 0;
${temp}
  upstream backend { server 127.0.0.1:${backendPort}; keepalive 64; keepalive_requests 1000000; }
  server {
    listen 127.0.0.1:${port} backlog=4096;
    modsecurity on;
    modsecurity_rules_file ${rulesFile};
    location / {
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_pass http://backend;
    }
  }
}
`;
}

async function startWharf(
  name: Variant['name'],
  opts: Options,
  backendPort: number,
  cpu: string | undefined,
) {
  const dir = join(TMP, name.replace(/\W+/g, '-'));
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const apiPort = await freePort();
  const waf = name === 'wharf+waf';
  const dynamic = {
    http: {
      routers: {
        r0: {
          rule: `Host(\`${HOST}\`)`,
          entryPoints: ['web'],
          service: 'backend',
          ...(waf ? { middlewares: ['waf'] } : {}),
        },
      },
      ...(waf ? { middlewares: { waf: { waf: { crs: {} } } } } : {}),
      services: { backend: { loadBalancer: { servers: [{ url: `http://127.0.0.1:${backendPort}` }] } } },
    },
  };
  const dynamicFile = join(dir, 'dynamic.yml');
  const staticFile = join(dir, 'static.yml');
  writeFileSync(dynamicFile, stringify(dynamic));
  writeFileSync(staticFile, wharfStaticYaml(port, apiPort, dynamicFile));
  const proc = start(name, process.execPath, [...NODE_FLAGS, wharfBin(opts), '--configFile', staticFile], {
    logFile: join(dir, 'stdout.log'),
    cpu,
    env: { NODE_ENV: 'production', ...MALLOC_ENV },
  });
  return { name, proc, port };
}

/** Checks a variant: both loads answer 200 with the backend's echo; the attack is stopped (403) by a WAF only. */
async function check(v: Variant, loads: readonly Load[]): Promise<string | undefined> {
  for (const l of loads) {
    const post = l.script !== undefined;
    const a = await httpGet(v.port, HOST, l.path, 5000, {
      method: post ? 'POST' : 'GET',
      headers: post ? { ...HEADERS, 'Content-Type': 'application/json' } : HEADERS,
      ...(post ? { body: benchJsonBody() } : {}),
    });
    if (a.status !== 200 || a.body !== l.body)
      return `${v.name}: ${l.name} answered ${a.status} ${JSON.stringify(a.body.slice(0, 200))}`;
  }
  const attack = await httpGet(v.port, HOST, ATTACK, 5000, { headers: HEADERS });
  const want = v.name === 'wharf' ? 200 : 403;
  if (attack.status !== want)
    return `${v.name}: the SQL injection probe answered ${attack.status}, not ${want}`;
  return undefined;
}

async function main(argv: readonly string[]): Promise<number> {
  let opts: Options;
  try {
    opts = parseArgs(['--only=nginx,wharf', ...argv.filter((a) => !a.startsWith('--only'))]);
  } catch (err) {
    say(err instanceof Error ? err.message : String(err));
    return 2;
  }
  const prepared = prepare(opts, 'bench:waf');
  if (typeof prepared === 'number') return prepared;
  const nginx = prepared.found.nginx;
  if (nginx === undefined || modsecModulePath() === undefined) {
    say(
      'nginx + ModSecurity is required: apt-get install -y nginx-light libnginx-mod-http-modsecurity modsecurity-crs',
    );
    return 1;
  }
  const pinned = opts.pin && canPin() && cpus().length >= 2;
  const cpu = pinned ? { proxy: '1', load: '0' } : { proxy: undefined, load: undefined };
  rmSync(TMP, { recursive: true, force: true });
  mkdirSync(TMP, { recursive: true });
  const script = join(TMP, 'post.lua');
  // A Lua long string holds the JSON as is (it has no "]]").
  writeFileSync(
    script,
    `wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = [[${benchJsonBody()}]]\n`,
  );
  const loads: Load[] = [
    { name: 'GET 10 args', path: BENCH_GET_TARGET, body: 'xb= uri=/shop/search\n' },
    { name: 'POST 2 KB JSON', path: '/api/v1/orders', script, body: 'xb= uri=/api/v1/orders\n' },
  ];
  try {
    const backend = await startBackend(TMP, nginx, cpu.load);
    const rulesFile = join(TMP, 'modsecurity.conf');
    writeFileSync(rulesFile, wafSecLang(WafSchema.parse({ crs: {} })));
    const ngDir = join(TMP, 'nginx-modsec');
    const ngPort = await freePort();
    const variants: Variant[] = [
      {
        name: 'nginx+modsec',
        proc: startNginxWith(
          'nginx+modsec',
          nginx,
          ngDir,
          nginxModsecConf(ngDir, ngPort, backend.port, rulesFile),
          cpu.proxy,
        ),
        port: ngPort,
      },
      await startWharf('wharf+waf', opts, backend.port, cpu.proxy),
      await startWharf('wharf', opts, backend.port, cpu.proxy),
    ];
    for (const v of variants) {
      await pollUntil(
        `${v.name}: route`,
        async () => (await httpGet(v.port, HOST, '/', 1000)).status === 200,
        120_000,
        v.proc,
      );
      const problem = await check(v, loads);
      if (problem !== undefined) {
        say(problem);
        return 1;
      }
    }
    say(
      `checked: ${variants.map((v) => v.name).join(', ')} route both loads; the WAFs stop the SQL injection probe`,
    );
    const load = async (v: Variant, l: Load, durationS: number, i: number): Promise<Run> => {
      const pids = [v.proc.pid, backend.proc.pid];
      const before = sampleCpu(pids);
      const proxyBefore = treeCpuSeconds(v.proc.pid);
      const r = await runWrk({
        wrk: prepared.found.wrk as string,
        port: v.port,
        host: HOST,
        path: l.path,
        headers: HEADERS,
        ...(l.script !== undefined ? { script: l.script } : {}),
        durationS,
        connections: opts.connections,
        cpu: cpu.load,
        logFile: join(TMP, `wrk-${i}.log`),
      });
      const after = sampleCpu(pids);
      return {
        rps: r.rps,
        p99Ms: r.p99Ms,
        cpuUs: ((treeCpuSeconds(v.proc.pid) - proxyBefore) / r.requests) * 1e6,
        otherCpu: foreignShare(before, after),
        non2xx: r.non2xx + r.socketErrors,
      };
    };
    let n = 0;
    for (const l of loads) for (const v of variants) await load(v, l, opts.warmupS || 1, n++);
    const results = new Map<string, Run[]>();
    const key = (v: Variant, l: Load) => `${l.name}|${v.name}`;
    for (let i = 0; i < opts.runs; i++) {
      for (const l of loads) {
        // Rotate who goes first, and reverse every other round, so no proxy always follows the same one.
        const order = [...variants.slice(i % 3), ...variants.slice(0, i % 3)];
        if (i % 2 === 1) order.reverse();
        const line: string[] = [];
        for (const v of order) {
          const r = await load(v, l, opts.durationS, n++);
          results.set(key(v, l), [...(results.get(key(v, l)) ?? []), r]);
          line.push(`${v.name} ${Math.round(r.rps)} req/s${r.non2xx > 0 ? ` (${r.non2xx} errors)` : ''}`);
        }
        const other = Math.max(...order.map((v) => results.get(key(v, l))!.at(-1)!.otherCpu));
        say(`round ${i + 1} ${l.name}: ${line.join(', ')} (other CPU ${Math.round(other * 100)}%)`);
      }
    }
    for (const v of variants) {
      const still =
        (await httpGet(v.port, HOST, BENCH_GET_TARGET, 2000, { headers: HEADERS })).status === 200;
      say(`${v.name}: ${still ? 'still answers' : 'DOES NOT ANSWER any more'} after the runs`);
    }
    say('');
    say(
      `wrk -t1 -c${opts.connections} -d${opts.durationS}s, ${opts.runs} rounds, paranoia level 1, medians:`,
    );
    let failed = false;
    for (const l of loads) {
      const runs = (name: Variant['name']) => results.get(`${l.name}|${name}`)!;
      say(`${l.name}:`);
      for (const v of variants) {
        const rs = runs(v.name);
        const errors = rs.reduce((a, r) => a + r.non2xx, 0);
        if (errors > 0) failed = true;
        say(
          `  ${v.name.padEnd(13)} ${Math.round(median(rs.map((r) => r.rps)))} req/s, p99 ${median(rs.map((r) => r.p99Ms)).toFixed(2)} ms, ` +
            `${median(rs.map((r) => r.cpuUs)).toFixed(1)} µs CPU/request${errors > 0 ? `, ${errors} non-2xx/socket errors` : ''}`,
        );
      }
      const ratio = (a: Variant['name'], b: Variant['name']) =>
        median(runs(a).map((r, i) => r.rps / runs(b)[i]!.rps)).toFixed(3);
      say(
        `  Wharf+waf / nginx+modsec (median of rounds): ${ratio('wharf+waf', 'nginx+modsec')}x (target >= 1)`,
      );
      say(`  Wharf+waf / Wharf (median of rounds): ${ratio('wharf+waf', 'wharf')}x (target >= 0.5)`);
    }
    return failed ? 1 : 0;
  } finally {
    await stopAll();
  }
}

runMain(main);
