import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/log.ts';
import { fakeRequest, runMiddleware } from '../../test/helpers/middleware.ts';
import type { Clock } from '../clock.ts';
import type { MiddlewareRuntime } from '../middleware.ts';
import { requestState } from '../request-state.ts';
import { digestAuth, digestResponse } from './digest-auth.ts';
import { parseDigestParams } from './digest-params.ts';
import { NONCE_LIFETIME_MS, NonceStore } from './nonces.ts';

const md5 = (s: string) => createHash('md5').update(s).digest('hex');

/** A clock tests move by hand. */
function manualClock(): Clock & { advance(ms: number): void } {
  let now = 1_700_000_000_000;
  return {
    now: () => now,
    setTimeout: () => ({ cancel: () => {} }),
    advance: (ms) => {
      now += ms;
    },
  };
}

describe('digestResponse', () => {
  it('gives the RFC 2617 §3.5 example response', () => {
    expect(
      digestResponse({
        ha1: md5('Mufasa:testrealm@host.com:Circle Of Life'),
        method: 'GET',
        uri: '/dir/index.html',
        nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093',
        nc: '00000001',
        cnonce: '0a4f113b',
        qop: 'auth',
      }),
    ).toBe('6629fae49393a05397450978507c4ef1');
  });
  it('HA1 of the htdigest line matches MD5(user:realm:password)', () => {
    // printf 'alice:traefik:secret' | md5sum
    expect(md5('alice:traefik:secret')).toBe('e66182e4199fd90e2499700ddd5c3e17');
  });
});

describe('parseDigestParams', () => {
  it.each([
    [
      'Digest username="Mufasa", realm="testrealm@host.com", nonce="dcd98b", uri="/dir/index.html", qop=auth, nc=00000001, cnonce="0a4f113b", response="6629fa", opaque="5ccc"',
      {
        username: 'Mufasa',
        realm: 'testrealm@host.com',
        nonce: 'dcd98b',
        uri: '/dir/index.html',
        qop: 'auth',
        nc: '00000001',
        cnonce: '0a4f113b',
        response: '6629fa',
        opaque: '5ccc',
      },
    ],
    ['Digest uri="/a,b", USERNAME="x"', { uri: '/a,b', username: 'x' }],
    ['Digest username="a\\"b\\\\c"', { username: 'a"b\\c' }],
    ['digest   username=x ,, nc=1', { username: 'x', nc: '1' }],
    ['Digest flag, empty=', { flag: '', empty: '' }],
    ['Basic YWxpY2U6c2VjcmV0', undefined],
    ['Digest', undefined],
    [undefined, undefined],
  ])('%j', (header, expected) => {
    const p = parseDigestParams(header);
    expect(p && Object.fromEntries(p)).toEqual(expected);
  });
});

describe('NonceStore', () => {
  it.each<{ name: string; steps: Array<[string, number] | ['advance', number]>; expected: string[] }>([
    {
      name: 'counts must rise',
      steps: [
        ['a', 1],
        ['a', 2],
        ['a', 5],
      ],
      expected: ['ok', 'ok', 'ok'],
    },
    {
      name: 'the same count is a replay',
      steps: [
        ['a', 1],
        ['a', 1],
      ],
      expected: ['ok', 'replay'],
    },
    {
      name: 'count 0 cannot be replayed either',
      steps: [
        ['a', 0],
        ['a', 0],
      ],
      expected: ['ok', 'replay'],
    },
    {
      name: 'a lower count is stale (overtaken request)',
      steps: [
        ['a', 3],
        ['a', 2],
      ],
      expected: ['ok', 'stale'],
    },
    {
      name: 'expired after its lifetime, used or not',
      steps: [
        ['a', 1],
        ['advance', NONCE_LIFETIME_MS + 1],
        ['a', 2],
        ['b', 1],
      ],
      expected: ['ok', 'stale', 'stale'],
    },
    {
      name: 'alive until its lifetime',
      steps: [
        ['advance', NONCE_LIFETIME_MS],
        ['a', 1],
      ],
      expected: ['ok'],
    },
  ])('$name', ({ steps, expected }) => {
    const clock = manualClock();
    const store = new NonceStore(clock);
    const nonces: Record<string, string> = { a: store.issue(), b: store.issue() };
    const got: string[] = [];
    for (const [what, n] of steps) {
      if (what === 'advance') clock.advance(n);
      else got.push(store.use(nonces[what] as string, BigInt(n)));
    }
    expect(got).toEqual(expected);
  });

  it('refuses nonces it did not sign', () => {
    const clock = manualClock();
    const store = new NonceStore(clock);
    const other = new NonceStore(clock).issue();
    const mine = store.issue();
    const tampered = `${mine.slice(0, -2)}${mine.endsWith('AA') ? 'BA' : 'AA'}`;
    expect(
      [other, tampered, 'dcd98b7102dd2f0e8b11d0f600bfb0c093', '', 'a/b'].map((n) => store.use(n, 1n)),
    ).toEqual(['unknown', 'unknown', 'unknown', 'unknown', 'unknown']);
  });

  it('tracks at most its bound; a dropped nonce is stale from then on, never usable again', () => {
    const clock = manualClock();
    const store = new NonceStore(clock, NONCE_LIFETIME_MS, 2);
    const n1 = store.issue();
    clock.advance(1);
    const n2 = store.issue();
    clock.advance(1);
    const n3 = store.issue();
    expect([store.use(n1, 1n), store.use(n2, 1n), store.use(n3, 1n)]).toEqual(['ok', 'ok', 'ok']);
    expect(store.tracked).toBe(2);
    // n1 was dropped: replaying its first request must not pass as a first use.
    expect(store.use(n1, 1n)).toBe('stale');
    expect(store.use(n2, 1n)).toBe('replay');
  });

  it('issuing takes no memory: only authenticated uses are tracked', () => {
    const store = new NonceStore(manualClock());
    for (let i = 0; i < 1000; i++) store.issue();
    expect(store.tracked).toBe(0);
  });
});

describe('digestAuth', () => {
  const HA1 = md5('alice:traefik:secret');
  function setup(options: Parameters<typeof digestAuth.create>[0] = { users: [`alice:traefik:${HA1}`] }) {
    const clock = manualClock();
    const runtime: MiddlewareRuntime = digestAuth.create(options, {
      name: 'd@file',
      router: undefined,
      resolve: () => {
        throw new Error('none');
      },
      logger: silentLogger(),
      clock,
    });
    return { clock, m: runtime.wrap };
  }
  const challengeOf = async (m: MiddlewareRuntime['wrap'], url = '/') => {
    const run = await runMiddleware(m, fakeRequest(url));
    const header = String(run.response.headers['www-authenticate']);
    return { run, header, params: parseDigestParams(header) as Map<string, string> };
  };
  const authorization = (
    p: Map<string, string>,
    o: { user?: string; ha1?: string; nc?: string; uri?: string; method?: string; opaque?: string } = {},
  ) => {
    const fields = {
      username: o.user ?? 'alice',
      realm: p.get('realm') ?? '',
      nonce: p.get('nonce') ?? '',
      uri: o.uri ?? '/',
      qop: 'auth',
      nc: o.nc ?? '00000001',
      cnonce: 'c0ffee',
      opaque: o.opaque ?? p.get('opaque') ?? '',
    };
    const response = digestResponse({ ...fields, ha1: o.ha1 ?? HA1, method: o.method ?? 'GET' });
    return `Digest username="${fields.username}", realm="${fields.realm}", nonce="${fields.nonce}", uri="${fields.uri}", qop=auth, nc=${fields.nc}, cnonce="${fields.cnonce}", response="${response}", opaque="${fields.opaque}", algorithm=MD5`;
  };
  const send = (m: MiddlewareRuntime['wrap'], header: string, url = '/', method = 'GET') => {
    const req = fakeRequest(url, { method, headers: { authorization: header } });
    return runMiddleware(m, req).then((run) => ({ run, req }));
  };

  it("challenges with Traefik's header and body", async () => {
    const { run, header } = await challengeOf(setup().m);
    expect(run.response.status).toBe(401);
    expect(run.response.headers['content-type']).toBe('text/plain');
    expect(header).toMatch(
      /^Digest realm="traefik", nonce="[A-Za-z0-9_-]+", opaque="[A-Za-z0-9+/=]+", algorithm="MD5", qop="auth"$/,
    );
  });

  it('lets the right response through, with the user recorded and forwarded', async () => {
    const { m } = setup({ users: [`alice:traefik:${HA1}`], headerField: 'X-User', removeHeader: true });
    const { params } = await challengeOf(m);
    const { run, req } = await send(m, authorization(params));
    expect(run.next?.headers).toEqual({ 'x-user': 'alice' });
    expect(requestState(req).username).toBe('alice');
  });

  it.each<{ name: string; o: Parameters<typeof authorization>[1]; url?: string; method?: string }>([
    { name: 'wrong password', o: { ha1: md5('alice:traefik:wrong') } },
    {
      name: 'unknown user answering with an empty HA1 (accepted by go-http-auth)',
      o: { user: 'mallory', ha1: '' },
    },
    { name: 'user of another realm', o: { user: 'bob', ha1: md5('bob:other:secret') } },
    { name: 'another opaque', o: { opaque: 'x' } },
    { name: 'uri of another request', o: { uri: '/other' }, url: '/' },
    { name: 'uri a prefix of the request (go-http-auth accepts it)', o: { uri: '/a' }, url: '/a/b' },
    { name: 'response made for another method', o: { method: 'POST' } },
    { name: 'nc not hex', o: { nc: 'zz' } },
  ])('401 without stale: $name', async ({ o, url, method }) => {
    const { m } = setup({ users: [`alice:traefik:${HA1}`, `bob:other:${md5('bob:other:secret')}`] });
    const { params } = await challengeOf(m);
    const { run, req } = await send(
      m,
      authorization(params, { uri: url ?? '/', ...o }),
      url ?? '/',
      method ?? 'GET',
    );
    expect(run.next).toBeUndefined();
    expect(run.response.status).toBe(401);
    expect(String(run.response.headers['www-authenticate'])).not.toContain('stale');
    expect(requestState(req).refusedBy).toBe('digestAuth');
  });

  it('refuses a replayed request, and says stale for an expired nonce so the client retries silently', async () => {
    const { m, clock } = setup();
    const { params } = await challengeOf(m);
    const first = authorization(params);
    expect((await send(m, first)).run.response.status).toBe(200);
    const replay = (await send(m, first)).run.response;
    expect([replay.status, String(replay.headers['www-authenticate']).includes('stale')]).toEqual([
      401,
      false,
    ]);
    expect((await send(m, authorization(params, { nc: '00000002' }))).run.response.status).toBe(200);
    clock.advance(NONCE_LIFETIME_MS + 1);
    const sent = await send(m, authorization(params, { nc: '00000003' }));
    const expired = sent.run.response;
    expect(expired.status).toBe(401);
    // A stale nonce is no wrong password: the ban middleware does not count it (issue 17).
    expect(requestState(sent.req).refusedBy).toBeUndefined();
    const renewed = parseDigestParams(String(expired.headers['www-authenticate'])) as Map<string, string>;
    expect(renewed.get('stale')).toBe('true');
    expect(renewed.get('nonce')).not.toBe(params.get('nonce'));
    expect((await send(m, authorization(renewed))).run.response.status).toBe(200);
  });

  it('uses the configured realm for the challenge and the users', async () => {
    const ha1 = md5('alice:Private Zone:pw');
    const { m } = setup({ users: [`alice:Private Zone:${ha1}`], realm: 'Private Zone' });
    const { params, header } = await challengeOf(m);
    expect(header).toContain('Digest realm="Private Zone"');
    expect((await send(m, authorization(params, { ha1 }))).run.response.status).toBe(200);
  });

  it('accepts the uri as sent when a middleware before rewrote the path', async () => {
    const { m } = setup();
    const { params } = await challengeOf(m);
    const req = fakeRequest('/api/x', {
      headers: { authorization: authorization(params, { uri: '/api/x' }) },
    });
    req.url = '/x';
    expect((await runMiddleware(m, req)).response.status).toBe(200);
  });
});
