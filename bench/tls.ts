import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http2 from 'node:http2';
import https from 'node:https';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConnectionOptions } from 'node:tls';
import { MALLOC_ENV, NODE_FLAGS } from '../core/node-flags.ts';
import { type Options, type ProxyName, parseArgs } from './args.ts';
import { type Backend, startBackend } from './backend.ts';
import { foreignShare, sampleCpu, treeCpuSeconds, waitQuiet } from './cpu.ts';
import { percentile } from './docker-events.ts';
import type { Cpus } from './measure.ts';
import { canInstall, toolVersions } from './peers.ts';
import { prepare, wharfBin } from './prepare.ts';
import {
  type Answer,
  canPin,
  findCommand,
  freePort,
  httpGet,
  pollUntil,
  runMain,
  type Started,
  start,
  stop,
  stopAll,
  waitExit,
} from './procs.ts';
import { caddyfile } from './proxies/caddy.ts';
import { haproxyConf, haproxyMap } from './proxies/haproxy.ts';
import { nginxProxyConf, startNginxWith } from './proxies/nginx.ts';
import type { ProxyContext } from './proxies/proxy.ts';
import { wharfDynamicYaml, wharfStaticYaml } from './proxies/wharf.ts';
import { machineInfo } from './report.ts';
import { SCENARIO_A, type Scenario, UNKNOWN_HOST } from './scenarios.ts';
import { median, parseWrk, type WrkResult } from './wrk.ts';

// `npm run bench:tls`: HTTPS through Wharf, nginx, HAProxy and Caddy in one run. Each terminates TLS 1.3
// with the same ECDSA P-256 certificate (made here with the openssl CLI) for one route, bench.tls.test, to
// the same loopback HTTP backend as `npm run bench`, and is loaded by wrk with connections kept alive and
// with a new TLS connection per request; with h2load installed, also over HTTP/2. The peers' configurations
// are `npm run bench`'s scenario A ones with TLS added. See bench/README.md.

const ROOT = join(import.meta.dirname, '..');
const TMP = join(ROOT, 'bench', '.tmp', 'tls');
const RESULTS = join(ROOT, 'bench', 'results');

/** The one TLS route: its host (the certificate's name), and what the backend answers through it. */
const HOST = 'bench.tls.test';
const SCENARIO: Scenario = { ...SCENARIO_A, title: 'HTTPS, 1 router', hostOf: () => HOST, host: HOST };

const PEERS = ['nginx', 'haproxy', 'caddy', 'wharf'] as const;
type Peer = (typeof PEERS)[number];

/** Longest wait from start to the first correctly routed HTTPS answer. */
const READY_DEADLINE_MS = 60_000;
/** As in measure.ts: a run other processes disturbed (>= 10% of the CPUs) is repeated, up to 3x the runs. */
const QUIET_SHARE = 0.1;
const QUIET_WAIT_MS = 30_000;
const MAX_ROUNDS_FACTOR = 3;
const MAX_ERROR_SHARE = 0.01;
/** HTTP/2 load: connections x concurrent streams each (h2load -c -m); the streams in flight equal wrk's -c. */
const H2_STREAMS = 10;

const say = (line: string): void => {
  process.stdout.write(`${line}\n`);
};
const pct = (x: number): string => `${Math.round(x * 100)}%`;
const int = (n: number): string => Math.round(n).toLocaleString('en-US');
const ms = (n: number): string => (n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : n.toFixed(0));

const USAGE = `Usage: npm run bench:tls -- [flags]

HTTPS requests/s and latency through nginx, HAProxy, Caddy and Wharf (TLS 1.3, one ECDSA P-256
certificate, one route to the same loopback backend), with keep-alive and with a new TLS connection
(full handshake) per request, plus HTTP/2 when h2load is installed.

  --quick              smoke run: 1 round x 2 s, 1 s warm-up
  --runs=N             rounds (each measures every peer in every mode, the order rotating); medians
                       are reported (default 3)
  --duration=S         seconds per measurement (default 10)
  --warmup=S           seconds of discarded load per peer and mode before the rounds (default 2)
  --connections=N      wrk connections, and HTTP/2 streams in flight (default 50)
  --only=a,b           peers: ${PEERS.join(',')} (default all)
  --no-pin             no CPU pinning (default: proxies on CPU 1, wrk/h2load + backend on CPU 0)
  --no-wait-quiet      take every run as it comes (default: wait <= 30 s for other processes to go
                       quiet before each run, and repeat disturbed runs, up to 3x --runs rounds)
  --wharf-bin=PATH     Wharf's entry script (default bin/wharf.js)
  --node-backend       use the Node upstream even when nginx is installed
  --install            when root on Debian: apt-get install the missing peers, wrk and h2load
  --keep-tmp           keep bench/.tmp/tls (certificate, configurations, logs) after the run
  --help               this text
`;

// --- flags --------------------------------------------------------------------------------------------

/** `npm run bench`'s flags (args.ts) less --scenarios, plus --keep-tmp. */
function parseTlsArgs(argv: readonly string[]): { opts: Options; keepTmp: boolean } {
  const keepTmp = argv.includes('--keep-tmp');
  const rest = argv.filter((a) => a !== '--keep-tmp');
  const scenarios = rest.find((a) => a.startsWith('--scenario'));
  if (scenarios !== undefined) throw new Error(`${scenarios}: bench:tls has one route and no scenarios`);
  let opts: Options;
  try {
    opts = parseArgs(rest);
  } catch (err) {
    // args.ts appends `npm run bench`'s usage; ours is printed instead.
    throw new Error((err instanceof Error ? err.message : String(err)).split('\n')[0]);
  }
  if (rest.some((a) => a.startsWith('--only=') && a.includes('caddy-merged')))
    say('--only: caddy-merged is the same as caddy with one route; ignored');
  return { opts: { ...opts, only: opts.only.filter((p) => p !== 'caddy-merged') }, keepTmp };
}

// --- small tools: openssl, cc, apt-get ---------------------------------------------------------------

/** Runs a short command to completion (tracked, so Ctrl-C stops it); its output is in logFile. */
async function runTool(
  name: string,
  cmd: string,
  args: readonly string[],
  logFile: string,
  timeoutMs = 30_000,
): Promise<{ code: number | null; out: string }> {
  const p = start(name, cmd, args, { logFile });
  if (!(await waitExit(p, timeoutMs))) {
    await stop(p);
    throw new Error(`${name}: still running after ${timeoutMs / 1000} s`);
  }
  return { code: p.exitCode, out: readFileSync(logFile, 'utf8') };
}

/** The certificate every peer serves, its key, and both in one file (HAProxy's `crt`). */
interface TlsFiles {
  readonly cert: string;
  readonly key: string;
  readonly bundle: string;
  readonly certPem: string;
}

/** A self-signed ECDSA P-256 certificate for bench.tls.test, made with the openssl CLI. */
async function makeCertificate(openssl: string, dir: string): Promise<TlsFiles> {
  mkdirSync(dir, { recursive: true });
  const cert = join(dir, `${HOST}.pem`);
  const key = join(dir, `${HOST}.key`);
  const args = ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  args.push('-keyout', key, '-out', cert, '-days', '7', '-subj', `/CN=${HOST}`);
  args.push('-addext', `subjectAltName=DNS:${HOST}`);
  const r = await runTool('openssl req', openssl, args, join(dir, 'openssl-req.log'));
  if (r.code !== 0) throw new Error(`openssl req failed:\n${r.out}`);
  const certPem = readFileSync(cert, 'utf8');
  const bundle = join(dir, 'bundle.pem');
  writeFileSync(bundle, certPem + readFileSync(key, 'utf8'), { mode: 0o600 });
  return { cert, key, bundle, certPem };
}

/**
 * wrk reuses one OpenSSL object per connection and calls SSL_clear() between connections, which keeps the
 * TLS session: with `Connection: close` about half its handshakes are then resumptions (PSK), not full
 * handshakes. This LD_PRELOAD shim drops the session in SSL_clear (unless WRK_TLS_KEEP_SESSION is set) and
 * counts completed handshakes, full and resumed, into the file WRK_TLS_STATS names when wrk exits.
 */
const SHIM_C = `#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
typedef struct ssl_st SSL;
typedef struct ssl_session_st SSL_SESSION;
int SSL_set_session(SSL *s, SSL_SESSION *session);
int SSL_session_reused(const SSL *s);
static unsigned long full, resumed;
int SSL_clear(SSL *s) {
  static int (*real)(SSL *);
  if (!real) real = (int (*)(SSL *))dlsym(RTLD_NEXT, "SSL_clear");
  int r = real(s);
  if (!getenv("WRK_TLS_KEEP_SESSION")) SSL_set_session(s, NULL);
  return r;
}
int SSL_connect(SSL *s) {
  static int (*real)(SSL *);
  if (!real) real = (int (*)(SSL *))dlsym(RTLD_NEXT, "SSL_connect");
  int r = real(s);
  if (r == 1) { if (SSL_session_reused(s)) resumed++; else full++; }
  return r;
}
__attribute__((destructor)) static void report(void) {
  const char *file = getenv("WRK_TLS_STATS");
  FILE *out = file ? fopen(file, "w") : NULL;
  if (!out) return;
  fprintf(out, "full %lu resumed %lu\\n", full, resumed);
  fclose(out);
}
`;

/** Compiles the shim with the C compiler, if there is one; undefined (and why) otherwise. */
async function buildShim(dir: string): Promise<{ so: string } | { why: string }> {
  const cc = findCommand('cc') ?? findCommand('gcc');
  if (cc === undefined) return { why: 'no C compiler (cc) to build the no-resumption shim' };
  const src = join(dir, 'wrk-tls-shim.c');
  const so = join(dir, 'wrk-tls-shim.so');
  writeFileSync(src, SHIM_C);
  const r = await runTool('cc', cc, ['-shared', '-fPIC', '-O2', '-o', so, src, '-ldl'], join(dir, 'cc.log'));
  return r.code === 0 ? { so } : { why: `cc failed: ${r.out.trim().split('\n')[0]}` };
}

/** h2load's path, installing nghttp2-client first with --install (root on Debian); else why there is none. */
function findH2load(install: boolean): { path: string } | { why: string } {
  let path = findCommand('h2load');
  if (path === undefined && install && canInstall()) {
    say('installing: apt-get install -y nghttp2-client (h2load)');
    const o = {
      stdio: 'inherit',
      timeout: 600_000,
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    } as const;
    const ok =
      spawnSync('apt-get', ['update'], o).status === 0 &&
      spawnSync('apt-get', ['install', '-y', 'nghttp2-client'], o).status === 0;
    if (!ok) say('apt-get install nghttp2-client failed');
    path = findCommand('h2load');
  }
  if (path !== undefined) return { path };
  return {
    why: install
      ? 'h2load not installed and --install cannot install it here (needs root on Debian)'
      : 'h2load not installed (apt-get install nghttp2-client, or --install as root on Debian)',
  };
}

// --- the peers' TLS configurations ---------------------------------------------------------------------

/** Replaces every `from` in text by `to`; throws when there is none (the plain configuration changed). */
function patch(text: string, from: string, to: string, what: string): string {
  if (!text.includes(from)) throw new Error(`${what}: cannot add TLS: ${JSON.stringify(from)} not found`);
  return text.split(from).join(to);
}

/** nginx: scenario A's configuration, both servers listening with ssl (and http2), TLS 1.3 only. */
function nginxTlsConf(ctx: ProxyContext, f: TlsFiles): string {
  const listen = `listen 127.0.0.1:${ctx.port}`;
  let conf = nginxProxyConf(ctx);
  conf = patch(conf, `${listen} default_server`, `${listen} ssl http2 default_server`, 'nginx');
  conf = patch(conf, `${listen};`, `${listen} ssl http2;`, 'nginx');
  const tls = `  ssl_certificate ${f.cert};\n  ssl_certificate_key ${f.key};\n  ssl_protocols TLSv1.3;\n`;
  return patch(conf, '  upstream backend', `${tls}  upstream backend`, 'nginx');
}

/** HAProxy: scenario A's configuration, the frontend binding with ssl, ALPN h2 + http/1.1, TLS 1.3 only. */
function haproxyTlsConf(ctx: ProxyContext, f: TlsFiles, mapFile: string): string {
  const bind = `bind 127.0.0.1:${ctx.port}`;
  const tls = `${bind} ssl crt ${f.bundle} alpn h2,http/1.1 ssl-min-ver TLSv1.3\n`;
  return patch(haproxyConf(ctx, mapFile), `${bind}\n`, tls, 'haproxy');
}

/**
 * Caddy: scenario A's Caddyfile with an https:// site, the certificate, TLS 1.3 only, HTTP/3 off (it would
 * add an Alt-Svc header to every answer). wrk sends its URL's host (127.0.0.1) as the server name, for which
 * Caddy has no connection policy unless a site has no host: the catch-all site gives those handshakes the
 * same certificate and answers 404 to requests whose Host is not bench.tls.test.
 */
function caddyTlsFile(ctx: ProxyContext, f: TlsFiles): string {
  const tls = `  tls ${f.cert} ${f.key} {\n    protocols tls1.3\n  }\n`;
  const site = (address: string): string => `${address} {\n  bind 127.0.0.1\n`;
  let text = caddyfile(ctx, false);
  text = patch(
    text,
    '  auto_https off\n',
    '  auto_https off\n  servers {\n    protocols h1 h2\n  }\n',
    'caddy',
  );
  text = patch(
    text,
    site(`http://${HOST}:${ctx.port}`),
    `${site(`https://${HOST}:${ctx.port}`)}${tls}`,
    'caddy',
  );
  return `${text}\n${site(`https://:${ctx.port}`)}${tls}  respond 404\n}\n`;
}

/** Wharf: scenario A's dynamic file with `tls: {}` on the router, the certificate and TLS 1.3 options. */
function wharfTlsDynamic(ctx: ProxyContext, f: TlsFiles): string {
  const routers = patch(
    wharfDynamicYaml(ctx.scenario, ctx.backendPort),
    'service: backend }',
    'service: backend, tls: {} }',
    'wharf',
  );
  const pair = `{ certFile: ${JSON.stringify(f.cert)}, keyFile: ${JSON.stringify(f.key)} }`;
  return `${routers}tls:
  certificates:
    - ${pair}
  options:
    default: { minVersion: VersionTLS13, alpnProtocols: [h2, http/1.1] }
  stores:
    default: { defaultCertificate: ${pair} }
`;
}

/** Writes a peer's TLS configuration and starts it (Wharf: until /ping answers). */
async function startPeer(peer: Peer, ctx: ProxyContext, f: TlsFiles): Promise<Started> {
  mkdirSync(ctx.dir, { recursive: true });
  const logFile = join(ctx.dir, 'stdout.log');
  switch (peer) {
    case 'nginx':
      return startNginxWith('nginx', ctx.bin, ctx.dir, nginxTlsConf(ctx, f), ctx.cpu);
    case 'haproxy': {
      const mapFile = join(ctx.dir, 'hosts.map');
      const cfg = join(ctx.dir, 'haproxy.cfg');
      writeFileSync(mapFile, haproxyMap(ctx));
      writeFileSync(cfg, haproxyTlsConf(ctx, f, mapFile));
      return start('haproxy', ctx.bin, ['-db', '-f', cfg], { logFile, cpu: ctx.cpu });
    }
    case 'caddy': {
      const file = join(ctx.dir, 'Caddyfile');
      writeFileSync(file, caddyTlsFile(ctx, f));
      // As proxies/caddy.ts: one thread running Go code, its data and config folders in its own folder.
      return start('caddy', ctx.bin, ['run', '--config', file, '--adapter', 'caddyfile'], {
        logFile,
        cpu: ctx.cpu,
        env: {
          GOMAXPROCS: '1',
          HOME: ctx.dir,
          XDG_DATA_HOME: join(ctx.dir, 'data'),
          XDG_CONFIG_HOME: join(ctx.dir, 'config'),
        },
      });
    }
    case 'wharf': {
      // As proxies/wharf.ts, with the TLS dynamic file.
      const apiPort = await freePort();
      const dynamicFile = join(ctx.dir, 'wharf-dynamic.yml');
      const staticFile = join(ctx.dir, 'wharf-static.yml');
      writeFileSync(dynamicFile, wharfTlsDynamic(ctx, f));
      writeFileSync(staticFile, wharfStaticYaml(ctx.port, apiPort, dynamicFile));
      const proc = start('wharf', process.execPath, [...NODE_FLAGS, ctx.bin, '--configFile', staticFile], {
        logFile,
        cpu: ctx.cpu,
        env: { NODE_ENV: 'production', ...MALLOC_ENV },
      });
      await pollUntil(
        `wharf /ping on 127.0.0.1:${apiPort}`,
        async () => (await httpGet(apiPort, `127.0.0.1:${apiPort}`, '/ping', 1000)).status === 200,
        120_000,
        proc,
      );
      return proc;
    }
  }
}

// --- checks ----------------------------------------------------------------------------------------------

/** One HTTPS GET (HTTP/1.1 by ALPN), verifying the certificate against ours for bench.tls.test. */
function httpsGet(port: number, host: string, f: TlsFiles, timeoutMs = 5000): Promise<Answer> {
  return new Promise((resolve) => {
    const options: https.RequestOptions & ConnectionOptions = {
      host: '127.0.0.1',
      port,
      path: SCENARIO.path,
      headers: { host },
      servername: HOST,
      ca: f.certPem,
      ALPNProtocols: ['http/1.1'],
      agent: false,
      timeout: timeoutMs,
    };
    const req = https.request(options, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (body.length < 4096) body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', (err) => resolve({ status: 0, body, error: err.message }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err) => resolve({ status: 0, body: '', error: err.message }));
    req.end();
  });
}

/** One HTTP/2 GET over TLS (ALPN h2 only), verifying the certificate. */
function h2Get(port: number, f: TlsFiles, timeoutMs = 5000): Promise<Answer> {
  return new Promise((resolve) => {
    const session = http2.connect(`https://127.0.0.1:${port}`, {
      servername: HOST,
      ca: f.certPem,
      ALPNProtocols: ['h2'],
    });
    const timer = setTimeout(() => session.destroy(new Error('timeout')), timeoutMs);
    const done = (a: Answer) => {
      clearTimeout(timer);
      session.close();
      resolve(a);
    };
    session.on('error', (err) => done({ status: 0, body: '', error: err.message }));
    const req = session.request({ ':path': SCENARIO.path, ':authority': HOST });
    let status = 0;
    let body = '';
    req.setEncoding('utf8');
    req.on('response', (headers) => {
      status = Number(headers[':status'] ?? 0);
    });
    req.on('data', (chunk: string) => {
      if (body.length < 4096) body += chunk;
    });
    req.on('end', () => done({ status, body }));
    req.on('error', (err) => done({ status: 0, body, error: err.message }));
    req.end();
  });
}

const shown = (a: Answer): string =>
  `${a.status} ${JSON.stringify(a.body.slice(0, 80))}${a.error ? ` (${a.error})` : ''}`;

/** What a client using wrk's TLS library (the system's OpenSSL) negotiates, as `openssl s_client` sees it. */
interface TlsInfo {
  readonly protocol: string;
  readonly cipher: string;
  readonly group: string;
  readonly alpn: string;
  /** Our certificate, by its own verification (self-signed: only ours verifies against it). */
  readonly ourCertificate: boolean;
  /** A TLS 1.2-only client was refused. */
  readonly tls12Refused: boolean;
}

/** `openssl s_client` as wrk connects: server name 127.0.0.1, offering ALPN http/1.1; then TLS 1.2 only. */
async function tlsInfo(openssl: string, port: number, f: TlsFiles, dir: string): Promise<TlsInfo> {
  const base = ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', '127.0.0.1', '-CAfile', f.cert];
  const r = await runTool(
    'openssl s_client',
    openssl,
    [...base, '-alpn', 'http/1.1'],
    join(dir, 's_client.log'),
  );
  const get = (re: RegExp): string => re.exec(r.out)?.[1]?.trim() ?? '?';
  const old = await runTool(
    'openssl s_client -tls1_2',
    openssl,
    [...base, '-tls1_2'],
    join(dir, 's_client12.log'),
  );
  return {
    protocol: get(/^New, (TLSv[\d.]+), Cipher is/m),
    cipher: get(/^New, TLSv[\d.]+, Cipher is (\S+)/m),
    group: get(/^Server Temp Key: ([^\n]+)/m),
    alpn: /^No ALPN negotiated/m.test(r.out) ? 'none' : get(/^ALPN protocol: (\S+)/m),
    ourCertificate: /Verify return code: 0 \(ok\)/.test(r.out),
    tls12Refused: old.code !== 0 && !/^New, TLSv1\.2/m.test(old.out),
  };
}

// --- load -------------------------------------------------------------------------------------------------

type ModeId = 'keep-alive' | 'new-conn' | 'h2';
const MODE_TITLES: Record<ModeId, string> = {
  'keep-alive': 'keep-alive',
  'new-conn': 'new TLS conn',
  h2: 'HTTP/2',
};

/** One measurement: wrk's or h2load's figures, the handshakes wrk made (with the shim), CPU shares. */
type Run = WrkResult & {
  readonly handshakes?: { readonly full: number; readonly resumed: number };
  readonly otherCpu: number;
  readonly proxyCpu: number;
};

/** What one load run needs. */
interface Load {
  readonly port: number;
  readonly durationS: number;
  readonly connections: number;
  readonly cpu: string | undefined;
  readonly logFile: string;
}

/** Waits for a load generator that stops itself; the margin bounds a hung run. */
async function finish(p: Started, durationS: number): Promise<string> {
  if (!(await waitExit(p, (durationS + 30) * 1000))) {
    await stop(p);
    throw new Error(`${p.name} did not finish within ${durationS + 30} s`);
  }
  const out = readFileSync(p.logFile, 'utf8');
  if (p.exitCode !== 0) throw new Error(`${p.name} exited with code ${p.exitCode}:\n${out}`);
  return out;
}

/**
 * wrk over HTTPS (`wrk -t1 -c<N> -d<S>s --latency`, Host bench.tls.test), with extra headers, through the
 * shim when there is one (handshakes counted; sessions dropped unless keepSession).
 */
async function runWrkTls(
  wrk: string,
  l: Load,
  headers: readonly string[],
  shim: string | undefined,
  keepSession = false,
): Promise<WrkResult & Pick<Run, 'handshakes'>> {
  const args = [`-t1`, `-c${l.connections}`, `-d${l.durationS}s`, '--latency', '--timeout', '5s'];
  for (const h of [`Host: ${HOST}`, ...headers]) args.push('-H', h);
  args.push(`https://127.0.0.1:${l.port}${SCENARIO.path}`);
  const stats = `${l.logFile}.handshakes`;
  rmSync(stats, { force: true });
  const env: Record<string, string> =
    shim === undefined
      ? {}
      : { LD_PRELOAD: shim, WRK_TLS_STATS: stats, ...(keepSession ? { WRK_TLS_KEEP_SESSION: '1' } : {}) };
  const out = await finish(start('wrk', wrk, args, { logFile: l.logFile, cpu: l.cpu, env }), l.durationS);
  const r = parseWrk(out);
  const m = existsSync(stats) ? /^full (\d+) resumed (\d+)/.exec(readFileSync(stats, 'utf8')) : null;
  return m === null ? r : { ...r, handshakes: { full: Number(m[1]), resumed: Number(m[2]) } };
}

/** Parses h2load's report and its per-request log (`--log-file`: start, status, duration in µs). */
function parseH2load(out: string, requestLog: string): WrkResult & { readonly alpn: string } {
  const rps = /^finished in [\d.]+m?s, ([\d.]+) req\/s/m.exec(out);
  const req =
    /^requests: (\d+) total, \d+ started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout/m.exec(
      out,
    );
  const codes = /^status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx/m.exec(out);
  if (rps === null || req === null || codes === null)
    throw new Error(`h2load output not understood:\n${out}`);
  const micros = requestLog
    .split('\n')
    .map((line) => Number(line.split('\t')[2]))
    .filter((n) => Number.isFinite(n) && n > 0);
  if (micros.length === 0) throw new Error('h2load logged no requests');
  return {
    rps: Number(rps[1]),
    p50Ms: percentile(micros, 50) / 1000,
    p99Ms: percentile(micros, 99) / 1000,
    requests: Number(req[2]),
    non2xx: Number(codes[3]) + Number(codes[4]),
    socketErrors: Number(req[5]) + Number(req[6]),
    alpn: /^Application protocol: (\S+)/m.exec(out)?.[1] ?? 'none',
  };
}

/** h2load over HTTPS with ALPN h2: connections x H2_STREAMS streams in flight = l.connections. */
async function runH2load(h2load: string, l: Load): Promise<WrkResult & Pick<Run, 'handshakes'>> {
  const conns = Math.max(1, Math.round(l.connections / H2_STREAMS));
  const requestLog = `${l.logFile}.requests`;
  const args = ['-t1', `-c${conns}`, `-m${H2_STREAMS}`, `-D${l.durationS}`, '-H', `:authority: ${HOST}`];
  args.push(`--log-file=${requestLog}`, `https://127.0.0.1:${l.port}${SCENARIO.path}`);
  const out = await finish(start('h2load', h2load, args, { logFile: l.logFile, cpu: l.cpu }), l.durationS);
  const r = parseH2load(out, readFileSync(requestLog, 'utf8'));
  rmSync(requestLog, { force: true });
  if (r.alpn !== 'h2') throw new Error(`h2load negotiated ${r.alpn}, not h2`);
  return r;
}

// --- the run ----------------------------------------------------------------------------------------------

/** One peer in one mode: its runs, and the medians of the kept ones. */
interface Cell {
  readonly peer: Peer;
  readonly mode: ModeId;
  readonly all: Run[];
  status: 'ok' | 'failed';
  note?: string;
  kept: Run[];
}

/** A started peer and what its checks found. */
interface Running {
  readonly peer: Peer;
  readonly port: number;
  readonly proc: Started;
  readonly readyMs: number;
  readonly tls: TlsInfo;
  /** Share of handshakes wrk resumed on its own (sessions kept), from a short probe; null without the shim. */
  resumedShare: number | null;
}

async function startAndCheck(
  peer: Peer,
  ctx: ProxyContext,
  f: TlsFiles,
  openssl: string,
  h2: boolean,
): Promise<Running> {
  const proc = await startPeer(peer, ctx, f);
  try {
    const routed = async () => {
      const a = await httpsGet(ctx.port, HOST, f, 2000);
      return a.status === 200 && a.body === SCENARIO.expectBody;
    };
    await pollUntil(`${peer}: https://${HOST}${SCENARIO.path}`, routed, READY_DEADLINE_MS, proc);
    const readyMs = performance.now() - proc.startedAt;
    const miss = await httpsGet(ctx.port, UNKNOWN_HOST, f);
    if (miss.status === 200 && miss.body.startsWith('xb='))
      throw new Error(`unknown host reached the backend`);
    if (miss.status === 0) throw new Error(`unknown host: ${shown(miss)}`);
    if (h2) {
      const a = await h2Get(ctx.port, f);
      if (a.status !== 200 || a.body !== SCENARIO.expectBody) throw new Error(`HTTP/2 check: ${shown(a)}`);
    }
    const tls = await tlsInfo(openssl, ctx.port, f, ctx.dir);
    if (tls.protocol !== 'TLSv1.3' || !tls.ourCertificate || !tls.tls12Refused)
      throw new Error(`TLS check: ${JSON.stringify(tls)} (want TLSv1.3, our certificate, TLS 1.2 refused)`);
    return { peer, port: ctx.port, proc, readyMs, tls, resumedShare: null };
  } catch (err) {
    await stop(proc);
    throw err;
  }
}

/** The rotation of list for round r, so no peer always runs first or right after another. */
const rotate = <T>(list: readonly T[], r: number): T[] => list.map((_, i) => list[(i + r) % list.length]!);

function summarize(cells: readonly Cell[], runs: number): void {
  for (const c of cells) {
    if (c.status !== 'ok') continue;
    const keep = new Set([...c.all].sort((a, b) => a.otherCpu - b.otherCpu).slice(0, runs));
    c.kept = c.all.filter((r) => keep.has(r));
    const non2xx = c.kept.reduce((a, r) => a + r.non2xx, 0);
    const total = c.kept.reduce((a, r) => a + r.requests, 0);
    const sock = c.kept.reduce((a, r) => a + r.socketErrors, 0);
    if (c.kept.length === 0) {
      c.status = 'failed';
      c.note ??= 'no run';
    } else if (non2xx > total * MAX_ERROR_SHARE) {
      c.status = 'failed';
      c.note = `${non2xx} of ${total} answers not 2xx/3xx`;
    } else if (non2xx + sock > 0) c.note = `${non2xx} non-2xx, ${sock} socket errors`;
  }
}

const med = (c: Cell, f: (r: Run) => number): number => median(c.kept.map(f));
/** The proxy's CPU time per answered request, µs: what it costs whoever limited the rate. */
const cpuPerRequest = (r: Run): number => (r.proxyCpu / r.rps) * 1e6;

/** Handshakes per request over the kept runs (wrk with the shim only). */
function perRequest(c: Cell): string {
  const hs = c.kept.filter((r) => r.handshakes !== undefined);
  if (hs.length === 0) return '-';
  const n = hs.reduce((a, r) => a + r.handshakes!.full + r.handshakes!.resumed, 0);
  const resumed = hs.reduce((a, r) => a + r.handshakes!.resumed, 0);
  const req = hs.reduce((a, r) => a + r.requests, 0);
  return `${(n / req).toFixed(n / req < 0.01 ? 4 : 2)}${resumed > 0 ? ` (${resumed} resumed)` : ''}`;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const line = (r: string[]): string =>
    r.map((cell, c) => (c < 2 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
  return [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

function formatResults(cells: readonly Cell[], modes: readonly ModeId[], connections: number): string {
  const head = [
    'proxy',
    'mode',
    'req/s',
    'p50 ms',
    'p99 ms',
    'c/rps ms',
    'proxy CPU',
    'CPU µs/req',
    'other CPU',
    'handshakes/req',
    'runs req/s',
  ];
  const rows = [head];
  for (const mode of modes) {
    for (const c of cells.filter((x) => x.mode === mode)) {
      if (c.status !== 'ok') {
        rows.push([
          c.peer,
          MODE_TITLES[mode],
          'failed',
          ...head.slice(3, -1).map(() => '-'),
          (c.note ?? '').slice(0, 60),
        ]);
        continue;
      }
      rows.push([
        c.peer,
        MODE_TITLES[mode],
        int(med(c, (r) => r.rps)),
        ms(med(c, (r) => r.p50Ms)),
        ms(med(c, (r) => r.p99Ms)),
        ms((connections / med(c, (r) => r.rps)) * 1000),
        pct(med(c, (r) => r.proxyCpu)),
        int(med(c, cpuPerRequest)),
        pct(Math.max(...c.kept.map((r) => r.otherCpu))),
        perRequest(c),
        c.kept.map((r) => int(r.rps)).join(' / ') +
          (c.all.length > c.kept.length ? ` (of ${c.all.length})` : ''),
      ]);
    }
  }
  const ratios: string[] = ['', 'ratios (Wharf/peer):'];
  for (const mode of modes) {
    const ok = (p: Peer): Cell | undefined =>
      cells.find((c) => c.mode === mode && c.peer === p && c.status === 'ok');
    const w = ok('wharf');
    const lines: string[] = [];
    for (const peer of ['caddy', 'nginx', 'haproxy'] as const) {
      const m = ok(peer);
      if (w === undefined || m === undefined) continue;
      const [wr, mr] = [med(w, (r) => r.rps), med(m, (r) => r.rps)];
      const [wp, mp] = [med(w, (r) => r.p99Ms), med(m, (r) => r.p99Ms)];
      const [wc, mc] = [med(w, cpuPerRequest), med(m, cpuPerRequest)];
      lines.push(
        `  Wharf/${peer.padEnd(8)} req/s ${(wr / mr).toFixed(2)}x   p99 ${ms(wp)} vs ${ms(mp)} ms (${(wp / mp).toFixed(2)}x)   CPU/req ${int(wc)} vs ${int(mc)} µs (${(wc / mc).toFixed(2)}x)`,
      );
    }
    ratios.push(
      `${MODE_TITLES[mode]}:`,
      ...(lines.length > 0 ? lines : ['  (no Wharf or no peer result: n/a)']),
    );
  }
  const capped = cells.filter((c) => c.status === 'ok' && med(c, (r) => r.proxyCpu) < 0.9);
  const notes =
    capped.length > 0
      ? [
          '',
          `note: ${capped.map((c) => `${c.peer}/${MODE_TITLES[c.mode]}`).join(', ')}: proxy CPU below 90%: the load`,
          '      side (wrk or h2load + backend on the other core) was the limit, so these req/s are lower bounds;',
          '      compare CPU µs/req instead.',
        ]
      : [];
  return [table(rows), ...notes, ...ratios].join('\n');
}

async function main(argv: readonly string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    say(USAGE);
    return 0;
  }
  let opts: Options;
  let keepTmp: boolean;
  try {
    ({ opts, keepTmp } = parseTlsArgs(argv));
  } catch (err) {
    say(`${err instanceof Error ? err.message : String(err)}\n\n${USAGE}`);
    return 2;
  }
  const prepared = prepare(opts, 'bench:tls');
  if (typeof prepared === 'number') return prepared;
  const { found } = prepared;
  const peers = prepared.proxies.filter((p: ProxyName): p is Peer =>
    (PEERS as readonly string[]).includes(p),
  );
  const openssl = findCommand('openssl');
  if (openssl === undefined) {
    say('openssl (the CLI) is required to make the certificate: apt-get install -y openssl');
    return 1;
  }
  const h2load = findH2load(opts.install);
  const pinned = opts.pin && canPin() && cpus().length >= 2;
  const cpu: Cpus = pinned ? { proxy: '1', load: '0' } : { proxy: undefined, load: undefined };
  const startedAt = new Date().toISOString();
  const versions = toolVersions(found);
  const machine = machineInfo(versions);
  const opensslVersion = spawnSync(openssl, ['version'], { encoding: 'utf8' }).stdout.trim();
  // The shim lives outside bench/.tmp, which `npm run bench` (of another user of this checkout) wipes whole.
  const shimDir = mkdtempSync(join(tmpdir(), 'wharf-bench-tls-'));
  process.on('exit', () => {
    rmSync(shimDir, { recursive: true, force: true });
    if (!keepTmp) rmSync(TMP, { recursive: true, force: true });
  });
  rmSync(TMP, { recursive: true, force: true });
  mkdirSync(TMP, { recursive: true });

  const modes: ModeId[] = ['keep-alive', 'new-conn', ...('path' in h2load ? (['h2'] as const) : [])];
  const running: Running[] = [];
  const failedAtStart: Cell[] = [];
  const cells: Cell[] = [];
  let backend: Backend | undefined;
  let shimNote = '';
  let loadAvgAtEnd = 0;
  try {
    const f = await makeCertificate(openssl, join(TMP, 'certs'));
    const shimBuilt = await buildShim(shimDir);
    const shim = 'so' in shimBuilt ? shimBuilt.so : undefined;
    if (!('so' in shimBuilt)) {
      shimNote = `${shimBuilt.why}: wrk resumes some TLS sessions, so "new TLS conn" is not all full handshakes`;
      say(`note: ${shimNote}`);
    }
    if (!('path' in h2load)) say(`HTTP/2: skipped: ${h2load.why}`);
    backend = await startBackend(TMP, opts.nodeBackend ? undefined : found.nginx, cpu.load);
    say(`backend: ${backend.kind} on 127.0.0.1:${backend.port}; peers: ${peers.join(', ')}`);
    for (const peer of peers) {
      const ctx: ProxyContext = {
        dir: join(TMP, peer),
        scenario: SCENARIO,
        backendPort: backend.port,
        port: await freePort(),
        cpu: cpu.proxy,
        bin: peer === 'wharf' ? wharfBin(opts) : found[peer]!,
      };
      try {
        const r = await startAndCheck(peer, ctx, f, openssl, modes.includes('h2'));
        say(
          `${peer}: ready in ${Math.round(r.readyMs)} ms on 127.0.0.1:${r.port}; routing checked; ${r.tls.protocol} ${r.tls.cipher}, ${r.tls.group}, ALPN ${r.tls.alpn}, our certificate, TLS 1.2 refused`,
        );
        running.push(r);
      } catch (err) {
        const note = (err instanceof Error ? err.message : String(err)).split('\n').slice(0, 3).join(' | ');
        say(`${peer}: failed: ${err instanceof Error ? err.message : String(err)}`);
        for (const mode of modes)
          failedAtStart.push({ peer, mode, all: [], status: 'failed', note, kept: [] });
      }
    }
    const wrk = found.wrk!;
    const pids = [backend.proc.pid, ...running.map((r) => r.proc.pid)];
    let wiped = false;
    const load = (r: Running, mode: ModeId, durationS: number, tag: string, keepSession = false) => {
      if (!existsSync(join(TMP, r.peer)) && !wiped) {
        wiped = true;
        say(`note: ${TMP} was removed during the run (by \`npm run bench\`?); the logs before now are lost`);
      }
      mkdirSync(join(TMP, r.peer), { recursive: true });
      const l: Load = {
        port: r.port,
        durationS,
        connections: opts.connections,
        cpu: cpu.load,
        logFile: join(TMP, r.peer, `${mode}-${tag}.log`),
      };
      if (mode === 'h2' && 'path' in h2load) return runH2load(h2load.path, l);
      return runWrkTls(wrk, l, mode === 'new-conn' ? ['Connection: close'] : [], shim, keepSession);
    };

    // Warm-up (JIT, caches, connection pools) for every peer and mode; then, with the shim, how many
    // handshakes wrk resumes when left to itself.
    for (const r of running) {
      for (const mode of opts.warmupS > 0 ? modes : []) await load(r, mode, opts.warmupS, 'warmup');
      if (shim !== undefined) {
        const probe = await load(r, 'new-conn', 1, 'resumption-probe', true);
        const h = probe.handshakes;
        r.resumedShare =
          h === undefined || h.full + h.resumed === 0 ? null : h.resumed / (h.full + h.resumed);
        say(
          `${r.peer}: wrk alone (sessions kept, Connection: close, 1 s): ${h ? `${h.full} full + ${h.resumed} resumed handshakes for ${probe.requests} requests` : 'no count'}`,
        );
      }
    }

    for (const r of running)
      for (const mode of modes) cells.push({ peer: r.peer, mode, all: [], status: 'ok', kept: [] });
    const quiet = (c: Cell): number => c.all.filter((x) => x.otherCpu < QUIET_SHARE).length;
    const needsMore = (c: Cell): boolean =>
      c.status === 'ok' && (opts.waitQuiet ? quiet(c) < opts.runs : c.all.length < opts.runs);
    const maxRounds = opts.waitQuiet ? opts.runs * MAX_ROUNDS_FACTOR : opts.runs;
    for (let round = 0; round < maxRounds && cells.some(needsMore); round++) {
      say(`round ${round + 1}${round >= opts.runs ? ' (repeating disturbed runs)' : ''}`);
      for (const mode of modes) {
        for (const r of rotate(running, round)) {
          const c = cells.find((x) => x.peer === r.peer && x.mode === mode)!;
          if (!needsMore(c)) continue;
          const tag = `${r.peer} / ${MODE_TITLES[mode]}`;
          if (opts.waitQuiet) {
            const other = await waitQuiet(pids, QUIET_SHARE, QUIET_WAIT_MS);
            if (other >= QUIET_SHARE)
              say(`${tag}: other processes still use ${pct(other)} of the CPUs; measuring anyway`);
          }
          const before = sampleCpu(pids);
          const proxyBefore = treeCpuSeconds(r.proc.pid);
          let w: Awaited<ReturnType<typeof load>>;
          try {
            w = await load(r, mode, opts.durationS, `${round + 1}`);
          } catch (err) {
            c.status = 'failed';
            c.note = (err instanceof Error ? err.message : String(err)).split('\n').slice(0, 3).join(' | ');
            say(`${tag}: failed: ${c.note}`);
            continue;
          }
          const after = sampleCpu(pids);
          const seconds = (after.at - before.at) / 1000;
          const run: Run = {
            ...w,
            otherCpu: foreignShare(before, after),
            proxyCpu: Math.round(((treeCpuSeconds(r.proc.pid) - proxyBefore) / seconds) * 1e4) / 1e4,
          };
          c.all.push(run);
          const errs =
            run.non2xx + run.socketErrors > 0
              ? `, ${run.non2xx} non-2xx, ${run.socketErrors} socket errors`
              : '';
          const hs = run.handshakes
            ? `, ${run.handshakes.full} full + ${run.handshakes.resumed} resumed handshakes`
            : '';
          say(
            `${tag}: run ${c.all.length}: ${int(run.rps)} req/s, p50 ${run.p50Ms.toFixed(2)} ms, p99 ${run.p99Ms.toFixed(2)} ms, proxy CPU ${pct(run.proxyCpu)}, other CPU ${pct(run.otherCpu)}${hs}${errs}`,
          );
        }
      }
    }
    loadAvgAtEnd = Number(loadavg()[0]!.toFixed(2));
  } finally {
    await stopAll();
  }
  summarize(cells, opts.runs);
  const all = [...cells, ...failedAtStart];

  const v = versions;
  const h2 =
    'path' in h2load
      ? spawnSync(h2load.path, ['--version'], { encoding: 'utf8' }).stdout.trim() || 'h2load'
      : `skipped: ${h2load.why}`;
  // The load average at the end counts the benchmark's own processes; only the one at the start tells.
  const busy = machine.loadAvgAtStart > 0.5 ? '  (other work was running: figures may be low and noisy)' : '';
  const lines = [
    '',
    `machine: ${machine.nproc} CPUs (${machine.cpuModel}), node ${machine.node}, load average ${machine.loadAvgAtStart} at start (${loadAvgAtEnd} at the end, with the benchmark's own processes)${busy}`,
    `peers:   ${['nginx', 'haproxy', 'caddy', 'wrk'].map((t) => `${t} ${v[t as keyof typeof v] ?? 'missing'}`).join(' | ')} | ${opensslVersion} | h2load: ${h2}`,
    `load:    wrk -t1 -c${opts.connections} -d${opts.durationS}s over TLS 1.3 (new TLS conn: + 'Connection: close'${shimNote === '' ? ', sessions dropped: full handshakes' : ''})` +
      `${modes.includes('h2') ? `; h2load -t1 -c${Math.max(1, Math.round(opts.connections / H2_STREAMS))} -m${H2_STREAMS}` : ''}` +
      `; ${opts.warmupS} s warm-up; median of ${opts.runs} round(s), order rotating; backend ${backend?.kind ?? '-'}` +
      `; ${pinned ? 'proxies pinned to CPU 1, load + backend to CPU 0' : 'no CPU pinning'}`,
    `tls:     ${running.map((r) => `${r.peer} ${r.tls.cipher} ${r.tls.group.split(',')[0]} ALPN ${r.tls.alpn}${r.resumedShare === null ? '' : ` (wrk alone resumed ${pct(r.resumedShare)})`}`).join('; ')}`,
    '',
    formatResults(all, modes, opts.connections),
    '',
    'c/rps ms: connections / req/s, the mean time per request of one connection slot (closed loop): in',
    "new TLS conn mode it includes connect and handshake, which wrk's p50/p99 (request written to answer) do not.",
    "CPU µs/req: the proxy's CPU time (with its children) per answered request.",
    '',
  ];
  say(lines.join('\n'));
  mkdirSync(RESULTS, { recursive: true });
  const file = join(RESULTS, `tls-${startedAt.replace(/[:.]/g, '-')}.json`);
  const report = {
    startedAt,
    machine: { ...machine, loadAvgAtEnd, openssl: opensslVersion, h2load: h2 },
    options: opts,
    pinned,
    backend: backend?.kind,
    shim: shimNote === '' ? 'full handshakes (sessions dropped)' : shimNote,
    peers: running.map(({ peer, port, readyMs, tls, resumedShare }) => ({
      peer,
      port,
      readyMs,
      tls,
      resumedShare,
    })),
    results: all,
  };
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  say(`results: ${file}`);
  return all.some((c) => c.status === 'ok') ? 0 : 1;
}

runMain(main);
