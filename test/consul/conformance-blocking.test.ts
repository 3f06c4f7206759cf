// Blocking-query conformance (?index & ?wait). In-process the wait clock stands still until a test lets a
// query's wait run (harness.ts ManualWaitTimers), so "has not returned yet" and "timed out" are states, not
// durations; against a real Consul letWaitRun sleeps. Tests that run a wait out use a target of their own.
import { describe, expect, it } from 'vitest';
import {
  block,
  call,
  type Entry,
  entry,
  get,
  letWaitRun,
  openTarget,
  parked,
  put,
  REAL,
  stillWaiting,
  type Target,
  useTarget,
} from './harness.ts';

const { t, k } = useTarget();

/** A wait so long that a query answered within a test's timeout cannot have timed out. */
const FOREVER = '10m';

/** Runs `test` against a target of its own (closed after), so its parked query is the only one. */
async function withOwnTarget(test: (own: Target) => Promise<void>): Promise<void> {
  const own = await openTarget();
  try {
    await test(own);
  } finally {
    await own.close();
  }
}

describe.concurrent('Blocking queries', () => {
  it('return at once when the index is behind the current one', async ({ expect }) => {
    const key = k('behind');
    await put(t, key, 'v');
    const res = await get(t, key, { index: 1, wait: FOREVER });
    expect(res.status).toBe(200);
    expect(res.index).toBeGreaterThan(1);
  });

  it('wait out ?wait (plus at most wait/16 jitter) when nothing changes, with the same index', async ({
    expect,
  }) => {
    await withOwnTarget(async (own) => {
      const key = `${own.prefix}idle`;
      await put(own, key, 'v');
      const { ModifyIndex } = await entry(own, key);
      const q = block(own, key, { index: ModifyIndex, wait: '1s' });
      await parked(own);
      // In-process: the timeout it got is the wait plus at most wait/16.
      for (const left of own.waits?.pending() ?? [1000]) {
        expect(left).toBeGreaterThanOrEqual(1000);
        expect(left).toBeLessThanOrEqual(1000 + 1000 / 16);
      }
      await letWaitRun(own, q, 999);
      expect(stillWaiting(own, q)).toBe(true);
      await letWaitRun(own, q, 1000 + 1000 / 16 + 1);
      const res = await q.answer;
      expect(res.status).toBe(200);
      expect(res.index).toBe(ModifyIndex);
    });
  });

  it('wake a blocked reader when the key changes, with the new index', async ({ expect }) => {
    const key = k('wake');
    await put(t, key, 'one');
    const { ModifyIndex } = await entry(t, key);
    const pending = get(t, key, { index: ModifyIndex, wait: FOREVER });
    await put(t, key, 'two');
    const res = await pending;
    expect(res.index).toBeGreaterThan(ModifyIndex);
    expect(res.json<Entry[]>()[0]?.ModifyIndex).toBe(res.index);
  });

  it('ignore writes outside a watched prefix (index = newest entry or tombstone under it)', async ({
    expect,
  }) => {
    await withOwnTarget(async (own) => {
      const p = `${own.prefix}watched/`;
      await put(own, `${p}a`, 'v');
      const list = await get(own, p, { recurse: '' });
      const q = block(own, p, { recurse: '', index: list.index, wait: '1s' });
      await parked(own);
      await put(own, `${p.slice(0, -1)}-other`, 'v');
      await letWaitRun(own, q, 999);
      expect(stillWaiting(own, q)).toBe(true);
      await letWaitRun(own, q, 1000 + 1000 / 16 + 1);
      expect((await q.answer).index).toBe(list.index);
    });
  });

  it('wake a prefix watcher on delete, and never report a lower index afterwards', async ({ expect }) => {
    const p = k('del/');
    await put(t, `${p}a`, '1');
    await put(t, `${p}b`, '2');
    const list = await get(t, p, { recurse: '' });
    const pending = get(t, p, { recurse: '', index: list.index, wait: FOREVER });
    await call(t, 'DELETE', `/v1/kv/${p}b`);
    const res = await pending;
    expect(res.index).toBeGreaterThan(list.index);
    expect(res.json<Entry[]>().map((e) => e.Key)).toEqual([`${p}a`]);
    expect((await get(t, p, { recurse: '' })).index).toBe(res.index);
  });

  it('do not wake on an identical PUT (same value and flags)', async ({ expect }) => {
    await withOwnTarget(async (own) => {
      const key = `${own.prefix}same`;
      await put(own, key, 'v');
      const { ModifyIndex } = await entry(own, key);
      const q = block(own, key, { index: ModifyIndex, wait: '1s' });
      await parked(own);
      expect((await put(own, key, 'v')).text).toBe('true');
      await letWaitRun(own, q, 999);
      expect(stillWaiting(own, q)).toBe(true);
      await letWaitRun(own, q, 1000 + 1000 / 16 + 1);
      expect((await q.answer).index).toBe(ModifyIndex);
    });
  });

  it('block on ?keys listings too', async ({ expect }) => {
    const p = k('keys/');
    await put(t, `${p}a`);
    const list = await get(t, p, { keys: '' });
    const pending = get(t, p, { keys: '', index: list.index, wait: FOREVER });
    await put(t, `${p}b`);
    const res = await pending;
    expect(res.json()).toEqual([`${p}a`, `${p}b`]);
    expect(res.index).toBeGreaterThan(list.index);
  });

  it('refuse an unparsable ?wait or ?index with 400', async ({ expect }) => {
    const key = k('bad');
    const wait = await get(t, key, { index: 1, wait: '10' });
    expect(wait.status).toBe(400);
    expect(wait.text).toBe('Invalid wait time');
    const index = await get(t, key, { index: 'abc' });
    expect(index.status).toBe(400);
    expect(index.text).toBe('Invalid index');
  });

  // Needs the in-process server's wait options; a real Consul's defaults (5 m) are too slow for a test.
  it.skipIf(REAL)(
    'clamp ?wait to maxWaitMs and use defaultWaitMs without one (in-process options)',
    async ({ expect }) => {
      const local = await openTarget({ maxWaitMs: 300, defaultWaitMs: 200 });
      try {
        const key = `${local.prefix}k`;
        await put(local, key, 'v');
        const { ModifyIndex } = await entry(local, key);
        const before = local.server?.stats.blockingRequests ?? 0;
        // Each query's timeout as scheduled, then its wait run out and its answer (the same index).
        const timeoutOf = async (query: Record<string, string | number>) => {
          const q = block(local, key, { index: ModifyIndex, ...query });
          await parked(local);
          const [left] = local.waits?.pending() ?? [];
          await letWaitRun(local, q, 1_000);
          expect((await q.answer).index).toBe(ModifyIndex);
          return left ?? Number.NaN;
        };
        const clamped = await timeoutOf({ wait: '10m' });
        expect(clamped).toBeGreaterThanOrEqual(300);
        expect(clamped).toBeLessThanOrEqual(300 + 300 / 16);
        const defaulted = await timeoutOf({});
        expect(defaulted).toBeGreaterThanOrEqual(200);
        expect(defaulted).toBeLessThanOrEqual(200 + 200 / 16);
        const zero = await timeoutOf({ wait: '0s' });
        expect(zero).toBeGreaterThanOrEqual(200);
        expect(zero).toBeLessThanOrEqual(200 + 200 / 16);
        expect(local.server?.stats.blockingRequests).toBe(before + 3);
      } finally {
        await local.close();
      }
    },
  );
});

// Sequential: the whole-table index of a missing key moves with every write, so nothing else may run.
describe('Blocking queries on a missing key', () => {
  it('keep waiting on a missing key through unrelated writes, and return when it is created', async () => {
    const key = k('later');
    const missing = await get(t, key);
    expect(missing.status).toBe(404);
    const idle = block(t, key, { index: missing.index, wait: '1s' });
    await parked(t);
    await put(t, k('unrelated'), 'v');
    await letWaitRun(t, idle, 999);
    expect(stillWaiting(t, idle)).toBe(true);
    await letWaitRun(t, idle, 1000 + 1000 / 16 + 1);
    const timedOut = await idle.answer;
    expect(timedOut.status).toBe(404);
    expect(timedOut.index).toBeGreaterThan(missing.index);
    const pending = get(t, key, { index: timedOut.index, wait: FOREVER });
    await put(t, key, 'now');
    const res = await pending;
    expect(res.status).toBe(200);
  });
});
