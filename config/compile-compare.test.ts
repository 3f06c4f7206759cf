import { describe, expect, it } from 'vitest';
import { compileCompare } from './compile-compare.ts';
import type { ComparisonOperator } from './expression-parser.ts';

describe('compileCompare', () => {
  const cases: Array<[number, ComparisonOperator, number, boolean]> = [
    [2, '==', 2, true],
    [3, '==', 2, false],
    [2, '!=', 2, false],
    [3, '!=', 2, true],
    [1, '<', 2, true],
    [2, '<', 2, false],
    [2, '<=', 2, true],
    [3, '<=', 2, false],
    [3, '>', 2, true],
    [2, '>', 2, false],
    [2, '>=', 2, true],
    [1, '>=', 2, false],
    [0.30000000000000004, '>', 0.3, true],
    [-0, '==', 0, true],
    // A metric with no data yet (NaN) compares false except with !=, as in Go.
    [Number.NaN, '==', 0, false],
    [Number.NaN, '!=', 0, true],
    [Number.NaN, '<', 0, false],
    [Number.NaN, '<=', 0, false],
    [Number.NaN, '>', 0, false],
    [Number.NaN, '>=', 0, false],
  ];
  it.each(cases)('%s %s %s is %s', (left, operator, right, want) => {
    expect(compileCompare((n: number) => n, operator, right)(left)).toBe(want);
  });

  it('reads the context through get each time it runs', () => {
    const seen: string[] = [];
    const get = (c: { n: number; id: string }) => {
      seen.push(c.id);
      return c.n;
    };
    const over = compileCompare(get, '>', 1);
    expect([over({ n: 2, id: 'a' }), over({ n: 0, id: 'b' })]).toEqual([true, false]);
    expect(seen).toEqual(['a', 'b']);
  });
});
