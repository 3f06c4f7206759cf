import { type IncomingHttpHeaders, type IncomingMessage, ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WharfError } from '../../config/errors.ts';
import type { ForwardAuthOptions } from '../../config/middlewares/forward-auth.ts';
import { ForwardAuthSchema } from '../../config/middlewares/forward-auth.ts';
import { silentLogger } from '../../core/log.ts';
import { type Backend, startServer, until } from '../../test/helpers/backends.ts';
import { certFactory } from '../../test/helpers/certs.ts';
import { fakeRequest, type MiddlewareRun, runMiddleware } from '../../test/helpers/middleware.ts';
import { type Clock, systemClock } from '../clock.ts';
import type { MiddlewareContext, MiddlewareRuntime } from '../middleware.ts';
import { requestState } from '../request-state.ts';
import { FORWARD_AUTH_TIMEOUT_MS, forwardAuth } from './forward-auth.ts';

/** What the auth server saw of one request. */
interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A loopback auth server: its answer is chosen by the request path; it records what it was asked. */
let auth: Backend;
const seen: Seen[] = [];
const held: ServerResponse[] = [];
const answers: Record<string, (req: IncomingMessage, res: ServerResponse) => void> = {
  '/ok': (_req, res) => {
    res.writeHead(200, { 'remote-user': 'alice', 'remote-groups': 'admins', 'x-noise': 'n' });
    res.end('ignored body');
  },
  '/cookies': (_req, res) => {
    res.writeHead(200, { 'set-cookie': ['session=from-auth; HttpOnly', 'tracking=1'] });
    res.end();
  },
  '/deny': (_req, res) => {
    res.writeHead(401, {
      'www-authenticate': 'Bearer realm="x"',
      'set-cookie': 'state=1',
      location: '/login?rd=back',
      'content-type': 'text/plain',
    });
    res.end('please log in');
  },
  '/big': (_req, res) => {
    res.writeHead(200);
    res.end('x'.repeat(100));
  },
  '/hold': (_req, res) => {
    held.push(res);
  },
};

beforeAll(async () => {
  auth = await startServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      const answer = answers[new URL(req.url ?? '/', 'http://x').pathname];
      if (answer) answer(req, res);
      else res.writeHead(404).end();
    });
  });
});
afterAll(async () => {
  for (const r of held) r.destroy();
  await auth?.close();
});

/** A clock whose timers fire only when the test says so. */
function manualClock(): Clock & { fire(): void; pending(): number } {
  const timers = new Set<() => void>();
  return {
    now: () => 0,
    setTimeout: (fn) => {
      timers.add(fn);
      return { cancel: () => timers.delete(fn) };
    },
    fire: () => {
      for (const fn of [...timers]) {
        timers.delete(fn);
        fn();
      }
    },
    pending: () => timers.size,
  };
}

const ctx = (clock: Clock = systemClock): MiddlewareContext => ({
  name: 'auth@file',
  router: undefined,
  resolve: () => {
    throw new Error('no references');
  },
  logger: silentLogger(),
  clock,
});

const instances: MiddlewareRuntime[] = [];
function build(options: Record<string, unknown>, clock?: Clock): MiddlewareRuntime {
  const rt = forwardAuth.create(
    ForwardAuthSchema.parse({ trustForwardHeader: false, ...options }),
    ctx(clock),
  );
  instances.push(rt);
  return rt;
}
afterAll(async () => {
  for (const rt of instances) await rt.close?.();
});

/** A request with a body, as the entryPoint hands it on. */
function withBody(url: string, body: string, method = 'POST'): IncomingMessage {
  const req = fakeRequest(url, {
    method,
    headers: { host: 'app.test', 'content-length': String(Buffer.byteLength(body)) },
  });
  req.push(Buffer.from(body));
  req.push(null);
  return req;
}

async function run(
  options: Record<string, unknown>,
  req: IncomingMessage,
  backend = {},
): Promise<MiddlewareRun> {
  seen.length = 0;
  return runMiddleware(build(options).wrap, req, backend);
}

async function failure(
  options: Record<string, unknown>,
  req: IncomingMessage,
  clock?: Clock,
): Promise<WharfError> {
  const err = await runMiddleware(build(options, clock).wrap, req).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WharfError);
  return err as WharfError;
}

describe('forwardAuth against a loopback auth server', () => {
  it('2xx: the request passes with authResponseHeaders replacing the spoofed ones; the auth server is asked with GET and no body', async () => {
    const req = withBody('/app?q=1', 'payload');
    req.headers['remote-user'] = 'mallory';
    const out = await run(
      { address: `${auth.url}/ok?from=wharf`, authResponseHeaders: ['Remote-User', 'Remote-Groups'] },
      req,
    );
    expect(out.response.status).toBe(200);
    expect(out.next?.headers).toMatchObject({ 'remote-user': 'alice', 'remote-groups': 'admins' });
    expect(out.next?.headers['x-noise']).toBeUndefined();
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ method: 'GET', url: '/ok?from=wharf', body: '' });
    expect(seen[0]?.headers).toMatchObject({
      'x-forwarded-method': 'POST',
      'x-forwarded-uri': '/app?q=1',
      'x-forwarded-host': 'app.test',
      'x-forwarded-proto': 'http',
      'x-forwarded-for': '127.0.0.1',
    });
    expect(seen[0]?.headers.host).toBe(new URL(auth.url).host);
  });

  it('non-2xx: the auth server status, headers and body go to the client; a relative Location is resolved against the address', async () => {
    const req = fakeRequest('/', { headers: { host: 'app.test' } });
    const out = await run({ address: `${auth.url}/deny` }, req);
    expect(out.next).toBeUndefined();
    // issue 17: the ban middleware counts the refusal.
    expect(requestState(req).refusedBy).toBe('forwardAuth');
    expect(out.response).toEqual({
      status: 401,
      headers: expect.objectContaining({
        'www-authenticate': 'Bearer realm="x"',
        'set-cookie': 'state=1',
        location: `${auth.url}/login?rd=back`,
        'content-type': 'text/plain',
      }),
    });
  });

  it('preserveLocationHeader passes a relative Location as is', async () => {
    const out = await run(
      { address: `${auth.url}/deny`, preserveLocationHeader: true },
      fakeRequest('/', { headers: { host: 'app.test' } }),
    );
    expect(out.response.headers.location).toBe('/login?rd=back');
  });

  it('authSigninURL turns a 401 into a 302 to the sign-in page', async () => {
    const out = await run(
      { address: `${auth.url}/deny`, authSigninURL: 'https://login.test/?rd=x' },
      fakeRequest('/', { headers: { host: 'app.test' } }),
    );
    expect(out.response.status).toBe(302);
    expect(out.response.headers.location).toBe('https://login.test/?rd=x');
  });

  it('preserveRequestMethod and forwardBody: the auth server gets the method and the body, the backend still gets the body', async () => {
    const req = withBody('/upload', 'hello body', 'PUT');
    const out = await run({ address: `${auth.url}/ok`, preserveRequestMethod: true, forwardBody: true }, req);
    expect(seen[0]).toMatchObject({ method: 'PUT', body: 'hello body' });
    expect(seen[0]?.headers['content-length']).toBe('10');
    expect(out.response.status).toBe(200);
    expect(requestState(req).replayBody?.toString()).toBe('hello body');
    expect(requestState(req).refusedBy).toBeUndefined();
  });

  it('forwardBody with a body over maxBodySize: 401 and the auth server is not asked', async () => {
    seen.length = 0;
    const err = await failure(
      { address: `${auth.url}/ok`, forwardBody: true, maxBodySize: 4 },
      withBody('/', 'too long'),
    );
    expect(err.code).toBe('FORWARD_AUTH_BODY_TOO_LARGE');
    expect(err.message).toContain('4 bytes');
    expect(seen).toHaveLength(0);
  });

  it('forwardBody with a body of exactly maxBodySize passes', async () => {
    const out = await run(
      { address: `${auth.url}/ok`, forwardBody: true, maxBodySize: 4 },
      withBody('/', 'four'),
    );
    expect(out.response.status).toBe(200);
    expect(seen[0]?.body).toBe('four');
  });

  it('an answer over maxResponseBodySize: 401', async () => {
    const err = await failure({ address: `${auth.url}/big`, maxResponseBodySize: 10 }, fakeRequest('/'));
    expect(err.code).toBe('FORWARD_AUTH_RESPONSE_TOO_LARGE');
  });

  it('addAuthCookiesToResponse: listed auth cookies replace the backend ones; others are not added', async () => {
    const out = await run(
      { address: `${auth.url}/cookies`, addAuthCookiesToResponse: ['session'] },
      fakeRequest('/'),
      { 'set-cookie': ['session=from-backend', 'theme=dark'] },
    );
    expect(out.response.headers['set-cookie']).toEqual(['theme=dark', 'session=from-auth; HttpOnly']);
  });

  it('headerField names the user for the access log', async () => {
    const req = fakeRequest('/');
    await run({ address: `${auth.url}/ok`, headerField: 'Remote-User' }, req);
    expect(requestState(req).username).toBe('alice');
  });

  it('an unreachable auth server: 500 (Traefik) with a message naming the address, password redacted', async () => {
    const closed = await startServer(() => {});
    const url = new URL(closed.url);
    await closed.close();
    const err = await failure({ address: `http://user:secret@${url.host}/verify` }, fakeRequest('/'));
    expect(err.code).toBe('FORWARD_AUTH_FAILED');
    expect(err.message).toContain(`http://user:xxxxx@${url.host}/verify`);
    expect(err.message).not.toContain('secret');
    expect(err.message).toMatch(/ECONNREFUSED/);
  });

  it(`a slow auth server: 500 once ${FORWARD_AUTH_TIMEOUT_MS / 1000}s pass, and the held request is dropped`, async () => {
    const clock = manualClock();
    const before = held.length;
    const pending = failure({ address: `${auth.url}/hold` }, fakeRequest('/'), clock);
    await until(() => held.length > before, 'the auth server holding the request');
    expect(clock.pending()).toBe(1);
    clock.fire();
    const err = await pending;
    expect(err.code).toBe('FORWARD_AUTH_FAILED');
    expect(err.message).toContain('no answer within 30s');
    const res = held[held.length - 1] as ServerResponse;
    await until(
      () => res.destroyed || res.socket === null || res.socket.destroyed,
      'the held connection closed',
    );
  });

  it('the client going away while the auth server is still answering: the auth call is dropped, no timer left', async () => {
    const clock = manualClock();
    const before = held.length;
    const req = fakeRequest('/');
    const res = new ServerResponse(req);
    let nextCalled = false;
    const handled = build({ address: `${auth.url}/hold` }, clock)
      .wrap(async () => {
        nextCalled = true;
      })(req, res)
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    await until(() => held.length > before, 'the auth server holding the request');
    expect(clock.pending()).toBe(1);
    res.emit('close');
    const err = await handled;
    expect(err).toBeInstanceOf(WharfError);
    expect((err as WharfError).message).toContain('client closed the request');
    expect(nextCalled).toBe(false);
    expect(clock.pending()).toBe(0);
    const heldRes = held[held.length - 1] as ServerResponse;
    await until(
      () => heldRes.destroyed || heldRes.socket === null || heldRes.socket.destroyed,
      'the auth connection closed',
    );
  });

  it('the 30s limit starts once a forwarded body is read: a slow upload is not an auth server timeout', async () => {
    const clock = manualClock();
    const req = fakeRequest('/', { method: 'POST', headers: { host: 'app.test', 'content-length': '4' } });
    const done = runMiddleware(build({ address: `${auth.url}/ok`, forwardBody: true }, clock).wrap, req);
    await new Promise((r) => setImmediate(r));
    expect(clock.pending()).toBe(0);
    req.push(Buffer.from('late'));
    req.push(null);
    expect((await done).response.status).toBe(200);
  });

  it('an answered check leaves no timer behind', async () => {
    const clock = manualClock();
    await runMiddleware(build({ address: `${auth.url}/ok` }, clock).wrap, fakeRequest('/'));
    await runMiddleware(build({ address: `${auth.url}/deny` }, clock).wrap, fakeRequest('/'));
    expect(clock.pending()).toBe(0);
  });

  it('close() closes the pooled connections', async () => {
    const rt = build({ address: `${auth.url}/ok` });
    await runMiddleware(rt.wrap, fakeRequest('/'));
    const openBefore = auth.connections.open;
    expect(openBefore).toBeGreaterThan(0);
    instances.splice(instances.indexOf(rt), 1);
    await rt.close?.();
    await until(() => auth.connections.open === openBefore - 1, 'the pooled connection closed');
  });
});

describe('forwardAuth options that cannot work', () => {
  const certs = certFactory();
  const pair = certs.make('client', ['client.test']);
  const other = certs.make('other', ['other.test']);
  afterAll(() => certs.remove());
  const cases: Array<{ name: string; options: Partial<ForwardAuthOptions>; message: RegExp }> = [
    {
      name: 'a regexp outside Go syntax (lookahead)',
      options: { authResponseHeadersRegex: '^(X-)(?=Auth)' },
      message: /^authResponseHeadersRegex "\^\(X-\)\(\?=Auth\)": /,
    },
    {
      name: 'a CA file that does not exist',
      options: { tls: { ca: '/nonexistent/ca.pem' } },
      message: /^tls\.ca "\/nonexistent\/ca\.pem": no such file/,
    },
    {
      name: 'a CA file without a certificate',
      options: { tls: { ca: pair.keyFile } },
      message: new RegExp(`^tls\\.ca "${pair.keyFile}": the file holds no PEM certificate`),
    },
    { name: 'cert without key', options: { tls: { cert: pair.certFile } }, message: /both cert and key/ },
    {
      name: 'a key file that does not exist',
      options: { tls: { cert: pair.certFile, key: '/nonexistent/key.pem' } },
      message: /^tls\.key "\/nonexistent\/key\.pem": file does not exist/,
    },
    {
      name: 'a cert and key that do not match',
      options: { tls: { cert: pair.certFile, key: other.keyFile } },
      message: /not a valid certificate and key pair/,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(() =>
        forwardAuth.create(ForwardAuthSchema.parse({ address: 'https://auth.test/', ...c.options }), ctx()),
      ).toThrow(c.message);
    });
  }

  it('inline PEM is accepted and never quoted in a message', () => {
    const pem = '-----BEGIN PRIVATE KEY-----\nnot really\n-----END PRIVATE KEY-----\n';
    let message = '';
    try {
      forwardAuth.create(
        ForwardAuthSchema.parse({ address: 'https://auth.test/', tls: { cert: pair.certFile, key: pem } }),
        ctx(),
      );
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('tls.key (inline PEM)');
    expect(message).not.toContain('not really');
  });
});
