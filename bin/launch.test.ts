import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// bin/launch.js's compile cache holds code Node runs, so it must refuse a directory someone else can write.
// Each case runs enableCompileCache() in a fresh Node and prints the directory Node then uses.

const LAUNCH = new URL('./launch.js', import.meta.url).href;
const root = mkdtempSync(join(tmpdir(), 'wharf-launch-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function cacheDirWith(env: Record<string, string>): string {
  const script = `import module from 'node:module'; import { enableCompileCache } from '${LAUNCH}'; enableCompileCache(); process.stdout.write(module.getCompileCacheDir?.() ?? 'off');`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    env: { PATH: process.env.PATH ?? '', HOME: join(root, 'no-home'), ...env },
    encoding: 'utf8',
  });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}

/** A fresh XDG_CACHE_HOME, with its wharf/ folder prepared by `setup`. */
function xdg(name: string, setup?: (wharfDir: string) => void): string {
  const base = join(root, name);
  mkdirSync(base, { mode: 0o700 });
  setup?.(join(base, 'wharf'));
  return base;
}

const isRoot = process.getuid?.() === 0;

describe('bin/launch.js: where the compile cache goes', () => {
  const cases: Array<{
    name: string;
    env: () => Record<string, string>;
    expected: (env: Record<string, string>) => RegExp;
  }> = [
    {
      name: 'a new folder under $XDG_CACHE_HOME, created private',
      env: () => ({ XDG_CACHE_HOME: xdg('fresh') }),
      expected: (e) => new RegExp(`^${e.XDG_CACHE_HOME}/wharf/node-compile-cache/v`),
    },
    {
      name: 'refused: wharf/ writable by others',
      env: () => ({
        XDG_CACHE_HOME: xdg('open', (d) => {
          mkdirSync(d);
          chmodSync(d, 0o777); // past the umask
        }),
      }),
      expected: () => /^off$/,
    },
    {
      name: 'refused: node-compile-cache/ a symlink to a folder someone else chose',
      env: () => ({
        XDG_CACHE_HOME: xdg('link', (d) => {
          mkdirSync(d, { mode: 0o700 });
          const elsewhere = join(root, 'elsewhere');
          mkdirSync(elsewhere, { mode: 0o700 });
          symlinkSync(elsewhere, join(d, 'node-compile-cache'));
        }),
      }),
      expected: () => /^off$/,
    },
    {
      name: 'NODE_DISABLE_COMPILE_CACHE=1 turns it off',
      env: () => ({ XDG_CACHE_HOME: xdg('disabled'), NODE_DISABLE_COMPILE_CACHE: '1' }),
      expected: () => /^off$/,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const env = c.env();
      expect(cacheDirWith(env)).toMatch(c.expected(env));
    });
  }

  it.skipIf(!isRoot)('refused: wharf/ owned by another user (needs root to chown)', () => {
    const base = xdg('foreign', (d) => {
      mkdirSync(d, { mode: 0o700 });
      chownSync(d, 65534, 65534);
    });
    expect(cacheDirWith({ XDG_CACHE_HOME: base })).toBe('off');
  });
});
