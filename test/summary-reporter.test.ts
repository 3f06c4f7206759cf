import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REQUIRE_ALL } from './summary-reporter.ts';

// The summary reporter's WHARF_REQUIRE_ALL check, on a real vitest run of a fixture project: a skipped test
// makes the run's exit code non-zero only when the variable is set.

const VITEST = join(import.meta.dirname, '../node_modules/vitest/vitest.mjs');
const CONFIG = join(import.meta.dirname, 'fixtures/require-all/vitest.config.ts');

function runFixture(env: Record<string, string>): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, [VITEST, 'run', '--config', CONFIG], {
    env: { PATH: process.env.PATH ?? '', CI: '1', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, out: r.stdout + r.stderr };
}

describe(`${REQUIRE_ALL}`, () => {
  it.each<{ name: string; env: Record<string, string>; status: number; skipped: number }>([
    { name: 'a skip without the variable passes', env: { FIXTURE_SKIP: '1' }, status: 0, skipped: 1 },
    {
      name: 'a skip with the variable fails',
      env: { FIXTURE_SKIP: '1', [REQUIRE_ALL]: '1' },
      status: 1,
      skipped: 1,
    },
    { name: 'no skip with the variable passes', env: { [REQUIRE_ALL]: '1' }, status: 0, skipped: 0 },
  ])(
    '$name',
    ({ env, status, skipped }) => {
      const r = runFixture(env);
      expect(r.out).toContain(`Tests: ${2 - skipped} passed, 0 failed, ${skipped} skipped`);
      expect(r.status, r.out).toBe(status);
      if (status === 1) {
        expect(r.out).toContain(`${REQUIRE_ALL}=1: 1 test(s) did not run, so this run FAILS`);
        expect(r.out).toContain('sample.check.ts: needs a tool that may be missing');
      } else {
        expect(r.out).not.toContain('so this run FAILS');
      }
    },
    60_000,
  );
});
