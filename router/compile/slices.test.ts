import { describe, expect, it } from 'vitest';
import { runSliced, runSync, type Steps, Superseded, sortSteps } from './slices.ts';

describe('sortSteps', () => {
  // Pairs [key, original position]: a stable sort keeps equal keys in their original order.
  const input = (n: number, keys: number) =>
    Array.from({ length: n }, (_, i) => [(i * 7919) % keys, i] as const);
  const byKey = (a: readonly [number, number], b: readonly [number, number]) => a[0] - b[0];

  it.each([
    ['empty', 0, 1],
    ['one', 1, 1],
    ['sorted at once (at the threshold)', 16_384, 100],
    ['chunked (just above it)', 16_385, 100],
    ['chunked, odd number of runs', 50_001, 1000],
    ['chunked, all keys equal', 20_000, 1],
  ])('%s: the same order as a stable native sort', (_name, n, keys) => {
    const items = input(n, keys).slice();
    const expected = input(n, keys).slice().sort(byKey);
    const sorted = runSync(sortSteps(items, byKey));
    expect(sorted).toBe(items);
    expect(sorted).toEqual(expected);
  });

  it('pauses while sorting a long list', () => {
    const steps = sortSteps(input(50_000, 1000).slice(), byKey);
    let pauses = 0;
    while (!steps.next().done) pauses++;
    expect(pauses).toBeGreaterThan(10);
  });
});

describe('runSliced', () => {
  function* counting(log: string[], n: number): Steps<number> {
    try {
      for (let i = 0; i < n; i++) {
        log.push(`step ${i}`);
        yield;
      }
      return n;
    } catch (err) {
      log.push('cleanup');
      throw err;
    }
  }

  it('runs work shorter than a slice before returning its promise', async () => {
    const log: string[] = [];
    const stats = { slices: 0, longestMs: 0 };
    const done = runSliced(counting(log, 3), { sliceMs: 60_000, stats });
    expect(log).toEqual(['step 0', 'step 1', 'step 2']);
    expect(stats.slices).toBe(1);
    expect(await done).toBe(3);
  });

  it('with sliceMs 0 hands the event loop back at every pause', async () => {
    const log: string[] = [];
    const stats = { slices: 0, longestMs: 0 };
    setImmediate(() => log.push('event loop'));
    const done = runSliced(counting(log, 3), { sliceMs: 0, stats });
    expect(await done).toBe(3);
    expect(log).toEqual(['step 0', 'event loop', 'step 1', 'step 2']);
    expect(stats.slices).toBe(4);
  });

  it('throws Superseded into the steps when superseded, after their cleanup ran', async () => {
    const log: string[] = [];
    let superseded = false;
    const done = runSliced(counting(log, 100), { sliceMs: 0, superseded: () => superseded });
    superseded = true;
    await expect(done).rejects.toBeInstanceOf(Superseded);
    expect(log).toEqual(['step 0', 'cleanup']);
  });
});
