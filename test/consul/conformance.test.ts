// Consul KV conformance: reads, writes, deletes and the HTTP surface. Runs against the in-process test
// server, or against a real Consul when CONSUL_HTTP_ADDR is set (see README.md).
import { describe, expect, it } from 'vitest';
import { b64, call, type Entry, entry, get, put, REAL, useTarget } from './harness.ts';
import { startConsulTestServer } from './server.ts';

const { t, k } = useTarget();

describe('KV read', () => {
  it('answers a missing key with 404, no body, and X-Consul-Index / leader headers', async () => {
    const res = await get(t, k('missing'));
    expect(res.status).toBe(404);
    expect(res.text).toBe('');
    expect(res.index).toBeGreaterThanOrEqual(1);
    expect(res.headers['x-consul-knownleader']).toBe('true');
    expect(res.headers['x-consul-lastcontact']).toBe('0');
  });

  it('returns entries in Consul shape, with X-Consul-Index = ModifyIndex and null for an empty value', async () => {
    const key = k('a');
    expect((await put(t, key, 'hello')).text).toBe('true');
    const res = await get(t, key);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json');
    const [e] = res.json<Entry[]>();
    expect(Object.keys(e ?? {})).toEqual([
      'LockIndex',
      'Key',
      'Flags',
      'Value',
      'CreateIndex',
      'ModifyIndex',
    ]);
    expect(e).toMatchObject({ LockIndex: 0, Key: key, Flags: 0, Value: b64('hello') });
    expect(e?.CreateIndex).toBe(e?.ModifyIndex);
    expect(res.index).toBe(e?.ModifyIndex);
    await put(t, `${key}-empty`, '');
    expect((await entry(t, `${key}-empty`)).Value).toBeNull();
  });

  it('serves ?raw as the bare bytes with text/plain', async () => {
    const key = k('raw');
    const bytes = Buffer.from([0, 1, 2, 250, 255]);
    await put(t, key, bytes);
    const res = await get(t, key, { raw: '' });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain');
    expect(res.bytes.equals(bytes)).toBe(true);
    expect(res.index).toBeGreaterThan(0);
    expect((await get(t, `${key}-none`, { raw: '' })).status).toBe(404);
  });

  it('lists a prefix with ?recurse in key order; an empty prefix is 404 with an index', async () => {
    const p = k('tree/');
    for (const name of ['b', 'a/x', 'a', 'c']) await put(t, `${p}${name}`, name);
    await put(t, `${p.slice(0, -1)}-sibling`, 'outside');
    const res = await get(t, p, { recurse: '' });
    expect(res.status).toBe(200);
    const keys = res.json<Entry[]>().map((e) => e.Key);
    expect(keys).toEqual(['a', 'a/x', 'b', 'c'].map((x) => `${p}${x}`));
    expect(res.index).toBe(Math.max(...res.json<Entry[]>().map((e) => e.ModifyIndex)));
    const empty = await get(t, k('nothing/'), { recurse: '' });
    expect(empty.status).toBe(404);
    expect(empty.index).toBeGreaterThanOrEqual(1);
  });

  it('lists key names with ?keys and folds them at ?separator (also the old "seperator" spelling)', async () => {
    const p = k('web/');
    for (const name of ['bar', 'foo', 'subdir/x', 'subdir/y']) await put(t, `${p}${name}`);
    expect((await get(t, p, { keys: '' })).json()).toEqual(
      ['bar', 'foo', 'subdir/x', 'subdir/y'].map((x) => p + x),
    );
    const folded = await get(t, p, { keys: '', separator: '/' });
    expect(folded.json()).toEqual([`${p}bar`, `${p}foo`, `${p}subdir/`]);
    expect((await get(t, p, { keys: '', seperator: '/' })).json()).toEqual(folded.json());
    expect((await get(t, k('none/'), { keys: '' })).status).toBe(404);
  });

  // A real Consul's store is not empty: only the in-process server can show the empty-store answer.
  it.skipIf(REAL)('answers root ?keys on an empty store with [] (not 404)', async () => {
    const fresh = await startConsulTestServer();
    try {
      const res = await call({ ...t, url: fresh.url }, 'GET', '/v1/kv/', { query: { keys: '' } });
      expect(res.status).toBe(200);
      expect(res.json()).toEqual([]);
      expect(res.index).toBe(1);
    } finally {
      await fresh.close();
    }
  });

  it('refuses GET without a key and without ?recurse: 400 "Missing key name"', async () => {
    const res = await call(t, 'GET', '/v1/kv/');
    expect(res.status).toBe(400);
    expect(res.text).toBe('Missing key name');
  });

  it('accepts ?consistent and ?stale, but not both', async () => {
    const key = k('c');
    await put(t, key, 'v');
    expect((await get(t, key, { consistent: '' })).status).toBe(200);
    expect((await get(t, key, { stale: '' })).status).toBe(200);
    const both = await get(t, key, { stale: '', consistent: '' });
    expect(both.status).toBe(400);
    expect(both.text).toBe('Cannot specify ?stale with ?consistent, conflicting semantics.');
  });
});

describe('KV write', () => {
  it('stores ?flags as an exact uint64 and answers a plain PUT with true', async () => {
    const key = k('flags');
    expect((await put(t, key, 'v', { flags: '18446744073709551615' })).text).toBe('true');
    expect((await get(t, key)).text).toContain('"Flags":18446744073709551615');
  });

  it('honours ?cas: 0 creates only once, N must equal the current ModifyIndex', async () => {
    const key = k('cas');
    expect((await put(t, key, 'one', { cas: 0 })).text).toBe('true');
    expect((await put(t, key, 'two', { cas: 0 })).text).toBe('false');
    const { ModifyIndex } = await entry(t, key);
    expect((await put(t, key, 'three', { cas: ModifyIndex + 1000 })).text).toBe('false');
    expect((await put(t, key, 'four', { cas: ModifyIndex })).text).toBe('true');
    expect((await entry(t, key)).Value).toBe(b64('four'));
    expect((await put(t, k('cas-missing'), 'x', { cas: ModifyIndex })).text).toBe('false');
  });

  it('rejects conflicting ?cas / ?acquire / ?release with 400 "Conflicting flags"', async () => {
    const res = await put(t, k('conflict'), 'v', { cas: 0, release: 'x' });
    expect(res.status).toBe(400);
    expect(res.text).toMatch(/^Conflicting flags: cas=0&release=x/);
  });

  it('does not bump ModifyIndex for an identical value and flags, but does for a flags change', async () => {
    const key = k('same');
    await put(t, key, 'v', { flags: 7 });
    const before = await entry(t, key);
    expect((await put(t, key, 'v', { flags: 7 })).text).toBe('true');
    expect((await entry(t, key)).ModifyIndex).toBe(before.ModifyIndex);
    await put(t, key, 'v', { flags: 8 });
    expect((await entry(t, key)).ModifyIndex).toBeGreaterThan(before.ModifyIndex);
  });

  it('refuses a body over 512 KiB with 413', async () => {
    const res = await put(t, k('big'), Buffer.alloc(512 * 1024 + 1, 1));
    expect(res.status).toBe(413);
    expect(res.text).toContain('too large, max size: 524288 bytes');
    expect((await put(t, k('max'), Buffer.alloc(512 * 1024, 1))).status).toBe(200);
  });

  it('answers unparsable ?flags / ?cas with the strconv error (Consul returns these as 500)', async () => {
    const flags = await put(t, k('bad'), 'v', { flags: 'x' });
    expect(flags.status).toBe(500);
    expect(flags.text).toContain('strconv.ParseUint: parsing "x": invalid syntax');
    expect((await put(t, k('bad'), 'v', { cas: '-1' })).status).toBe(500);
  });

  it('refuses PUT without a key: 400 "Missing key name"', async () => {
    const res = await call(t, 'PUT', '/v1/kv/', { body: 'v' });
    expect(res.status).toBe(400);
    expect(res.text).toBe('Missing key name');
  });
});

describe('KV delete', () => {
  it('deletes a key (true), and a missing key is also true', async () => {
    const key = k('d');
    await put(t, key, 'v');
    expect((await call(t, 'DELETE', `/v1/kv/${key}`)).text).toBe('true');
    expect((await get(t, key)).status).toBe(404);
    expect((await call(t, 'DELETE', `/v1/kv/${key}`)).text).toBe('true');
  });

  it('deletes a whole prefix with ?recurse and nothing beside it', async () => {
    const p = k('tree/');
    await put(t, `${p}a`);
    await put(t, `${p}b/c`);
    await put(t, `${p.slice(0, -1)}x`);
    expect((await call(t, 'DELETE', `/v1/kv/${p}`, { query: { recurse: '' } })).text).toBe('true');
    expect((await get(t, p, { recurse: '' })).status).toBe(404);
    expect((await get(t, `${p.slice(0, -1)}x`)).status).toBe(200);
  });

  it('honours ?cas: mismatch false, match true, missing key true, cas=0 never deletes', async () => {
    const key = k('dcas');
    await put(t, key, 'v');
    const { ModifyIndex } = await entry(t, key);
    expect((await call(t, 'DELETE', `/v1/kv/${key}`, { query: { cas: 0 } })).text).toBe('false');
    expect((await call(t, 'DELETE', `/v1/kv/${key}`, { query: { cas: ModifyIndex + 5 } })).text).toBe(
      'false',
    );
    expect((await call(t, 'DELETE', `/v1/kv/${key}`, { query: { cas: ModifyIndex } })).text).toBe('true');
    expect((await get(t, key)).status).toBe(404);
    expect((await call(t, 'DELETE', `/v1/kv/${key}`, { query: { cas: 12345 } })).text).toBe('true');
  });

  it('rejects ?recurse with ?cas: 400 "Conflicting flags"', async () => {
    const res = await call(t, 'DELETE', `/v1/kv/${k('x')}`, { query: { recurse: '', cas: 1 } });
    expect(res.status).toBe(400);
    expect(res.text).toMatch(/^Conflicting flags: /);
  });

  it('keeps a tombstone so a prefix index never slides back after deleting its newest key', async () => {
    const p = k('tomb/');
    await put(t, `${p}a`, '1');
    await put(t, `${p}b`, '2');
    await call(t, 'DELETE', `/v1/kv/${p}b`);
    const after = await get(t, p, { recurse: '' });
    const newest = Math.max(...after.json<Entry[]>().map((e) => e.ModifyIndex));
    expect(after.index).toBeGreaterThan(newest);
    const missing = await get(t, `${p}b`);
    expect(missing.status).toBe(404);
    expect(missing.index).toBeGreaterThanOrEqual(after.index);
  });
});

describe('HTTP surface', () => {
  it('answers unknown endpoints with 404 and wrong methods with 405 + Allow', async () => {
    expect((await call(t, 'GET', '/v1/nope')).status).toBe(404);
    const res = await call(t, 'POST', `/v1/kv/${k('m')}`);
    expect(res.status).toBe(405);
    expect(res.headers.allow).toContain('PUT');
    expect((await call(t, 'GET', '/v1/txn')).status).toBe(405);
  });

  it('answers an unknown datacenter with 500 "No path to datacenter"', async () => {
    const res = await get(t, k('dc'), { dc: 'nowhere-dc' });
    expect(res.status).toBe(500);
    expect(res.text).toContain('No path to datacenter');
  });
});
