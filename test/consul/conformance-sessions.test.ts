// Session and lock conformance. In-process, TTL and lock-delay time is a fake clock pushed forward by
// `t.advance`; against a real Consul `advance` sleeps, and the TTL tests (20+ s each) run only with
// CONSUL_CONFORMANCE_SLOW=1.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  b64,
  call,
  createSession,
  type Entry,
  entry,
  get,
  openTarget,
  put,
  REAL,
  type Target,
  txn,
} from './harness.ts';

let t: Target;
let n = 0;
const k = (name: string): string => `${t.prefix}${++n}/${name}`;
const SKIP_TTL = REAL && process.env.CONSUL_CONFORMANCE_SLOW !== '1';

beforeAll(async () => {
  t = await openTarget();
});
afterAll(async () => {
  await t?.close();
});

interface SessionInfo {
  ID: string;
  Name: string;
  Node: string;
  LockDelay: number;
  Behavior: string;
  TTL: string;
  NodeChecks: string[];
  CreateIndex: number;
  ModifyIndex: number;
}

const info = async (id: string): Promise<SessionInfo[]> =>
  (await call(t, 'GET', `/v1/session/info/${id}`)).json<SessionInfo[]>();
const acquire = async (key: string, session: string, value = ''): Promise<string> =>
  (await put(t, key, value, { acquire: session })).text;

describe('Sessions', () => {
  it('create with Consul defaults, show up in info and list, and vanish on destroy', async () => {
    const id = await createSession(t, { Name: 'conformance' });
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    const [s] = await info(id);
    expect(s).toMatchObject({ ID: id, Name: 'conformance', Behavior: 'release', LockDelay: 15e9, TTL: '' });
    expect(s?.NodeChecks).toEqual(['serfHealth']);
    expect(s?.CreateIndex).toBe(s?.ModifyIndex);
    const list = await call(t, 'GET', '/v1/session/list');
    expect(list.index).toBeGreaterThanOrEqual(s?.CreateIndex ?? 0);
    expect(list.json<SessionInfo[]>().map((x) => x.ID)).toContain(id);
    expect((await call(t, 'PUT', `/v1/session/destroy/${id}`)).text).toBe('true');
    expect(await info(id)).toEqual([]);
    expect((await call(t, 'PUT', `/v1/session/destroy/${id}`)).text).toBe('true');
  });

  it('refuse a TTL outside 10s..86400s, an unparsable TTL and an unknown Behavior (500, as Consul)', async () => {
    const create = (body: object) => call(t, 'PUT', '/v1/session/create', { body: JSON.stringify(body) });
    const short = await create({ TTL: '5s' });
    expect(short.status).toBe(500);
    // toContain: a client agent forwards the RPC and prefixes "rpc error making call: ".
    expect(short.text).toContain("Invalid Session TTL '5000000000', must be between [10s=24h0m0s]");
    expect((await create({ TTL: '86401s' })).status).toBe(500);
    expect((await create({ TTL: 'soon' })).text).toContain("Session TTL 'soon' invalid");
    expect((await create({ Behavior: 'explode' })).text).toContain("Invalid Behavior setting 'explode'");
  });

  it('renew a live session (200 with the session) and 404 a destroyed one', async () => {
    const id = await createSession(t, { TTL: '10s' });
    const renewed = await call(t, 'PUT', `/v1/session/renew/${id}`);
    expect(renewed.status).toBe(200);
    expect(renewed.json<SessionInfo[]>()[0]).toMatchObject({ ID: id, TTL: '10s' });
    await call(t, 'PUT', `/v1/session/destroy/${id}`);
    const gone = await call(t, 'PUT', `/v1/session/renew/${id}`);
    expect(gone.status).toBe(404);
    expect(gone.text).toBe(`Session id '${id}' not found`);
  });

  it('lock with ?acquire / ?release: LockIndex counts acquisitions, Session names the holder', async () => {
    const key = k('lock');
    const s1 = await createSession(t);
    const s2 = await createSession(t);
    expect(await acquire(key, s1, 'v1')).toBe('true');
    expect(await entry(t, key)).toMatchObject({ LockIndex: 1, Session: s1, Value: b64('v1') });
    expect(await acquire(key, s2, 'stolen')).toBe('false');
    expect(await acquire(key, s1, 'v2')).toBe('true');
    expect(await entry(t, key)).toMatchObject({ LockIndex: 1, Session: s1, Value: b64('v2') });
    expect((await put(t, key, 'x', { release: s2 })).text).toBe('false');
    expect((await put(t, key, 'v3', { release: s1 })).text).toBe('true');
    const released = await entry(t, key);
    expect(released.Session).toBeUndefined();
    expect(released.LockIndex).toBe(1);
    expect(await acquire(key, s2, 'mine')).toBe('true');
    expect((await entry(t, key)).LockIndex).toBe(2);
  });

  it('keep locks advisory: a plain PUT writes a locked key, keeps Session and resets LockIndex', async () => {
    const key = k('advisory');
    const s1 = await createSession(t);
    await acquire(key, s1, 'held');
    expect((await put(t, key, 'plain')).text).toBe('true');
    expect(await entry(t, key)).toMatchObject({ Session: s1, LockIndex: 0, Value: b64('plain') });
  });

  it('answer ?acquire with an unknown session as an error, not false', async () => {
    const unknown = '11111111-2222-3333-4444-555555555555';
    const res = await put(t, k('x'), 'v', { acquire: unknown });
    expect(res.status).toBe(500);
    expect(res.text).toContain(`invalid session "${unknown}"`);
    expect((await put(t, k('y'), 'v', { acquire: 'not-a-uuid' })).status).toBe(500);
  });

  it('release held keys on destroy (ModifyIndex bumps) and enforce the lock-delay', async () => {
    const key = k('delay');
    const s1 = await createSession(t, { LockDelay: '1s' });
    const s2 = await createSession(t);
    await acquire(key, s1, 'v');
    const held = await entry(t, key);
    await call(t, 'PUT', `/v1/session/destroy/${s1}`);
    const after = await entry(t, key);
    expect(after.Session).toBeUndefined();
    expect(after.LockIndex).toBe(1);
    expect(after.Value).toBe(b64('v'));
    expect(after.ModifyIndex).toBeGreaterThan(held.ModifyIndex);
    expect(await acquire(key, s2)).toBe('false');
    await t.advance(1100);
    expect(await acquire(key, s2)).toBe('true');
  });

  it('delete held keys on destroy with Behavior "delete"', async () => {
    const key = k('ephemeral');
    const s = await createSession(t, { Behavior: 'delete', LockDelay: '0s' });
    await acquire(key, s, 'v');
    await call(t, 'PUT', `/v1/session/destroy/${s}`);
    expect((await get(t, key)).status).toBe(404);
  });

  it('lock, unlock and check-session inside transactions, with Consul wording', async () => {
    const key = k('txnlock');
    const s1 = await createSession(t, { LockDelay: '1s' });
    const s2 = await createSession(t);
    const locked = await txn(t, [{ Verb: 'lock', Key: key, Value: b64('L'), Session: s1 }]);
    expect(locked.status).toBe(200);
    expect(locked.json<{ Results: Array<{ KV: Entry }> }>().Results[0]?.KV).toMatchObject({
      LockIndex: 1,
      Session: s1,
    });
    const refused = await txn(t, [
      { Verb: 'lock', Key: key, Session: s2 },
      { Verb: 'check-session', Key: key, Session: s2 },
      { Verb: 'unlock', Key: key, Session: s2 },
    ]);
    expect(refused.status).toBe(409);
    expect(refused.json<{ Errors: Array<{ What: string }> }>().Errors.map((e) => e.What)).toEqual([
      `failed to lock key "${key}", lock is already held`,
      `failed session check for key "${key}", current session "${s1}" != "${s2}"`,
      `failed to unlock key "${key}", lock isn't held, or is held by another session`,
    ]);
    expect((await txn(t, [{ Verb: 'check-session', Key: key, Session: s1 }])).status).toBe(200);
    await call(t, 'PUT', `/v1/session/destroy/${s1}`);
    const delayed = await txn(t, [{ Verb: 'lock', Key: key, Session: s2 }]);
    expect(delayed.status).toBe(409);
    expect(delayed.json<{ Errors: Array<{ What: string }> }>().Errors[0]?.What).toBe(
      `failed to lock key "${key}" due to lock delay`,
    );
  });
});

// Against a real Consul, TTL expiry takes 2 x 10 s; run it with CONSUL_CONFORMANCE_SLOW=1.
describe.skipIf(SKIP_TTL)('Session TTL (Consul invalidates 2 x TTL after the last renewal)', () => {
  it('keeps a session past its TTL, invalidates it by 2 x TTL, releases its keys and wakes watchers', async () => {
    const key = k('ttl');
    const s = await createSession(t, { TTL: '10s', LockDelay: '0s' });
    await acquire(key, s, 'v');
    await t.advance(10_500);
    const held = await entry(t, key);
    expect(held.Session).toBe(s);
    const watcher = get(t, key, { index: held.ModifyIndex, wait: '30s' });
    await t.advance(10_000);
    // In-process, expiry is checked at every request; this one stands for "some time later".
    await call(t, 'GET', '/v1/status/leader');
    const woke = await watcher;
    expect(woke.json<Entry[]>()[0]?.Session).toBeUndefined();
    expect(await info(s)).toEqual([]);
  });

  it('pushes expiry out on renew', async () => {
    const s = await createSession(t, { TTL: '10s' });
    await t.advance(15_000);
    expect((await call(t, 'PUT', `/v1/session/renew/${s}`)).status).toBe(200);
    await t.advance(15_000);
    expect(await info(s)).toHaveLength(1);
    await t.advance(6_000);
    expect(await info(s)).toEqual([]);
    expect((await call(t, 'PUT', `/v1/session/renew/${s}`)).status).toBe(404);
  });
});
