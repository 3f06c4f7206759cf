import { describe, expect, it } from 'vitest';
import { SmoothWrr } from './smooth-wrr.ts';

function picks<T>(wrr: SmoothWrr<T>, n: number, isUp?: (t: T) => boolean): T[] {
  return Array.from({ length: n }, () => wrr.next(isUp) as T);
}

describe('SmoothWrr', () => {
  const cases: Array<{
    name: string;
    items: Array<{ item: string; weight: number }>;
    n: number;
    expected: string[];
  }> = [
    {
      name: 'equal weights rotate',
      items: [
        { item: 'a', weight: 1 },
        { item: 'b', weight: 1 },
        { item: 'c', weight: 1 },
      ],
      n: 6,
      expected: ['a', 'b', 'c', 'a', 'b', 'c'],
    },
    {
      name: 'nginx example 5:1:1 is spread out',
      items: [
        { item: 'a', weight: 5 },
        { item: 'b', weight: 1 },
        { item: 'c', weight: 1 },
      ],
      n: 7,
      expected: ['a', 'a', 'b', 'a', 'c', 'a', 'a'],
    },
    {
      name: 'zero weight is never picked',
      items: [
        { item: 'a', weight: 0 },
        { item: 'b', weight: 2 },
      ],
      n: 3,
      expected: ['b', 'b', 'b'],
    },
    {
      name: '3:1',
      items: [
        { item: 'x', weight: 3 },
        { item: 'y', weight: 1 },
      ],
      n: 8,
      expected: ['x', 'x', 'y', 'x', 'x', 'x', 'y', 'x'],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(picks(new SmoothWrr(c.items), c.n)).toEqual(c.expected);
    });
  }

  it('shares match weights over many picks', () => {
    const wrr = new SmoothWrr([
      { item: 'a', weight: 3 },
      { item: 'b', weight: 7 },
    ]);
    const counts = { a: 0, b: 0 };
    for (const p of picks(wrr, 1000)) counts[p as 'a' | 'b']++;
    expect(counts).toEqual({ a: 300, b: 700 });
  });

  it('skips items that are down and returns undefined when none is up', () => {
    const wrr = new SmoothWrr([
      { item: 'a', weight: 1 },
      { item: 'b', weight: 1 },
    ]);
    expect(picks(wrr, 3, (i) => i !== 'a')).toEqual(['b', 'b', 'b']);
    expect(wrr.next(() => false)).toBeUndefined();
    expect(new SmoothWrr<string>([]).next()).toBeUndefined();
  });
});
