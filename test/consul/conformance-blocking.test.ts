// Blocking-query conformance (?index & ?wait). Tests run concurrently: each waits about a second.
import { describe, expect, it } from 'vitest';
import { call, type Entry, entry, get, openTarget, parked, put, REAL, useTarget } from './harness.ts';

const { t, k } = useTarget();

/** wait=1s plus Consul's jitter (up to wait/16) plus scheduling slack. */
const WAITED = { min: 950, max: 1000 + 1000 / 16 + 1500 };

describe.concurrent('Blocking queries', () => {
  it('return at once when the index is behind the current one', async ({ expect }) => {
    const key = k('behind');
    await put(t, key, 'v');
    const res = await get(t, key, { index: 1, wait: '5s' });
    expect(res.status).toBe(200);
    expect(res.ms).toBeLessThan(1000);
  });

  it('wait out ?wait (plus at most wait/16 jitter) when nothing changes, with the same index', async ({
    expect,
  }) => {
    const key = k('idle');
    await put(t, key, 'v');
    const { ModifyIndex } = await entry(t, key);
    const res = await get(t, key, { index: ModifyIndex, wait: '1s' });
    expect(res.status).toBe(200);
    expect(res.index).toBe(ModifyIndex);
    expect(res.ms).toBeGreaterThanOrEqual(WAITED.min);
    expect(res.ms).toBeLessThan(WAITED.max);
  });

  it('wake a blocked reader when the key changes, with the new index', async ({ expect }) => {
    const key = k('wake');
    await put(t, key, 'one');
    const { ModifyIndex } = await entry(t, key);
    const pending = get(t, key, { index: ModifyIndex, wait: '5s' });
    await put(t, key, 'two');
    const res = await pending;
    expect(res.index).toBeGreaterThan(ModifyIndex);
    expect(res.json<Entry[]>()[0]?.ModifyIndex).toBe(res.index);
    expect(res.ms).toBeLessThan(4000);
  });

  it('ignore writes outside a watched prefix (index = newest entry or tombstone under it)', async ({
    expect,
  }) => {
    const p = k('watched/');
    await put(t, `${p}a`, 'v');
    const list = await get(t, p, { recurse: '' });
    const pending = get(t, p, { recurse: '', index: list.index, wait: '1s' });
    await put(t, `${p.slice(0, -1)}-other`, 'v');
    const res = await pending;
    expect(res.index).toBe(list.index);
    expect(res.ms).toBeGreaterThanOrEqual(WAITED.min);
  });

  it('wake a prefix watcher on delete, and never report a lower index afterwards', async ({ expect }) => {
    const p = k('del/');
    await put(t, `${p}a`, '1');
    await put(t, `${p}b`, '2');
    const list = await get(t, p, { recurse: '' });
    const pending = get(t, p, { recurse: '', index: list.index, wait: '5s' });
    await call(t, 'DELETE', `/v1/kv/${p}b`);
    const res = await pending;
    expect(res.index).toBeGreaterThan(list.index);
    expect(res.json<Entry[]>().map((e) => e.Key)).toEqual([`${p}a`]);
    expect((await get(t, p, { recurse: '' })).index).toBe(res.index);
  });

  it('do not wake on an identical PUT (same value and flags)', async ({ expect }) => {
    const key = k('same');
    await put(t, key, 'v');
    const { ModifyIndex } = await entry(t, key);
    const pending = get(t, key, { index: ModifyIndex, wait: '1s' });
    expect((await put(t, key, 'v')).text).toBe('true');
    const res = await pending;
    expect(res.index).toBe(ModifyIndex);
    expect(res.ms).toBeGreaterThanOrEqual(WAITED.min);
  });

  it('block on ?keys listings too', async ({ expect }) => {
    const p = k('keys/');
    await put(t, `${p}a`);
    const list = await get(t, p, { keys: '' });
    const pending = get(t, p, { keys: '', index: list.index, wait: '5s' });
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
        const clamped = await get(local, key, { index: ModifyIndex, wait: '10m' });
        expect(clamped.ms).toBeGreaterThanOrEqual(280);
        expect(clamped.ms).toBeLessThan(300 + 300 / 16 + 800);
        const defaulted = await get(local, key, { index: ModifyIndex });
        expect(defaulted.ms).toBeGreaterThanOrEqual(180);
        expect(defaulted.ms).toBeLessThan(200 + 200 / 16 + 800);
        const zero = await get(local, key, { index: ModifyIndex, wait: '0s' });
        expect(zero.ms).toBeGreaterThanOrEqual(180);
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
    const idle = get(t, key, { index: missing.index, wait: '1s' });
    await parked(t);
    await put(t, k('unrelated'), 'v');
    const timedOut = await idle;
    expect(timedOut.status).toBe(404);
    expect(timedOut.ms).toBeGreaterThanOrEqual(WAITED.min);
    expect(timedOut.index).toBeGreaterThan(missing.index);
    const pending = get(t, key, { index: timedOut.index, wait: '5s' });
    await put(t, key, 'now');
    const res = await pending;
    expect(res.status).toBe(200);
    expect(res.ms).toBeLessThan(4000);
  });
});
