import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { MALLOC_ENV, NODE_FLAGS } from '../core/node-flags.ts';
import { commandOf, type Options, type ProxyName } from './args.ts';
import {
  canInstall,
  detectTools,
  type Found,
  installTools,
  missingTools,
  TOOLS,
  type Tool,
} from './peers.ts';

// Before a benchmark entry (`npm run bench`, `npm run bench:tls`) measures anything: which of wrk and the
// peers are installed (installing the missing ones with --install), and where Wharf's entry script is.

const DEFAULT_WHARF_BIN = join(import.meta.dirname, '..', 'bin', 'wharf.js');

const say = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

/** Wharf's entry script: --wharf-bin, or bin/wharf.js. */
export const wharfBin = (opts: Pick<Options, 'wharfBin'>): string =>
  resolve(opts.wharfBin ?? DEFAULT_WHARF_BIN);

/**
 * Finds the tools, installs missing ones with --install, and returns the proxies that can run; a number
 * (the exit status) when nothing can. `script` names the npm script in the hints it prints.
 */
export function prepare(
  opts: Pick<Options, 'only' | 'install' | 'wharfBin'>,
  script = 'bench',
): { found: Found; proxies: ProxyName[] } | number {
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
      `wrk is required and not installed. Install it with:\n  apt-get install -y wrk\nor run: npm run ${script} -- --install (as root on Debian)`,
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
  if (proxies.includes('wharf')) warmCompileCache(wharfBin(opts));
  return { found, proxies };
}

/**
 * Runs bin/warm-cache.js beside Wharf's entry script, as Wharf runs (NODE_FLAGS, MALLOC_ENV): it fills
 * Node's compile cache (bin/launch.js), so every measured start is a second start, as on any machine that
 * ran Wharf before or in the images, and not a first one that loads Node's TypeScript stripper (24 MiB more).
 */
function warmCompileCache(bin: string): void {
  const r = spawnSync(process.execPath, [...NODE_FLAGS, join(dirname(bin), 'warm-cache.js')], {
    env: { ...process.env, ...MALLOC_ENV },
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (r.status !== 0) say(`bin/warm-cache.js failed (${r.status ?? r.signal}): ${r.stderr.trim()}`);
}
