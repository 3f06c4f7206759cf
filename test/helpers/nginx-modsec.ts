import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../acme/pebble.ts';
import { aptInstall } from '../docker/image.ts';

// The reference the waf middleware is compared with: nginx with Debian's ModSecurity connector
// (libnginx-mod-http-modsecurity, over the same libmodsecurity3 Wharf's addon uses) and Debian's CRS,
// started on a loopback port of its own with its own prefix folder, one worker, stopped by PID.

/** Where Debian puts nginx's dynamic modules (the first that holds the ModSecurity module is used). */
const MODULE_DIRS = ['/usr/share/nginx/modules', '/usr/lib/nginx/modules'];
const MODULE_FILE = 'ngx_http_modsecurity_module.so';
const NGINX_BINS = ['/usr/sbin/nginx', '/usr/bin/nginx'];
/** Debian's CRS entry points: what `waf: {crs: {}}` loads by default. */
export const CRS_SETUP = '/etc/modsecurity/crs/crs-setup.conf';
export const CRS_RULES = '/usr/share/modsecurity-crs/rules';

/** The installed ModSecurity module for nginx (Debian's libnginx-mod-http-modsecurity), if any. */
export function modsecModulePath(): string | undefined {
  return MODULE_DIRS.map((d) => join(d, MODULE_FILE)).find((f) => existsSync(f));
}

function nginxPath(): string | undefined {
  return NGINX_BINS.find((f) => existsSync(f));
}

/**
 * Makes sure nginx, its ModSecurity module and the CRS are installed: as root on Debian,
 * `apt-get install nginx-light libnginx-mod-http-modsecurity modsecurity-crs` for what is missing.
 * Returns why the reference tests must skip (WHARF_NGINX_MODSEC=off, or no way to install), or undefined
 * when they can run. A skip fails a run with WHARF_REQUIRE_ALL=1 (test/summary-reporter.ts).
 */
export async function ensureNginxModsec(): Promise<string | undefined> {
  if (process.env.WHARF_NGINX_MODSEC === 'off') return 'disabled by WHARF_NGINX_MODSEC=off';
  const missing = [
    ...(nginxPath() === undefined ? ['nginx-light'] : []),
    ...(modsecModulePath() === undefined ? ['libnginx-mod-http-modsecurity'] : []),
    ...(existsSync(CRS_SETUP) && existsSync(CRS_RULES) ? [] : ['modsecurity-crs']),
  ];
  if (missing.length === 0) return undefined;
  const uid = process.getuid?.();
  if (uid !== 0) return `${missing.join(', ')} not installed, and installing needs root (uid is ${uid})`;
  if (!existsSync('/etc/debian_version'))
    return `${missing.join(', ')} not installed (only automated on Debian)`;
  console.log(`[nginx-modsec] missing: apt-get install ${missing.join(' ')} …`);
  await aptInstall(missing);
  if (nginxPath() === undefined || modsecModulePath() === undefined || !existsSync(CRS_SETUP))
    throw new Error(`still missing after apt-get install ${missing.join(' ')}`);
  return undefined;
}

/** `nginx/<version>` of the installed nginx (nginx -v), for reports. */
export function nginxVersion(): string {
  const bin = nginxPath();
  if (bin === undefined) return 'nginx (not installed)';
  const m = /nginx\/[\w.]+/.exec(spawnSync(bin, ['-v'], { encoding: 'utf8' }).stderr ?? '');
  return m ? m[0] : 'nginx';
}

/** What {@link startNginxModsec} serves. */
export interface NginxModsecOptions {
  /** Loopback port of the backend every request is proxied to. */
  readonly backendPort: number;
  /**
   * The ModSecurity configuration (SecLang) for `modsecurity_rules_file`, given the audit log path the
   * harness chose; it must write a JSON audit log there (SecAuditLogFormat JSON, parts with H).
   */
  readonly secLang: (auditLog: string) => string;
}

/** A running nginx + ModSecurity. */
export interface NginxModsec {
  readonly port: number;
  /** The JSON audit log ModSecurity writes (one entry a line). */
  readonly auditLog: string;
  /** The generated SecLang file (for the report). */
  readonly rulesFile: string;
  /** The error log (ModSecurity's messages, nginx's own refusals). */
  readonly errorLog: string;
  stop(): Promise<void>;
}

function nginxConf(dir: string, port: number, backendPort: number, rulesFile: string): string {
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
    .map((t) => `  ${t}_temp_path ${join(dir, `${t}_temp`)};`)
    .join('\n');
  return `load_module ${modsecModulePath()};
daemon off;
master_process on;
worker_processes 1;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} info;
events { worker_connections 1024; }
http {
  access_log off;
  keepalive_requests 1000000;
${temp}
  # The body limit is ModSecurity's (SecRequestBodyLimit), not nginx's 1 MiB default.
  client_max_body_size 0;
  upstream backend { server 127.0.0.1:${backendPort}; keepalive 64; keepalive_requests 1000000; }
  server {
    listen 127.0.0.1:${port} backlog=4096;
    modsecurity on;
    modsecurity_rules_file ${rulesFile};
    location / {
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      # As Wharf does for a client that sent none; the backend tells requests apart by it.
      proxy_set_header X-Forwarded-For $remote_addr;
      proxy_pass http://backend;
    }
  }
}
`;
}

/** Starts nginx (master + 1 worker, foreground) with ModSecurity on, proxying to the backend. */
export async function startNginxModsec(options: NginxModsecOptions): Promise<NginxModsec> {
  const bin = nginxPath();
  if (bin === undefined || modsecModulePath() === undefined)
    throw new Error('nginx-modsec: call ensureNginxModsec first');
  const dir = mkdtempSync(join(tmpdir(), 'wharf-nginx-modsec-'));
  const port = await freePort();
  const auditLog = join(dir, 'audit.log');
  const rulesFile = join(dir, 'modsecurity.conf');
  const errorLog = join(dir, 'error.log');
  writeFileSync(rulesFile, options.secLang(auditLog));
  const conf = join(dir, 'nginx.conf');
  writeFileSync(conf, nginxConf(dir, port, options.backendPort, rulesFile));
  const proc: ChildProcess = spawn(bin, ['-p', dir, '-c', conf, '-e', errorLog], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  proc.stderr?.on('data', (c: Buffer) => {
    stderr = (stderr + c.toString()).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null && proc.pid !== undefined) {
      // SIGQUIT: graceful stop of the master, which stops its worker.
      process.kill(proc.pid, 'SIGQUIT');
      const kill = setTimeout(() => proc.pid !== undefined && process.kill(proc.pid, 'SIGKILL'), 10_000);
      await exited;
      clearTimeout(kill);
    }
    if (process.env.WHARF_KEEP_TMP !== '1') rmSync(dir, { recursive: true, force: true });
  };
  // Loading the CRS takes a second or two; ready when the port accepts connections.
  const deadline = Date.now() + 60_000;
  while (!(await isListening(port))) {
    if (proc.exitCode !== null || Date.now() > deadline) {
      const log = existsSync(errorLog) ? readFileSync(errorLog, 'utf8').slice(-4000) : '';
      await stop();
      throw new Error(`nginx + ModSecurity did not start (exit ${proc.exitCode}): ${stderr}\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  return { port, auditLog, rulesFile, errorLog, stop };
}

/** True when something accepts TCP connections on the loopback port. */
function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
