import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { BasicAuth } from '../../config/middlewares/basic-auth.ts';
import { until } from '../../test/helpers/backends.ts';
import { fakeRequest, runMiddleware } from '../../test/helpers/middleware.ts';
import { systemClock } from '../clock.ts';
import type { MiddlewareContext, MiddlewareRuntime } from '../middleware.ts';
import { requestState } from '../request-state.ts';
import { basicAuth, parseBasicCredentials } from './basic-auth.ts';
import { CredentialChecker } from './credential-checker.ts';

// htpasswd -nbB -C 4 alice secret ; htpasswd -nbs bob hunter2
const ALICE = 'alice:$2y$04$Fah5im48xOVZ62A1Yz5nn.cBUBw44AsqD/ny3LfiZGShAqa/hLIlu';
const BOB = 'bob:{SHA}87u9ZqY9S/F0eUBXjsPQEDUw4h0=';
const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

const logLines: Array<{ level: number; msg: string }> = [];
function ctx(): MiddlewareContext {
  return {
    name: 'auth@file',
    router: undefined,
    resolve: () => {
      throw new Error('no references');
    },
    logger: pino({ level: 'debug', base: undefined }, { write: (l: string) => logLines.push(JSON.parse(l)) }),
    clock: systemClock,
  };
}

const runtimes: MiddlewareRuntime[] = [];
function build(options: BasicAuth): MiddlewareRuntime {
  const r = basicAuth.create(options, ctx());
  runtimes.push(r);
  return r;
}
afterEach(async () => {
  for (const r of runtimes.splice(0)) await r.close?.();
  logLines.length = 0;
});

describe('parseBasicCredentials (as Go Request.BasicAuth)', () => {
  it.each([
    ['Basic YWxpY2U6c2VjcmV0', { user: 'alice', password: 'secret' }],
    ['basic YWxpY2U6c2VjcmV0', { user: 'alice', password: 'secret' }],
    ['BASIC YWxpY2U6c2VjcmV0', { user: 'alice', password: 'secret' }],
    ['Basic YWxpY2U6czpl', { user: 'alice', password: 's:e' }],
    ['Basic OnB3', { user: '', password: 'pw' }],
    ['Basic YWxpY2U6', { user: 'alice', password: '' }],
    ['Basic cMOkc3M6d8O2cmQ=', { user: 'päss', password: 'wörd' }],
    ['Basic YWxpY2U=', undefined], // no colon
    ['Basic  YWxpY2U6c2VjcmV0', undefined], // two spaces: not base64
    ['Basic YWxpY2U6c2VjcmV0===', undefined],
    ['Basic YWxpY2U6c2VjcmV', undefined], // length not a multiple of 4
    ['Basic YWxp*2U6c2VjcmV0', undefined],
    ['Basic /w==', undefined], // not UTF-8
    ['Bearer YWxpY2U6c2VjcmV0', undefined],
    ['Basic', undefined],
    [undefined, undefined],
  ])('%j', (header, expected) => {
    expect(parseBasicCredentials(header)).toEqual(expected);
  });
});

describe('basicAuth', () => {
  const challenge = {
    status: 401,
    headers: {
      'content-type': 'text/plain',
      'content-length': 17,
      'www-authenticate': 'Basic realm="traefik"',
    },
  };
  interface Case {
    name: string;
    options: BasicAuth;
    headers: Record<string, string>;
    response?: unknown;
    next?: Record<string, unknown>;
  }
  it.each<Case>([
    {
      name: 'no credentials: 401 with the challenge',
      options: { users: [ALICE] },
      headers: {},
      response: challenge,
    },
    {
      name: 'wrong password: 401',
      options: { users: [ALICE] },
      headers: { authorization: basic('alice', 'nope') },
      response: challenge,
    },
    {
      name: 'unknown user: 401',
      options: { users: [ALICE] },
      headers: { authorization: basic('mallory', 'secret') },
      response: challenge,
    },
    {
      name: 'another scheme: 401',
      options: { users: [ALICE] },
      headers: { authorization: 'Bearer abc' },
      response: challenge,
    },
    {
      name: 'a realm of its own, quotes escaped',
      options: { users: [ALICE], realm: 'my "zone"' },
      headers: {},
      response: {
        ...challenge,
        headers: { ...challenge.headers, 'www-authenticate': 'Basic realm="my \\"zone\\""' },
      },
    },
    {
      name: 'valid bcrypt credentials pass on, Authorization kept',
      options: { users: [ALICE, BOB] },
      headers: { authorization: basic('alice', 'secret') },
      next: { authorization: basic('alice', 'secret') },
    },
    {
      name: 'headerField replaces what the client sent; removeHeader drops Authorization',
      options: { users: [ALICE, BOB], headerField: 'X-WebAuth-User', removeHeader: true },
      headers: { authorization: basic('bob', 'hunter2'), 'x-webauth-user': 'admin' },
      next: { 'x-webauth-user': 'bob' },
    },
  ])('$name', async ({ options, headers, response, next }) => {
    const req = fakeRequest('/', { headers });
    const run = await runMiddleware(build(options).wrap, req);
    if (next) {
      expect(run.next?.headers).toEqual(next);
      expect(run.response.status).toBe(200);
    } else {
      expect(run.next).toBeUndefined();
      expect(run.response).toEqual(response);
    }
  });

  it('records the user the client gave for the access log, accepted or not (as Traefik)', async () => {
    const m = build({ users: [ALICE] }).wrap;
    const ok = fakeRequest('/', { headers: { authorization: basic('alice', 'secret') } });
    const bad = fakeRequest('/', { headers: { authorization: basic('eve', 'x') } });
    const none = fakeRequest('/');
    await runMiddleware(m, ok);
    await runMiddleware(m, bad);
    await runMiddleware(m, none);
    expect([ok, bad, none].map((r) => requestState(r).username)).toEqual(['alice', 'eve', undefined]);
    // issue 17: the ban middleware counts refusals through refusedBy.
    expect([ok, bad, none].map((r) => requestState(r).refusedBy)).toEqual([
      undefined,
      'basicAuth',
      'basicAuth',
    ]);
  });

  it.each([
    [{}, 'no users found in users'],
    [{ users: ['alice'] }, 'users[0]: expected name:hash (htpasswd format, one colon)'],
    [{ usersFile: '/nonexistent/wharf-users' }, 'cannot read usersFile /nonexistent/wharf-users'],
  ])('refuses %j: %s', (options, message) => {
    expect(() => basicAuth.create(options, ctx())).toThrow(message);
  });

  it('warns, without the hash, about users whose hash can never match', () => {
    build({ users: [ALICE, 'gina:plaintext', 'hal:$6$salt$hash'] });
    const warning = logLines.find((l) => l.level === 40);
    expect(warning?.msg).toContain('users gina, hal have a hash in a format');
    expect(warning?.msg).not.toContain('plaintext');
  });
});

describe('basicAuth usersFile', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });
  const status = async (m: MiddlewareRuntime, user: string, password: string) =>
    (await runMiddleware(m.wrap, fakeRequest('/', { headers: { authorization: basic(user, password) } })))
      .response.status;

  it('merges file and inline users (inline wins), follows changes, keeps the last good users on a bad file', async () => {
    dir = await mkdtemp(join(tmpdir(), 'wharf-basic-'));
    const file = join(dir, 'users');
    await writeFile(file, `# team\n${ALICE}\n${BOB}\n`);
    // bob inline with another password (htpasswd -nbs bob other) wins over the file's bob.
    const m = build({ usersFile: file, users: ['bob:{SHA}0JQeaNqPOBUf+Gph/Fn3xc+fyqI='] });
    expect([
      await status(m, 'alice', 'secret'),
      await status(m, 'bob', 'hunter2'),
      await status(m, 'bob', 'other'),
    ]).toEqual([200, 401, 200]);

    // An editor's save: a new file renamed over the old one. carol replaces alice.
    await writeFile(join(dir, 'users.tmp'), 'carol:{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ=\n');
    await rename(join(dir, 'users.tmp'), file);
    await until(() => logLines.some((l) => l.msg.includes('usersFile reloaded')), 'the users file reloaded');
    expect([await status(m, 'carol', 'secret'), await status(m, 'alice', 'secret')]).toEqual([200, 401]);

    // A bad line: logged with file and line, carol stays.
    await writeFile(file, 'carol:{SHA}x:y\n');
    await until(
      () => logLines.some((l) => l.level === 50 && l.msg.includes(`${file}:1`)),
      'the bad file logged',
    );
    expect(await status(m, 'carol', 'secret')).toBe(200);
    // Missing: logged, carol stays.
    await rm(file);
    await until(
      () => logLines.some((l) => l.level === 50 && l.msg.includes('cannot read usersFile')),
      'the missing file logged',
    );
    expect(await status(m, 'carol', 'secret')).toBe(200);
  });

  it('stops watching once closed', async () => {
    dir = await mkdtemp(join(tmpdir(), 'wharf-basic-'));
    const file = join(dir, 'users');
    await writeFile(file, `${ALICE}\n`);
    const m = basicAuth.create({ usersFile: file }, ctx());
    await m.close?.();
    await writeFile(file, `${BOB}\n`);
    // A second, open instance on the same folder sees the change: the closed one must not have.
    const other = build({ usersFile: file });
    await writeFile(file, `${BOB}\n# again\n`);
    await until(
      () => logLines.some((l) => l.msg.includes('usersFile reloaded')),
      'the open instance reloaded',
    );
    expect(logLines.filter((l) => l.msg.includes('usersFile reloaded'))).toHaveLength(1);
    expect(await status(other, 'bob', 'hunter2')).toBe(200);
  });
});

describe('CredentialChecker (the verification cache)', () => {
  const users = () => new Map([['alice', ALICE.slice(6)]]);

  it('computes bcrypt once for repeated good credentials, every time for bad ones', async () => {
    const c = new CredentialChecker(users());
    expect(await c.check('alice', 'secret')).toBe(true);
    expect(await c.check('alice', 'secret')).toBe(true);
    expect(await c.check('alice', 'wrong')).toBe(false);
    expect(await c.check('alice', 'wrong')).toBe(false);
    expect(await c.check('nobody', 'secret')).toBe(false);
    expect({ computed: c.computed, cached: c.cached }).toEqual({ computed: 4, cached: 1 });
  });

  it('shares one verification between concurrent checks of the same credentials', async () => {
    const c = new CredentialChecker(users());
    expect(await Promise.all([c.check('alice', 'secret'), c.check('alice', 'secret')])).toEqual([true, true]);
    expect(c.computed).toBe(1);
  });

  it('forgets everything when the users change', async () => {
    const c = new CredentialChecker(users());
    await c.check('alice', 'secret');
    c.setUsers(new Map([['alice', '{SHA}87u9ZqY9S/F0eUBXjsPQEDUw4h0=']]));
    expect(await c.check('alice', 'secret')).toBe(false);
    expect(await c.check('alice', 'hunter2')).toBe(true);
    expect(c.computed).toBe(3);
  });

  it('keeps at most its bound, dropping the least recently used', async () => {
    const many = new Map(Array.from({ length: 5 }, (_, i) => [`u${i}`, '{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ=']));
    const c = new CredentialChecker(many, 3);
    for (const u of ['u0', 'u1', 'u2']) await c.check(u, 'secret');
    await c.check('u0', 'secret'); // u0 used again: u1 is now the oldest
    await c.check('u3', 'secret');
    expect(c.cached).toBe(3);
    const before = c.computed;
    await c.check('u0', 'secret');
    expect(c.computed).toBe(before);
    await c.check('u1', 'secret');
    expect(c.computed).toBe(before + 1);
  });
});
