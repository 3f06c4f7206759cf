import { describe, expect, it } from 'vitest';
import { TokenBuckets } from './token-buckets.ts';

const NO_WAIT = 0;

describe('TokenBuckets (golang.org/x/time/rate semantics per source)', () => {
  // Each step: advance the clock by `at` ms since the start, take for `source`, expect the wait (ns).
  const cases: Array<{
    name: string;
    rate: number;
    burst: number;
    maxDelayNs: number;
    steps: Array<[at: number, source: string, wait: number]>;
  }> = [
    {
      name: 'burst 1 at 10/s: the second at once waits 100ms; refused requests take nothing',
      rate: 10,
      burst: 1,
      maxDelayNs: 50e6,
      steps: [
        [0, 'a', 0],
        [0, 'a', 100e6],
        [0, 'a', 100e6],
        [100, 'a', 0],
      ],
    },
    {
      name: 'a wait within maxDelay takes the token in advance',
      rate: 10,
      burst: 1,
      maxDelayNs: 50e6,
      steps: [
        [0, 'a', 0],
        [75, 'a', 25e6],
        [75, 'a', 125e6],
        [200, 'a', 0],
      ],
    },
    {
      name: 'burst 3: three at once, the fourth waits a full token',
      rate: 1,
      burst: 3,
      maxDelayNs: 500e6,
      steps: [
        [0, 'a', 0],
        [0, 'a', 0],
        [0, 'a', 0],
        [0, 'a', 1e9],
        [1000, 'a', 0],
        [1000, 'a', 1e9],
      ],
    },
    {
      name: 'refill stops at burst',
      rate: 1,
      burst: 2,
      maxDelayNs: 500e6,
      steps: [
        [0, 'a', 0],
        [10_000, 'a', 0],
        [10_000, 'a', 0],
        [10_000, 'a', 1e9],
      ],
    },
    {
      name: 'sources are independent',
      rate: 1,
      burst: 1,
      maxDelayNs: 500e6,
      steps: [
        [0, 'a', 0],
        [0, 'b', 0],
        [0, '', 0],
        [0, 'a', 1e9],
        [0, '', 1e9],
      ],
    },
    {
      name: 'below one per second (6 per minute): 10s per token',
      rate: 0.1,
      burst: 1,
      maxDelayNs: 500e6,
      steps: [
        [0, 'a', 0],
        [0, 'a', 10e9],
        [9_600, 'a', 400e6],
        [9_600, 'a', 10.4e9],
      ],
    },
    {
      name: 'a clock going backwards counts as no time (Go advance)',
      rate: 1,
      burst: 1,
      maxDelayNs: 500e6,
      steps: [
        [5_000, 'a', 0],
        [1_000, 'a', 1e9],
      ],
    },
  ];
  it.each(cases)('$name', ({ rate, burst, maxDelayNs, steps }) => {
    const b = new TokenBuckets(rate, burst);
    for (const [at, source, wait] of steps)
      expect([at, source, b.take(source, at, maxDelayNs)]).toEqual([at, source, wait]);
  });

  it('drops the least recently used source when full: it starts with a full bucket again', () => {
    const b = new TokenBuckets(1, 1, 2);
    expect(b.take('a', 0, 0)).toBe(NO_WAIT);
    expect(b.take('b', 0, 0)).toBe(NO_WAIT);
    expect(b.take('a', 0, 0)).toBe(1e9); // a is now the most recently used
    expect(b.take('c', 0, 0)).toBe(NO_WAIT); // b dropped
    expect(b.size).toBe(2);
    expect(b.take('a', 0, 0)).toBe(1e9); // a kept its empty bucket
    expect(b.take('b', 0, 0)).toBe(NO_WAIT); // b forgotten: full again
  });

  it('forgets a source once its bucket has refilled, so idle sources free their memory', () => {
    const b = new TokenBuckets(1, 2);
    b.take('a', 0, 0);
    b.take('a', 0, 0);
    b.take('b', 1_000, 0);
    expect(b.size).toBe(2);
    b.take('c', 1_500, 0); // a has 1.5 of 2 tokens: kept
    expect(b.size).toBe(3);
    b.take('d', 2_000, 0); // a is full again: dropped
    expect(b.size).toBe(3);
    expect(b.take('a', 2_000, 0)).toBe(NO_WAIT);
    expect(b.take('a', 2_000, 0)).toBe(NO_WAIT);
  });

  it('stays within its capacity for two million sources', () => {
    const b = new TokenBuckets(1, 1, 10_000);
    for (let i = 0; i < 2_000_000; i++) b.take(`s${i}`, 0, 0);
    expect(b.size).toBe(10_000);
    // The most recent sources are the ones kept.
    expect(b.take('s1999999', 0, 0)).toBe(1e9);
    expect(b.take('s0', 0, 0)).toBe(NO_WAIT);
  });
});
