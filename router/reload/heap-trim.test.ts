import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type GcFunction, HeapTrim } from './heap-trim.ts';

// Fake timers move Date.now() with them.
const MiB = 1048576;
const OPTS = { quietMs: 1000, minIntervalMs: 60_000, now: () => Date.now(), heapUsed: () => 50 * MiB };

describe('HeapTrim', () => {
  let calls: Array<Parameters<GcFunction>[0]>;
  const gc: GcFunction = (options) => {
    calls.push(options);
  };
  beforeEach(() => {
    calls = [];
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('collects once, at once, after the first swap, with a full synchronous collection', () => {
    const trim = new HeapTrim(gc, OPTS);
    trim.afterSwap();
    expect(calls).toEqual([]);
    vi.advanceTimersByTime(0);
    expect(calls).toEqual([{ type: 'major', execution: 'sync' }]);
    vi.advanceTimersByTime(120_000);
    expect(trim.collections).toBe(1);
  });

  it('collects a burst of later swaps once, after the quiet time and the minimum interval', () => {
    const trim = new HeapTrim(gc, OPTS);
    trim.afterSwap();
    vi.advanceTimersByTime(0);
    // Swaps every 500 ms for 70 s: no collection while they keep coming closer than the quiet time.
    for (let t = 0; t < 70_000; t += 500) {
      trim.afterSwap();
      vi.advanceTimersByTime(500);
    }
    expect(trim.collections).toBe(1);
    // The burst ends: one collection 1 s after its last swap (the minimum interval has passed).
    vi.advanceTimersByTime(499);
    expect(trim.collections).toBe(1);
    vi.advanceTimersByTime(1);
    expect(trim.collections).toBe(2);
    // A swap soon after waits for the minimum interval since that collection.
    trim.afterSwap();
    vi.advanceTimersByTime(58_000);
    expect(trim.collections).toBe(2);
    vi.advanceTimersByTime(2_000);
    expect(trim.collections).toBe(3);
  });

  it('a swap long after the last collection waits only the quiet time', () => {
    const trim = new HeapTrim(gc, OPTS);
    trim.afterSwap();
    vi.advanceTimersByTime(90_000);
    trim.afterSwap();
    vi.advanceTimersByTime(999);
    expect(trim.collections).toBe(1);
    vi.advanceTimersByTime(1);
    expect(trim.collections).toBe(2);
  });

  it('reports each collection: heap in use before and after, and its duration', () => {
    const seen: unknown[] = [];
    const trim = new HeapTrim(gc, { ...OPTS, onCollect: (c) => seen.push(c) });
    trim.afterSwap();
    vi.advanceTimersByTime(0);
    expect(seen).toEqual([
      { beforeMiB: expect.any(Number), afterMiB: expect.any(Number), ms: expect.any(Number) },
    ]);
  });

  it('forces no collection on a heap above maxHeapMiB (its pause would stop traffic for seconds)', () => {
    let heap = 300 * MiB;
    const trim = new HeapTrim(gc, { ...OPTS, maxHeapMiB: 256, heapUsed: () => heap });
    trim.afterSwap();
    vi.advanceTimersByTime(0);
    expect(calls).toEqual([]);
    expect([trim.collections, trim.skipped]).toEqual([0, 1]);
    heap = 200 * MiB;
    trim.afterSwap();
    vi.advanceTimersByTime(60_000);
    expect([trim.collections, trim.skipped]).toEqual([1, 1]);
  });

  it('stop() cancels a pending collection', () => {
    const trim = new HeapTrim(gc, OPTS);
    trim.afterSwap();
    trim.stop();
    vi.advanceTimersByTime(10_000);
    expect(calls).toEqual([]);
  });

  it('does nothing without gc (Node started without --expose-gc)', () => {
    const trim = new HeapTrim(null);
    trim.afterSwap();
    expect(vi.getTimerCount()).toBe(0);
    expect(trim.collections).toBe(0);
  });
});
