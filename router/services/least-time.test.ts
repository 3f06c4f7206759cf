import { describe, expect, it } from 'vitest';
import { LeastTime, SAMPLE_SIZE, ServerTimes } from './least-time.ts';

function times(samples: number[], inFlight = 0): ServerTimes {
  const t = new ServerTimes();
  for (const s of samples) t.record(s);
  t.inFlight = inFlight;
  return t;
}

describe('ServerTimes', () => {
  it.each([
    { name: 'no sample is 0 (a new server is tried first)', samples: [], average: 0 },
    { name: 'whole milliseconds, truncated as Go does', samples: [1.9, 2.2], average: 1.5 },
    { name: 'mean of the samples', samples: [10, 20, 30], average: 20 },
  ])('$name', ({ samples, average }) => {
    expect(times(samples).average()).toBe(average);
  });

  it(`keeps the last ${SAMPLE_SIZE} samples`, () => {
    const t = times(Array.from({ length: SAMPLE_SIZE }, () => 100));
    expect(t.average()).toBe(100);
    for (let i = 0; i < SAMPLE_SIZE; i++) t.record(0);
    expect(t.average()).toBe(0);
    t.record(50);
    expect(t.average()).toBe(0.5);
  });
});

describe('LeastTime', () => {
  const cases: Array<{
    name: string;
    servers: Array<{ item: string; weight: number; samples: number[]; inFlight?: number }>;
    up?: string[];
    expected: Array<string | undefined>;
  }> = [
    { name: 'no server', servers: [], expected: [undefined] },
    {
      name: 'the fastest server wins',
      servers: [
        { item: 'slow', weight: 1, samples: [50] },
        { item: 'fast', weight: 1, samples: [10] },
      ],
      expected: ['fast', 'fast'],
    },
    {
      name: 'in-flight requests multiply the time: 10 × (1+5) > 50 × 1',
      servers: [
        { item: 'slow', weight: 1, samples: [50] },
        { item: 'fast', weight: 1, samples: [10], inFlight: 5 },
      ],
      expected: ['slow'],
    },
    {
      name: 'weight divides the score: 30 / 3 < 20 / 1',
      servers: [
        { item: 'a', weight: 1, samples: [20] },
        { item: 'b', weight: 3, samples: [30] },
      ],
      expected: ['b'],
    },
    {
      // Traefik staggers first deadlines (1, 2, 3) and keeps the first of equal deadlines.
      name: 'equal scores take turns (earliest deadline first, as Traefik)',
      servers: [
        { item: 'a', weight: 1, samples: [] },
        { item: 'b', weight: 1, samples: [] },
        { item: 'c', weight: 1, samples: [] },
      ],
      expected: ['a', 'a', 'b', 'a', 'b', 'c', 'a', 'b', 'c'],
    },
    {
      name: 'equal scores take turns by weight',
      servers: [
        { item: 'a', weight: 2, samples: [] },
        { item: 'b', weight: 1, samples: [] },
      ],
      expected: ['a', 'a', 'a', 'b', 'a', 'a', 'b', 'a', 'a', 'b'],
    },
    {
      name: 'weight 0 is left out',
      servers: [
        { item: 'a', weight: 0, samples: [] },
        { item: 'b', weight: 1, samples: [90] },
      ],
      expected: ['b'],
    },
    {
      name: 'servers that are down are skipped',
      servers: [
        { item: 'a', weight: 1, samples: [1] },
        { item: 'b', weight: 1, samples: [90] },
      ],
      up: ['b'],
      expected: ['b'],
    },
  ];
  it.each(cases)('$name', ({ servers, up, expected }) => {
    const lt = new LeastTime(
      servers.map((s) => ({ item: s.item, weight: s.weight, times: times(s.samples, s.inFlight) })),
    );
    const isUp = up ? (s: string) => up.includes(s) : undefined;
    expect(expected.map(() => lt.next(isUp))).toEqual(expected);
  });
});
