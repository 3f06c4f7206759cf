import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { aptInstall, run, tail } from '../docker/image.ts';

/**
 * The Compose CLI for the compose tests: `docker compose` (v2 plugin) when the docker CLI has it, else
 * `docker-compose` (v1, Debian's package). When neither is there, as root on Debian, `apt-get install
 * docker-compose` (as the global setup installs docker.io); otherwise the compose tests skip with the reason.
 */
export type ComposeCli = { command: string; args: string[]; version: string } | { skip: string };

let found: Promise<ComposeCli> | undefined;

/** Finds (or installs) the Compose CLI once per process. */
export function composeCli(): Promise<ComposeCli> {
  found ??= findComposeCli();
  return found;
}

async function findComposeCli(): Promise<ComposeCli> {
  const plugin = await run('docker', ['compose', 'version', '--short'], 20_000);
  if (plugin.code === 0) return { command: 'docker', args: ['compose'], version: plugin.output.trim() };
  const v1 = await run('docker-compose', ['version', '--short'], 20_000);
  if (v1.code === 0) return { command: 'docker-compose', args: [], version: v1.output.trim() };
  const missing = 'neither `docker compose` nor `docker-compose` is installed';
  if (process.getuid?.() !== 0) return { skip: `${missing}, and installing one needs root` };
  if (!existsSync('/etc/debian_version'))
    return { skip: `${missing}, and installing one is automated on Debian only` };
  process.stderr.write('[compose] docker-compose is missing: apt-get install docker-compose …\n');
  await aptInstall(['docker-compose']);
  const installed = await run('docker-compose', ['version', '--short'], 20_000);
  if (installed.code !== 0)
    throw new Error(`docker-compose does not run after installing it: ${tail(installed.output)}`);
  return { command: 'docker-compose', args: [], version: installed.output.trim() };
}

/** Result of one Compose command. */
export interface ComposeResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `<compose> <args>` with `env` added to this process's environment. */
export function compose(
  cli: Exclude<ComposeCli, { skip: string }>,
  args: string[],
  opts: { env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {},
): Promise<ComposeResult> {
  return new Promise((resolve) => {
    const child = spawn(cli.command, [...cli.args, ...args], {
      cwd: opts.cwd,
      env: { ...process.env, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: opts.timeoutMs ?? 120_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    child.on('error', (err) => resolve({ code: -1, stdout, stderr: stderr + String(err) }));
    child.on('close', (code, signal) =>
      resolve({ code: code ?? -1, stdout, stderr: stderr + (signal ? `\n(killed by ${signal})` : '') }),
    );
  });
}

/** Like compose(), but throws with the output when the command fails. */
export async function composeOk(
  cli: Exclude<ComposeCli, { skip: string }>,
  args: string[],
  opts: Parameters<typeof compose>[2] = {},
): Promise<string> {
  const r = await compose(cli, args, opts);
  if (r.code !== 0) {
    throw new Error(
      `${cli.command} ${[...cli.args, ...args].join(' ')} failed (exit ${r.code}):\n${tail(r.stderr + r.stdout, 40)}`,
    );
  }
  return r.stdout;
}
