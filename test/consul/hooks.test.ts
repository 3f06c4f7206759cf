// ACL-token behaviour, the in-process test hooks (outage, snapshot restore, tombstone reaping, stats) and
// the standalone main.ts. ACL tests run against a real Consul only when CONSUL_HTTP_TOKEN is set too.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { call, type Entry, entry, get, openTarget, parked, put, REAL, type Target } from './harness.ts';

// Against a real Consul, ACLs can be checked only with a token (CONSUL_HTTP_TOKEN).
describe.skipIf(REAL && !process.env.CONSUL_HTTP_TOKEN)('ACL token', () => {
  let t: Target;
  beforeAll(async () => {
    t = await openTarget({ token: 'wharf-secret' });
    await put(t, `${t.prefix}acl/a`, 'v');
  });
  afterAll(async () => {
    await t?.close();
  });

  it('refuses requests without a token as the anonymous token: 403 "Permission denied…"', async () => {
    const res = await get(t, `${t.prefix}acl/a`, {});
    const anon = await call(t, 'GET', `/v1/kv/${t.prefix}acl/a`, { token: null });
    expect(res.status).toBe(200);
    expect(anon.status).toBe(403);
    expect(anon.text).toContain('Permission denied');
    const write = await call(t, 'PUT', `/v1/kv/${t.prefix}acl/b`, { token: null, body: 'v' });
    expect(write.status).toBe(403);
    expect(write.text).toContain('Permission denied');
  });

  it('refuses an unknown token with 403 "ACL not found"', async () => {
    const res = await call(t, 'GET', `/v1/kv/${t.prefix}acl/a`, { token: 'not-the-token' });
    expect(res.status).toBe(403);
    expect(res.text).toContain('ACL not found');
  });

  it('accepts the token as X-Consul-Token or Authorization: Bearer', async () => {
    const bearer = await call(t, 'GET', `/v1/kv/${t.prefix}acl/a`, {
      token: null,
      headers: { authorization: `Bearer ${t.token}` },
    });
    expect(bearer.status).toBe(200);
  });

  // A real Consul's anonymous token may be allowed to read: only the test server's deny-all can be asserted.
  it.skipIf(REAL)(
    'filters recursive reads for the anonymous token (404) instead of refusing them',
    async () => {
      const res = await call(t, 'GET', `/v1/kv/${t.prefix}acl/`, { token: null, query: { recurse: '' } });
      expect(res.status).toBe(404);
      expect(res.headers['x-consul-results-filtered-by-acls']).toBe('true');
    },
  );
});

// pause/resume/snapshot hooks exist only on the in-process test server.
describe.skipIf(REAL)('Test hooks', () => {
  let t: Target;
  beforeEach(async () => {
    t = await openTarget();
  });
  afterEach(async () => {
    await t?.close();
  });

  it('pause() refuses connections and drops blocked queries; resume() serves the same data', async () => {
    const key = `${t.prefix}k`;
    await put(t, key, 'kept');
    const { ModifyIndex } = await entry(t, key);
    const blocked = get(t, key, { index: ModifyIndex, wait: '30s' }).then(
      () => 'answered',
      (error: NodeJS.ErrnoException) => error.code ?? error.message,
    );
    await parked(t);
    t.server?.pause();
    expect(await blocked).not.toBe('answered');
    await expect(get(t, key)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await t.server?.resume();
    expect((await entry(t, key)).Value).toBe(Buffer.from('kept').toString('base64'));
  });

  it('restoreSnapshot() sends indexes backwards; blocked queries return at once with what they had', async () => {
    const p = `${t.prefix}r/`;
    await put(t, `${p}a`, 'old');
    const snapshot = t.server?.snapshot();
    await put(t, `${p}a`, 'new');
    const high = await get(t, p, { recurse: '' });
    const blocked = get(t, p, { recurse: '', index: high.index, wait: '30s' });
    await parked(t);
    if (snapshot) t.server?.restoreSnapshot(snapshot);
    // Its wait cannot run out (the wait clock stands still in-process): an answer means the restore released it.
    const returned = await blocked;
    expect(returned.index).toBe(high.index);
    const low = await get(t, p, { recurse: '' });
    expect(low.index).toBeLessThan(high.index);
    expect(low.json<Entry[]>()[0]?.Value).toBe(Buffer.from('old').toString('base64'));
    await put(t, `${p}b`, 'after');
    expect((await get(t, p, { recurse: '' })).index).toBeGreaterThan(high.index);
  });

  it('reapTombstones() lets a prefix index fall back once its newest key is deleted', async () => {
    const p = `${t.prefix}g/`;
    await put(t, `${p}a`, '1');
    await put(t, `${p}b`, '2');
    await call(t, 'DELETE', `/v1/kv/${p}b`);
    const withTombstone = await get(t, p, { recurse: '' });
    t.server?.reapTombstones();
    const reaped = await get(t, p, { recurse: '' });
    expect(reaped.index).toBeLessThan(withTombstone.index);
    expect(reaped.index).toBe((await entry(t, `${p}a`)).ModifyIndex);
  });

  it('counts requests and blocking requests in stats', async () => {
    // An index above 1, so the blocking GET below (index=1) returns at once.
    await put(t, `${t.prefix}stats`, 'v');
    const before = { ...t.server?.stats };
    await get(t, `${t.prefix}none`);
    await get(t, `${t.prefix}none`, { index: 1, wait: '1ms' });
    expect(t.server?.stats.requests).toBe((before.requests ?? 0) + 2);
    expect(t.server?.stats.blockingRequests).toBe((before.blockingRequests ?? 0) + 1);
  });
});

describe('main.ts', () => {
  it('prints its URL, serves the API and exits 0 on SIGTERM', async () => {
    const main = fileURLToPath(new URL('./main.ts', import.meta.url));
    const child = spawn(process.execPath, [main, '--port', '0', '--token', 't0k'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      let out = '';
      while (!out.includes('\n')) out += String(((await once(child.stdout, 'data')) as [Buffer])[0]);
      const url = /^listening on (http:\/\/127\.0\.0\.1:\d+)\n/.exec(out)?.[1];
      expect(url).toBeDefined();
      const base = {
        real: false,
        url: url ?? '',
        token: 't0k',
        prefix: '',
        server: undefined,
        waits: undefined,
        sessions: [],
      };
      const target: Target = { ...base, advance: async () => {}, close: async () => {} };
      expect((await call(target, 'PUT', '/v1/kv/main', { body: 'v' })).text).toBe('true');
      expect((await call(target, 'GET', '/v1/kv/main', { token: 'wrong' })).status).toBe(403);
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      expect((await exited)[0]).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
