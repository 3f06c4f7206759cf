import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

/**
 * Registers one test per golden file (`*.json`) in `dir`. Each file holds its input and `expected`;
 * `run` computes the actual output from the file. With UPDATE_GOLDEN=1 the files' `expected` is rewritten
 * instead (review the diff). `minCases` guards against a folder that lost its files.
 */
export function goldenFiles<G extends { expected: unknown }>(
  dir: string,
  minCases: number,
  run: (golden: G) => NonNullable<G['expected']>,
): void {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort();
  it('has cases', () => {
    expect(files.length).toBeGreaterThanOrEqual(minCases);
  });
  for (const file of files) {
    it(file.replace(/\.json$/, ''), () => {
      const path = join(dir, file);
      const golden = JSON.parse(readFileSync(path, 'utf8')) as G;
      const actual = run(golden);
      if (process.env.UPDATE_GOLDEN === '1') {
        writeFileSync(path, `${JSON.stringify({ ...golden, expected: actual }, null, 2)}\n`);
        return;
      }
      expect(golden.expected, `${file} has no expected output; run with UPDATE_GOLDEN=1`).not.toBeNull();
      expect(actual).toEqual(golden.expected);
    });
  }
}
