import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Backend, type Echo, startEchoServer } from '../helpers/backends.ts';
import { get, startWharf, type TestWharf } from '../helpers/wharf.ts';

// basicAuth through a running router: the challenge, credentials in each hash format, headerField and
// removeHeader as the backend sees them, the access log's user, and a usersFile change taking effect without
// a reload of the dynamic configuration.

// htpasswd -nbB -C 4 alice secret ; htpasswd -nbm carol secret ; htpasswd -nbs bob hunter2
const ALICE = 'alice:$2y$04$Fah5im48xOVZ62A1Yz5nn.cBUBw44AsqD/ny3LfiZGShAqa/hLIlu';
const CAROL = 'carol:$apr1$txDfCdrF$EoIhBAxbwthYp82/5rC130';
const BOB = 'bob:{SHA}87u9ZqY9S/F0eUBXjsPQEDUw4h0=';
const basic = (user: string, password: string) => ({
  authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
});

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
let accessLog: string;

beforeAll(async () => {
  echo = await startEchoServer();
  accessLog = join(process.env.TMPDIR ?? '/tmp', `wharf-basic-auth-${process.pid}-${Date.now()}.log`);
  w = await startWharf({}, { accessLog: { filePath: accessLog, format: 'common' } });
  usersFile = join(w.dir, 'htpasswd');
  await writeFile(usersFile, `# team\n${ALICE}\n${CAROL}\n`);
  await w.reload({
    http: {
      routers: {
        app: { rule: 'Host(`app.test`)', service: 'echo', middlewares: ['auth'] },
        inline: { rule: 'Host(`inline.test`)', service: 'echo', middlewares: ['inline'] },
      },
      middlewares: {
        auth: { basicAuth: { usersFile, headerField: 'X-WebAuth-User', removeHeader: true } },
        inline: { basicAuth: { users: [BOB], realm: 'Inline' } },
      },
      services: { echo: { loadBalancer: { servers: [{ url: echo.url }] } } },
    },
  });
});

afterAll(async () => {
  await w?.stop();
  await echo?.close();
  await rm(accessLog, { force: true });
});

describe('basicAuth through the router', () => {
  it('challenges a request without credentials as Traefik does', async () => {
    const res = await get(w.web, '/', 'app.test');
    expect({
      status: res.status,
      auth: res.headers['www-authenticate'],
      type: res.headers['content-type'],
      body: res.text,
    }).toEqual({
      status: 401,
      auth: 'Basic realm="traefik"',
      type: 'text/plain',
      body: '401 Unauthorized\n',
    });
    expect((await get(w.web, '/', 'inline.test')).headers['www-authenticate']).toBe('Basic realm="Inline"');
  });

  it.each([
    ['alice', 'secret', 200],
    ['carol', 'secret', 200],
    ['alice', 'wrong', 401],
    ['bob', 'hunter2', 401], // bob is inline.test's user only
  ])('%s / %s → %d', async (user, password, status) => {
    expect((await get(w.web, '/', 'app.test', basic(user, password))).status).toBe(status);
  });

  it('forwards the user in headerField and not the Authorization header', async () => {
    const res = await get(w.web, '/x', 'app.test', { ...basic('alice', 'secret'), 'x-webauth-user': 'root' });
    const seen = JSON.parse(res.text) as Echo;
    expect([seen.headers['x-webauth-user'], seen.headers.authorization]).toEqual(['alice', undefined]);
    const inline = JSON.parse((await get(w.web, '/', 'inline.test', basic('bob', 'hunter2'))).text) as Echo;
    expect(inline.headers.authorization).toBe(basic('bob', 'hunter2').authorization);
  });

  it('writes the user in the access log', async () => {
    await get(w.web, '/logged-in', 'app.test', basic('carol', 'secret'));
    await get(w.web, '/anonymous', 'app.test');
    let lines: string[] = [];
    await eventually(async () => {
      lines = (await readFile(accessLog, 'utf8').catch(() => '')).split('\n');
      return lines.some((l) => l.includes('/anonymous'));
    }, 'the access log lines');
    expect(lines.find((l) => l.includes('/logged-in'))).toMatch(/^127\.0\.0\.1 - carol \[/);
    expect(lines.find((l) => l.includes('/anonymous'))).toMatch(/^127\.0\.0\.1 - - \[/);
  });

  it('reports a missing usersFile at start, naming it, and disables only the routers using it', async () => {
    const missing = join(w.dir, 'no-such-htpasswd');
    const current = {
      http: {
        routers: {
          app: { rule: 'Host(`app.test`)', service: 'echo', middlewares: ['auth'] },
          broken: { rule: 'Host(`broken.test`)', service: 'echo', middlewares: ['broken'] },
        },
        middlewares: {
          auth: { basicAuth: { usersFile, headerField: 'X-WebAuth-User', removeHeader: true } },
          broken: { basicAuth: { usersFile: missing } },
        },
        services: { echo: { loadBalancer: { servers: [{ url: echo.url }] } } },
      },
    };
    await w.reload(current);
    const diagnostics = await w.getJson<Array<{ code: string; message: string }>>('/api/diagnostics');
    const invalid = diagnostics.body.find((d) => d.code === 'MIDDLEWARE_INVALID');
    expect(invalid?.message).toContain(`cannot read usersFile ${missing}`);
    expect((await get(w.web, '/', 'broken.test')).status).toBe(404);
    expect((await get(w.web, '/', 'app.test', basic('alice', 'secret'))).status).toBe(200);
  });

  it('takes a changed usersFile into account without a reload', async () => {
    const reloads = w.wharf.reloader.reloads;
    const tmp = `${usersFile}.new`;
    await writeFile(tmp, `${BOB}\n${CAROL}\n`);
    await rename(tmp, usersFile);
    await eventually(
      async () => (await get(w.web, '/', 'app.test', basic('bob', 'hunter2'))).status === 200,
      'bob logging in after the file changed',
    );
    expect((await get(w.web, '/', 'app.test', basic('alice', 'secret'))).status).toBe(401);
    expect((await get(w.web, '/', 'app.test', basic('carol', 'secret'))).status).toBe(200);
    expect(w.wharf.reloader.reloads).toBe(reloads);
  });
});
