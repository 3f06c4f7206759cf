import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { request } from 'undici';
import { freePort } from '../acme/pebble.ts';
import { aptInstall } from '../docker/image.ts';

// A real Prometheus (Debian's `prometheus` package) for the scrape test: its own config and temporary
// storage, on a loopback port of its own, scraping one target every second; stopped by PID.

function onPath(name: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((d) => d !== '' && existsSync(join(d, name)));
}

/**
 * Makes sure `prometheus` is installed: as root on Debian, `apt-get install -y prometheus` when missing.
 * Returns why the test must skip (WHARF_PROMETHEUS=off, or no way to install it), or undefined. A skip
 * fails a run with WHARF_REQUIRE_ALL=1 (test/summary-reporter.ts), as CI sets.
 */
export async function ensurePrometheus(): Promise<string | undefined> {
  if (process.env.WHARF_PROMETHEUS === 'off') return 'disabled by WHARF_PROMETHEUS=off';
  if (onPath('prometheus')) return undefined;
  const uid = process.getuid?.();
  if (uid !== 0) return `prometheus is not installed, and installing it needs root (uid is ${uid})`;
  if (!existsSync('/etc/debian_version') || !onPath('apt-get'))
    return 'prometheus is not installed, and installing it is only automated on Debian';
  console.log('[prometheus] prometheus is missing: apt-get install prometheus …');
  await aptInstall(['prometheus']);
  if (!onPath('prometheus')) throw new Error('prometheus is still missing after apt-get install prometheus');
  return undefined;
}

/** A running Prometheus and its HTTP API. */
export interface TestPrometheus {
  readonly url: string;
  /** The result vector of an instant PromQL query. */
  query(promql: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>>;
  /** The health of the scrape targets ("up", "down", "unknown"). */
  targets(): Promise<Array<{ health: string; scrapeUrl: string; lastError: string }>>;
  stop(): Promise<void>;
}

/** Starts Prometheus on a free loopback port scraping `target` (host:port) at `/metrics` every second. */
export async function startPrometheus(target: string): Promise<TestPrometheus> {
  const dir = mkdtempSync(join(tmpdir(), 'wharf-prometheus-'));
  const config = join(dir, 'prometheus.yml');
  writeFileSync(
    config,
    [
      'global: { scrape_interval: 1s, scrape_timeout: 900ms, evaluation_interval: 1s }',
      'scrape_configs:',
      '  - job_name: wharf',
      `    static_configs: [{ targets: ["${target}"] }]`,
      '',
    ].join('\n'),
  );
  const port = await freePort();
  const proc: ChildProcess = spawn(
    'prometheus',
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  proc.stderr?.on('data', (c: Buffer) => {
    stderr = (stderr + c.toString()).slice(-4000);
  });
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const api = async (path: string) => {
    const res = await request(url + path);
    const body = (await res.body.json()) as { status: string; data: unknown; error?: string };
    if (body.status !== 'success') throw new Error(`prometheus ${path}: ${body.error ?? body.status}`);
    return body.data;
  };
  // Ready when its API answers (deadline 60 s: the first start of a TSDB on a busy machine is slow).
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (proc.exitCode !== null) {
      await stop();
      throw new Error(`prometheus exited with ${proc.exitCode}: ${stderr}`);
    }
    try {
      const res = await request(`${url}/-/ready`);
      await res.body.text();
      if (res.statusCode === 200) break;
    } catch {
      // Not listening yet: poll again until the deadline.
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`prometheus did not become ready within 60 s: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    query: async (promql) =>
      ((await api(`/api/v1/query?query=${encodeURIComponent(promql)}`)) as { result: [] }).result,
    targets: async () => ((await api('/api/v1/targets')) as { activeTargets: [] }).activeTargets,
    stop,
  };
}
