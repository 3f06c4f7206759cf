// Transaction conformance: PUT /v1/txn with KV operations.
import { describe, expect, it } from 'vitest';
import { b64, call, type Entry, entry, get, put, txn, useTarget } from './harness.ts';

const { t, k } = useTarget();

interface TxnBody {
  Results: Array<{ KV: Entry }> | null;
  Errors: Array<{ OpIndex: number; What: string }> | null;
}

describe('Transactions', () => {
  it('apply all writes at ONE index and answer 200 {Results:[{KV}], Errors:null} without values', async () => {
    const a = k('a');
    const b = k('b');
    const res = await txn(t, [
      { Verb: 'set', Key: a, Value: b64('1'), Flags: 3 },
      { Verb: 'set', Key: b, Value: b64('2') },
    ]);
    expect(res.status).toBe(200);
    const body = res.json<TxnBody>();
    expect(body.Errors).toBeNull();
    expect(body.Results).toHaveLength(2);
    const [ra, rb] = (body.Results ?? []).map((r) => r.KV);
    expect(ra).toMatchObject({ Key: a, Flags: 3, Value: null, LockIndex: 0 });
    expect(ra?.ModifyIndex).toBe(rb?.ModifyIndex);
    expect((await entry(t, a)).ModifyIndex).toBe(ra?.ModifyIndex);
    expect((await entry(t, b)).Value).toBe(b64('2'));
  });

  it('roll back everything on a failure: 409, Results null, one error per failing operation', async () => {
    const a = k('a');
    await put(t, a, 'old');
    const { ModifyIndex } = await entry(t, a);
    const missing = k('missing');
    const created = k('new');
    const res = await txn(t, [
      { Verb: 'set', Key: created, Value: b64('x') },
      { Verb: 'cas', Key: a, Value: b64('y'), Index: ModifyIndex + 100 },
      { Verb: 'check-not-exists', Key: a },
      { Verb: 'get', Key: missing },
    ]);
    expect(res.status).toBe(409);
    const body = res.json<TxnBody>();
    expect(body.Results).toBeNull();
    expect(body.Errors).toEqual([
      { OpIndex: 1, What: `failed to set key "${a}", index is stale` },
      { OpIndex: 2, What: `key "${a}" exists` },
      { OpIndex: 3, What: `key "${missing}" doesn't exist` },
    ]);
    expect((await entry(t, a)).Value).toBe(b64('old'));
    expect((await get(t, created)).status).toBe(404);
  });

  it('return values for get and get-tree, none for check verbs, and no result for deletes', async () => {
    const p = k('tree/');
    await put(t, `${p}x`, 'X');
    await put(t, `${p}y`, 'Y');
    const x = await entry(t, `${p}x`);
    const res = await txn(t, [
      { Verb: 'get', Key: `${p}x` },
      { Verb: 'get-tree', Key: p },
      { Verb: 'check-index', Key: `${p}x`, Index: x.ModifyIndex },
      { Verb: 'check-not-exists', Key: `${p}z` },
      { Verb: 'delete', Key: `${p}y` },
      { Verb: 'delete-cas', Key: `${p}x`, Index: x.ModifyIndex },
      { Verb: 'delete-tree', Key: `${p}nothing/` },
    ]);
    expect(res.status).toBe(200);
    const kv = (res.json<TxnBody>().Results ?? []).map((r) => r.KV);
    expect(kv.map((e) => [e.Key, e.Value])).toEqual([
      [`${p}x`, b64('X')],
      [`${p}x`, b64('X')],
      [`${p}y`, b64('Y')],
      [`${p}x`, null],
    ]);
    expect((await get(t, p, { recurse: '' })).status).toBe(404);
  });

  it('word check-index, delete-cas and unknown verbs as Consul does', async () => {
    const a = k('a');
    await put(t, a, 'v');
    const { ModifyIndex } = await entry(t, a);
    const none = k('none');
    const res = await txn(t, [
      { Verb: 'check-index', Key: a, Index: ModifyIndex + 1 },
      { Verb: 'check-index', Key: none },
      { Verb: 'delete-cas', Key: a, Index: ModifyIndex + 1 },
      { Verb: 'frobnicate', Key: a },
    ]);
    expect(res.status).toBe(409);
    expect(res.json<TxnBody>().Errors?.map((e) => e.What)).toEqual([
      `failed index check for key "${a}", current modify index ${ModifyIndex} != ${ModifyIndex + 1}`,
      `failed to check index, key "${none}" doesn't exist`,
      `failed to delete key "${a}", index is stale`,
      'unknown KV verb "frobnicate"',
    ]);
  });

  it('fail a read-only txn whose get finds nothing (409), and serve one that succeeds', async () => {
    const a = k('a');
    await put(t, a, 'v');
    const bad = await txn(t, [{ Verb: 'get', Key: k('nope') }], { stale: '' });
    expect(bad.status).toBe(409);
    expect(bad.json<TxnBody>().Results).toBeNull();
    const ok = await txn(t, [{ Verb: 'get', Key: a }]);
    expect(ok.status).toBe(200);
    expect(ok.headers['x-consul-knownleader']).toBe('true');
    expect(ok.json<TxnBody>().Results?.[0]?.KV.Value).toBe(b64('v'));
  });

  it('report the existing ModifyIndex for an identical set, and the txn index for cas 0 creates', async () => {
    const a = k('a');
    await put(t, a, 'same');
    const before = await entry(t, a);
    const res = await txn(t, [
      { Verb: 'set', Key: a, Value: b64('same') },
      { Verb: 'cas', Key: k('fresh'), Value: b64('f'), Index: 0 },
    ]);
    const [same, fresh] = (res.json<TxnBody>().Results ?? []).map((r) => r.KV);
    expect(same?.ModifyIndex).toBe(before.ModifyIndex);
    expect(fresh?.ModifyIndex).toBeGreaterThan(before.ModifyIndex);
    expect((await entry(t, a)).ModifyIndex).toBe(before.ModifyIndex);
  });

  it("accept 128 operations and refuse 129 with 413 and Consul's message", async () => {
    const ops = Array.from({ length: 129 }, (_, i) => ({
      Verb: 'set',
      Key: `${t.prefix}many/${i}`,
      Value: b64('v'),
    }));
    const over = await txn(t, ops);
    expect(over.status).toBe(413);
    expect(over.text).toBe('Transaction contains too many operations (129 > 128)');
    expect((await txn(t, ops.slice(0, 128))).status).toBe(200);
  });

  it('refuse malformed JSON and bad base64 with 400', async () => {
    const json = await call(t, 'PUT', '/v1/txn', { body: '[{"KV":' });
    expect(json.status).toBe(400);
    expect(json.text).toMatch(/^Failed to parse body: /);
    const base64 = await txn(t, [{ Verb: 'set', Key: k('a'), Value: 'not base64!' }]);
    expect(base64.status).toBe(400);
    expect(base64.text).toContain('illegal base64 data at input byte');
  });

  it('fail ops without a key: "Must provide key"', async () => {
    const res = await txn(t, [{ Verb: 'set', Key: '', Value: b64('x') }]);
    expect(res.status).toBe(409);
    expect(res.json<TxnBody>().Errors).toEqual([{ OpIndex: 0, What: 'Must provide key' }]);
  });
});
