// Shared start-up of Wharf's programs (bin/wharf.js, bin/wharf-registrar.js, bin/warm-cache.js). Plain
// JavaScript: it runs before Node can be trusted to strip types.
import { existsSync, lstatSync, mkdirSync } from 'node:fs';
import module from 'node:module';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';

/**
 * Gets the process ready to run Wharf: checks the Node version, turns on Node's compile cache, and makes
 * sure Node runs with Wharf's V8 flags, malloc settings and allocator (jemalloc when installed:
 * core/node-flags.ts), re-executing itself with them (same PID, `process.execve`) when they are missing. Flags given on the command line come after
 * Wharf's and so win; malloc variables already set are kept.
 */
export async function prepareProcess(program) {
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major < 22 || (major === 22 && minor < 19)) {
    process.stderr.write(
      `${program}: Node ${process.versions.node} is too old; Wharf needs Node >= 22.19 (24 LTS recommended).\n` +
        '  From a clone, `npm start` and `npm test` use the Node 24 that `npm ci` installs.\n',
    );
    process.exit(1);
  }
  enableCompileCache();
  const { MALLOC_ENV, NODE_FLAGS, allocatorChoice, withPreload } = await import('../core/node-flags.ts');
  const missingFlag = NODE_FLAGS.some((f) => !process.execArgv.includes(f));
  const missingEnv = Object.keys(MALLOC_ENV).some((k) => process.env[k] === undefined);
  // The allocator (jemalloc when installed) can only be chosen before the process starts: LD_PRELOAD.
  const allocator = allocatorChoice(process.env.WHARF_MALLOC, existsSync);
  const preload =
    allocator.preload === undefined ? undefined : withPreload(process.env.LD_PRELOAD, allocator.preload);
  if ((missingFlag || missingEnv || preload !== undefined) && typeof process.execve === 'function') {
    try {
      process.execve(
        process.execPath,
        [
          process.execPath,
          ...NODE_FLAGS.filter((f) => !process.execArgv.includes(f)),
          ...process.execArgv,
          ...process.argv.slice(1),
        ],
        { ...MALLOC_ENV, ...process.env, ...(preload === undefined ? {} : { LD_PRELOAD: preload }) },
      );
    } catch {
      // Not on this platform (Windows): run without them.
    }
  }
  // Said once, by the process that runs (the one before a re-exec never gets here).
  if (allocator.warning !== undefined) process.stderr.write(`${program}: ${allocator.warning}\n`);
}

/** prepareProcess, then the program's TypeScript entry module (a path relative to this file). */
export async function launch(program, entry) {
  await prepareProcess(program);
  await import(new URL(entry, import.meta.url).href);
}

/**
 * Turns on Node's compile cache: each module's type-stripped source and V8 code cache, kept on disk.
 * From the second start on, Node then never loads its TypeScript stripper (a WebAssembly build of swc),
 * which measured 24 MiB less resident memory and a faster start (bench/README.md, "Memory").
 *
 * NODE_COMPILE_CACHE (the images set it) has Node do this itself; NODE_DISABLE_COMPILE_CACHE=1 turns it
 * off. Otherwise the cache goes to $XDG_CACHE_HOME/wharf/node-compile-cache (~/.cache/...), and only if
 * that directory and its parent belong to this user and no one else can write them: the cache holds code
 * that Node runs, so a directory others can write (as Node's default in the shared temp directory) would
 * let them run code as Wharf's user. Anything else means no cache.
 */
export function enableCompileCache() {
  if (process.env.NODE_COMPILE_CACHE || process.env.NODE_DISABLE_COMPILE_CACHE) return;
  const xdg = process.env.XDG_CACHE_HOME;
  const dir = join(xdg && isAbsolute(xdg) ? xdg : join(homedir(), '.cache'), 'wharf', 'node-compile-cache');
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    for (const d of [dirname(dir), dir]) {
      const st = lstatSync(d);
      if (!st.isDirectory() || st.uid !== process.getuid?.() || (st.mode & 0o022) !== 0) return;
    }
  } catch {
    return;
  }
  module.enableCompileCache?.(dir);
}
