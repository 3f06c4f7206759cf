import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureFastGzip } from '../test/helpers/native.ts';

// native/build.js builds each addon on its own: a library whose header is missing skips its addon only,
// npm ci never fails on it (exit 0), and --require makes it an error. Headers are hidden by pointing
// WHARF_NATIVE_INCLUDE_DIRS at a folder holding only libdeflate's.

const skip = await ensureFastGzip();
const dir = mkdtempSync(join(tmpdir(), 'wharf-native-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function build(args: string[]) {
  return spawnSync(process.execPath, ['native/build.js', ...args], {
    encoding: 'utf8',
    env: { ...process.env, WHARF_NATIVE_INCLUDE_DIRS: dir },
  });
}

describe.skipIf(skip !== undefined)('native/build.js', () => {
  mkdirSync(dir, { recursive: true });
  symlinkSync('/usr/include/libdeflate.h', join(dir, 'libdeflate.h'));

  it('builds fast-gzip when libmodsecurity is missing, skips modsecurity with the install command, exit 0', () => {
    const r = build([]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('fast-gzip.node');
    expect(r.stderr).toContain(
      'modsecurity: modsecurity/modsecurity.h not found; apt-get install -y libmodsecurity-dev',
    );
  });

  it('--require makes the missing library an error; --only builds the one named', () => {
    expect(build(['--require']).status).toBe(1);
    const only = build(['--require', '--only=fast-gzip']);
    expect(only.status).toBe(0);
    expect(only.stderr).toBe('');
  });
});
