import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { findCommand } from './procs.ts';

// Which peers and tools are installed, their versions, and (with --install) installing the missing ones
// from Debian's packages.

/** External commands the harness uses, with the Debian package that provides each. */
export const TOOLS = {
  nginx: 'nginx-light',
  haproxy: 'haproxy',
  caddy: 'caddy',
  wrk: 'wrk',
} as const;
/** A tool's command name. */
export type Tool = keyof typeof TOOLS;

/** Absolute paths of the installed tools; a missing tool is absent. */
export type Found = Partial<Record<Tool, string>>;

/** Looks every tool up on PATH (and the sbin folders). */
export function detectTools(): Found {
  const found: Found = {};
  for (const tool of Object.keys(TOOLS) as Tool[]) {
    const path = findCommand(tool);
    if (path !== undefined) found[tool] = path;
  }
  return found;
}

/** The tools not found. */
export function missingTools(found: Found, wanted: readonly Tool[]): Tool[] {
  return wanted.filter((t) => found[t] === undefined);
}

/** Whether `--install` can work here: root on Debian with apt-get. */
export function canInstall(): boolean {
  return (
    process.getuid?.() === 0 && existsSync('/etc/debian_version') && findCommand('apt-get') !== undefined
  );
}

/** apt-get update, then apt-get install -y the packages of the missing tools; prints apt's output. */
export function installTools(tools: readonly Tool[]): boolean {
  const pkgs = tools.map((t) => TOOLS[t]);
  process.stdout.write(`installing: apt-get install -y ${pkgs.join(' ')}\n`);
  const opts = {
    stdio: 'inherit',
    timeout: 600_000,
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  } as const;
  const update = spawnSync('apt-get', ['update'], opts);
  if (update.status !== 0) return false;
  return spawnSync('apt-get', ['install', '-y', ...pkgs], opts).status === 0;
}

function firstLine(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 10_000 });
  const text = `${r.stdout ?? ''}\n${r.stderr ?? ''}`.trim();
  return text.split('\n')[0]?.trim() ?? '';
}

/** One version line per installed tool, e.g. "nginx/1.22.1". */
export function toolVersions(found: Found): Partial<Record<Tool, string>> {
  const out: Partial<Record<Tool, string>> = {};
  if (found.nginx) out.nginx = firstLine(found.nginx, ['-v']).replace(/^nginx version:\s*/, '');
  if (found.haproxy) out.haproxy = firstLine(found.haproxy, ['-v']).replace(/\s+-\s+https?:.*$/, '');
  if (found.caddy) out.caddy = firstLine(found.caddy, ['version']);
  if (found.wrk) out.wrk = firstLine(found.wrk, ['-v']).replace(/\s+Copyright.*$/, '');
  return out;
}
