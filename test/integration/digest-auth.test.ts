import { createHash } from 'node:crypto';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestResponse } from '../../middleware/digest-auth/digest-auth.ts';
import { parseDigestParams } from '../../middleware/digest-auth/digest-params.ts';
import { type Backend, type Echo, startEchoServer } from '../helpers/backends.ts';
import { get, startWharf, type TestWharf } from '../helpers/wharf.ts';

// digestAuth through a running router, as a browser does it: a 401 with a nonce, then the answer to it with
// rising nonce counts; a replay refused; a usersFile change taking effect without a reload.

const md5 = (s: string) => createHash('md5').update(s).digest('hex');
const line = (user: string, realm: string, password: string) =>
  `${user}:${realm}:${md5(`${user}:${realm}:${password}`)}`;

/** Polls an asynchronous condition, one attempt at a time, until it holds or the deadline passes. */
async function eventually(condition: () => Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

let echo: Backend;
let w: TestWharf;
let usersFile: string;

beforeAll(async () => {
  echo = await startEchoServer();
  w = await startWharf({});
  usersFile = join(w.dir, 'htdigest');
  await writeFile(usersFile, `${line('alice', 'traefik', 'secret')}\n`);
  await w.reload({
    http: {
      routers: { app: { rule: 'Host(`digest.test`)', service: 'echo', middlewares: ['auth'] } },
      middlewares: { auth: { digestAuth: { usersFile, headerField: 'X-WebAuth-User' } } },
      services: { echo: { loadBalancer: { servers: [{ url: echo.url }] } } },
    },
  });
});

afterAll(async () => {
  await w?.stop();
  await echo?.close();
});

/** A client that answered one challenge: it sends requests with rising nonce counts. */
async function login(user: string, password: string, path = '/page?x=1') {
  const challenge = await get(w.web, path, 'digest.test');
  const p = parseDigestParams(String(challenge.headers['www-authenticate'])) as Map<string, string>;
  let count = 0;
  const header = (nc: number) => {
    const fields = {
      nonce: p.get('nonce') ?? '',
      nc: nc.toString(16).padStart(8, '0'),
      cnonce: 'abc123',
      qop: 'auth',
      uri: path,
    };
    const response = digestResponse({
      ...fields,
      method: 'GET',
      ha1: md5(`${user}:${p.get('realm')}:${password}`),
    });
    return `Digest username="${user}", realm="${p.get('realm')}", nonce="${fields.nonce}", uri="${path}", algorithm=MD5, qop=auth, nc=${fields.nc}, cnonce="abc123", response="${response}", opaque="${p.get('opaque')}"`;
  };
  return {
    challenge,
    next: () => get(w.web, path, 'digest.test', { authorization: header(++count) }),
    again: () => get(w.web, path, 'digest.test', { authorization: header(count) }),
  };
}

describe('digestAuth through the router', () => {
  it('challenges, then lets the answer through with rising counts, and refuses a replay', async () => {
    const client = await login('alice', 'secret');
    expect(client.challenge.status).toBe(401);
    expect(client.challenge.headers['www-authenticate']).toMatch(
      /^Digest realm="traefik", nonce="[^"]+", opaque="[^"]+", algorithm="MD5", qop="auth"$/,
    );
    const first = await client.next();
    expect(first.status).toBe(200);
    expect((JSON.parse(first.text) as Echo).headers['x-webauth-user']).toBe('alice');
    expect((await client.next()).status).toBe(200);
    expect((await client.again()).status).toBe(401);
  });

  it('keeps its nonces across a reload that does not change it (the instance is reused)', async () => {
    const client = await login('alice', 'secret');
    expect((await client.next()).status).toBe(200);
    await w.reload({
      http: {
        routers: {
          app: { rule: 'Host(`digest.test`)', service: 'echo', middlewares: ['auth'] },
          other: { rule: 'Host(`other.test`)', service: 'echo' },
        },
        middlewares: { auth: { digestAuth: { usersFile, headerField: 'X-WebAuth-User' } } },
        services: { echo: { loadBalancer: { servers: [{ url: echo.url }] } } },
      },
    });
    expect((await client.next()).status).toBe(200);
  });

  it('refuses a wrong password', async () => {
    expect((await (await login('alice', 'nope')).next()).status).toBe(401);
  });

  it('takes a changed usersFile into account without a reload', async () => {
    const reloads = w.wharf.reloader.reloads;
    await writeFile(`${usersFile}.new`, `${line('bob', 'traefik', 'hunter2')}\n`);
    await rename(`${usersFile}.new`, usersFile);
    await eventually(
      async () => (await (await login('bob', 'hunter2')).next()).status === 200,
      'bob logging in',
    );
    expect((await (await login('alice', 'secret')).next()).status).toBe(401);
    expect(w.wharf.reloader.reloads).toBe(reloads);
  });
});
