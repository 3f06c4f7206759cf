import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Backend, type Echo, startEchoServer, startServer, until } from '../helpers/backends.ts';
import { get, startWharf, type TestWharf } from '../helpers/wharf.ts';

// forwardAuth through a running router, against loopback auth servers that follow the contracts the three
// common auth servers document for Traefik:
// - Authelia (https://www.authelia.com/integration/proxies/introduction/ and .../proxies/traefik/): the
//   proxy sends X-Forwarded-Proto, -Host and -URI (and -Method, -For) to /api/authz/forward-auth; 200 with
//   Remote-User, Remote-Groups, Remote-Name, Remote-Email for an authorized user (copied with
//   authResponseHeaders), 302 to the portal with `rd` = the original URL when not logged in, 403 when a
//   policy denies. The legacy /api/verify answers 302 to the portal when given `?rd=<portal>`, else 401.
// - Authentik (https://docs.goauthentik.io/add-secure-apps/providers/proxy/server_traefik/): address
//   /outpost.goauthentik.io/auth/traefik, trustForwardHeader: true, authResponseHeaders X-authentik-*;
//   the outpost redirects a browser without a session to its sign-in start page.
// - oauth2-proxy (https://oauth2-proxy.github.io/oauth2-proxy/configuration/integrations/traefik): /oauth2/auth
//   "only returns a 202 Accepted response or a 401 Unauthorized response"; the sign-in redirect is a separate
//   errors middleware (not in Wharf yet), so without it the client gets the 401 as is. With
//   --set-xauthrequest the 202 carries X-Auth-Request-User and X-Auth-Request-Email.

/** Everything a fake auth server was asked, in order. */
const asked: Array<{ path: string; headers: IncomingMessage['headers'] }> = [];

/** The URL the user wanted, as the auth servers rebuild it from the forwarded headers. */
function target(req: IncomingMessage): string {
  const h = req.headers;
  return `${h['x-forwarded-proto']}://${h['x-forwarded-host']}${h['x-forwarded-uri']}`;
}

function loggedIn(req: IncomingMessage): string | undefined {
  return /(?:^|;\s*)session=([a-z]+)/.exec(req.headers.cookie ?? '')?.[1];
}

/** One loopback server speaking the three documented contracts, chosen by path. */
function authHandler(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://auth');
  asked.push({ path: url.pathname, headers: req.headers });
  const user = loggedIn(req);
  switch (url.pathname) {
    case '/api/authz/forward-auth': {
      if (user === undefined) {
        const rd = encodeURIComponent(target(req));
        res.writeHead(302, {
          location: `https://auth.example/?rd=${rd}&rm=${req.headers['x-forwarded-method']}`,
        });
        res.end('<a href="...">302 Found</a>');
      } else if (user === 'eve') {
        res.writeHead(403, { 'content-type': 'text/plain' }).end('403 Forbidden');
      } else {
        res.writeHead(200, {
          'remote-user': user,
          'remote-groups': 'admins,dev',
          'remote-name': 'Alice A',
          'remote-email': 'alice@example.test',
        });
        res.end();
      }
      return;
    }
    case '/api/verify': {
      const portal = url.searchParams.get('rd');
      if (user !== undefined) res.writeHead(200, { 'remote-user': user }).end();
      else if (portal !== null) {
        res.writeHead(302, { location: `${portal}?rd=${encodeURIComponent(target(req))}` }).end();
      } else res.writeHead(401).end('401 Unauthorized');
      return;
    }
    case '/outpost.goauthentik.io/auth/traefik': {
      if (user === undefined) {
        const start = `${req.headers['x-forwarded-proto']}://${req.headers['x-forwarded-host']}/outpost.goauthentik.io/start?rd=${encodeURIComponent(target(req))}`;
        res
          .writeHead(302, { location: start, 'set-cookie': 'authentik_proxy_state=s1; Path=/; HttpOnly' })
          .end();
      } else {
        res.writeHead(200, {
          'x-authentik-username': user,
          'x-authentik-groups': 'admins|dev',
          'x-authentik-email': 'alice@example.test',
          'x-authentik-uid': 'u-1',
          'x-authentik-meta-outpost': 'embedded',
        });
        res.end();
      }
      return;
    }
    case '/oauth2/auth': {
      if (user === undefined) res.writeHead(401, { 'content-type': 'text/plain' }).end('Unauthorized');
      else {
        res.writeHead(202, { 'x-auth-request-user': user, 'x-auth-request-email': `${user}@example.test` });
        res.end();
      }
      return;
    }
    default:
      res.writeHead(404).end();
  }
}

/** A private CA, a server certificate for 127.0.0.1 and a client certificate, all made by openssl. */
function privateCa(
  dir: string,
): Record<'ca' | 'serverCert' | 'serverKey' | 'clientCert' | 'clientKey', string> {
  const f = (name: string) => join(dir, name);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  const key = (file: string) =>
    ssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', f(file));
  key('ca.key');
  ssl(
    'req',
    '-x509',
    '-new',
    '-key',
    f('ca.key'),
    '-days',
    '1',
    '-subj',
    '/CN=Wharf test CA',
    '-out',
    f('ca.pem'),
  );
  const issue = (name: string, subject: string, ext: string) => {
    key(`${name}.key`);
    ssl('req', '-new', '-key', f(`${name}.key`), '-subj', subject, '-out', f(`${name}.csr`));
    writeFileSync(f(`${name}.ext`), ext);
    const ca = ['-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-days', '1'];
    ssl(
      'x509',
      '-req',
      '-in',
      f(`${name}.csr`),
      ...ca,
      '-extfile',
      f(`${name}.ext`),
      '-out',
      f(`${name}.pem`),
    );
  };
  issue('server', '/CN=127.0.0.1', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  issue('client', '/CN=wharf', 'extendedKeyUsage=clientAuth\n');
  return {
    ca: f('ca.pem'),
    serverCert: f('server.pem'),
    serverKey: f('server.key'),
    clientCert: f('client.pem'),
    clientKey: f('client.key'),
  };
}

let app: Backend;
let auth: Awaited<ReturnType<typeof startServer>>;
let tlsAuth: { url: string; close(): Promise<void>; clientCerts: string[] };
let certDir: string;
let files: ReturnType<typeof privateCa>;
let w: TestWharf;

const lb = (url: string) => ({ loadBalancer: { servers: [{ url }] } });
const route = (host: string, middleware: string) => ({
  rule: `Host(\`${host}\`)`,
  service: 'app',
  middlewares: [middleware],
});

function config(extra: Record<string, unknown> = {}, authelia: Record<string, unknown> = {}) {
  return {
    http: {
      routers: {
        authelia: route('authelia.test', 'authelia'),
        legacy: route('legacy.test', 'authelia-legacy'),
        legacy401: route('legacy401.test', 'authelia-legacy-401'),
        authentik: route('authentik.test', 'authentik'),
        oauth2: route('oauth2.test', 'oauth2-proxy'),
        tls: route('tls.test', 'mtls'),
        badtls: route('badtls.test', 'bad-tls'),
        ...extra,
      },
      middlewares: {
        authelia: {
          forwardAuth: {
            address: `${auth.url}/api/authz/forward-auth`,
            trustForwardHeader: true,
            authResponseHeaders: ['Remote-User', 'Remote-Groups', 'Remote-Name', 'Remote-Email'],
            ...authelia,
          },
        },
        'authelia-legacy': {
          forwardAuth: {
            address: `${auth.url}/api/verify?rd=https%3A%2F%2Fauth.example%2F`,
            trustForwardHeader: true,
            authResponseHeaders: ['Remote-User'],
          },
        },
        'authelia-legacy-401': {
          forwardAuth: { address: `${auth.url}/api/verify`, trustForwardHeader: true },
        },
        authentik: {
          forwardAuth: {
            address: `${auth.url}/outpost.goauthentik.io/auth/traefik`,
            trustForwardHeader: true,
            authResponseHeaders: [
              'X-authentik-username',
              'X-authentik-groups',
              'X-authentik-email',
              'X-authentik-uid',
            ],
          },
        },
        'oauth2-proxy': {
          forwardAuth: {
            address: `${auth.url}/oauth2/auth`,
            trustForwardHeader: true,
            authResponseHeadersRegex: '^X-Auth-Request-',
          },
        },
        mtls: {
          forwardAuth: {
            address: `${tlsAuth.url}/oauth2/auth`,
            trustForwardHeader: false,
            authResponseHeaders: ['X-Auth-Request-User'],
            tls: { ca: files.ca, cert: files.clientCert, key: files.clientKey },
          },
        },
        'bad-tls': {
          forwardAuth: {
            address: `${tlsAuth.url}/oauth2/auth`,
            tls: { ca: join(certDir, 'missing-ca.pem') },
          },
        },
      },
      services: { app: lb(app.url) },
    },
  };
}

beforeAll(async () => {
  app = await startEchoServer();
  auth = await startServer(authHandler);
  // The pooled-connection test counts connections across reloads: on a loaded machine two asks can be
  // more than Node's default 5 s keep-alive apart, and an idle close would look like a new connection.
  auth.server.keepAliveTimeout = 120_000;
  certDir = mkdtempSync(join(tmpdir(), 'wharf-fwdauth-'));
  files = privateCa(certDir);
  const clientCerts: string[] = [];
  const server = createHttpsServer(
    {
      cert: readFileSync(files.serverCert),
      key: readFileSync(files.serverKey),
      ca: readFileSync(files.ca),
      requestCert: true,
      rejectUnauthorized: true,
    },
    (req, res) => {
      clientCerts.push(String((req.socket as TLSSocket).getPeerCertificate().subject?.CN ?? ''));
      authHandler(req, res);
    },
  );
  const sockets = new Set<Socket>();
  server.on('secureConnection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  tlsAuth = {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    clientCerts,
    close: async () => {
      server.close();
      for (const s of sockets) s.destroy();
      await once(server, 'close');
    },
  };
  w = await startWharf(config());
});

afterAll(async () => {
  await w?.stop();
  await app?.close();
  await auth?.close();
  await tlsAuth?.close();
  if (certDir) rmSync(certDir, { recursive: true, force: true });
});

const echo = (text: string) => JSON.parse(text) as Echo;

describe('forwardAuth with Authelia', () => {
  it('not logged in: the 302 to the portal reaches the client, rd naming the URL asked for', async () => {
    const res = await get(w.web, '/private?x=1', 'authelia.test');
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe(
      `https://auth.example/?rd=${encodeURIComponent('http://authelia.test/private?x=1')}&rm=GET`,
    );
    expect(res.text).toBe('<a href="...">302 Found</a>');
  });

  it('logged in: 200 and the Remote-* headers reach the backend, replacing those the client forged', async () => {
    const res = await get(w.web, '/private', 'authelia.test', {
      cookie: 'session=alice',
      'remote-user': 'root',
    });
    expect(res.status).toBe(200);
    expect(echo(res.text).headers).toMatchObject({
      'remote-user': 'alice',
      'remote-groups': 'admins,dev',
      'remote-name': 'Alice A',
      'remote-email': 'alice@example.test',
    });
    const seen = asked.at(-1);
    expect(seen?.headers).toMatchObject({
      'x-forwarded-proto': 'http',
      'x-forwarded-host': 'authelia.test',
      'x-forwarded-uri': '/private',
      'x-forwarded-method': 'GET',
      'x-forwarded-for': '127.0.0.1',
      cookie: 'session=alice',
    });
  });

  it('denied by policy: the 403 and its body reach the client', async () => {
    const res = await get(w.web, '/', 'authelia.test', { cookie: 'session=eve' });
    expect(res).toMatchObject({ status: 403, text: '403 Forbidden' });
  });

  it('legacy /api/verify with rd: 302 to the portal; without rd: 401', async () => {
    const redirect = await get(w.web, '/p', 'legacy.test');
    expect(redirect.status).toBe(302);
    expect(redirect.headers.location).toBe(
      `https://auth.example/?rd=${encodeURIComponent('http://legacy.test/p')}`,
    );
    expect((await get(w.web, '/p', 'legacy401.test')).status).toBe(401);
    const ok = await get(w.web, '/p', 'legacy.test', { cookie: 'session=alice' });
    expect(echo(ok.text).headers['remote-user']).toBe('alice');
  });
});

describe('forwardAuth with the Authentik outpost', () => {
  it('no session: the redirect to the outpost start page and its state cookie reach the client', async () => {
    const res = await get(w.web, '/app', 'authentik.test');
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe(
      `http://authentik.test/outpost.goauthentik.io/start?rd=${encodeURIComponent('http://authentik.test/app')}`,
    );
    expect(res.headers['set-cookie']).toBe('authentik_proxy_state=s1; Path=/; HttpOnly');
  });

  it('a session: the X-authentik-* headers reach the backend', async () => {
    const res = await get(w.web, '/app', 'authentik.test', { cookie: 'session=alice' });
    expect(echo(res.text).headers).toMatchObject({
      'x-authentik-username': 'alice',
      'x-authentik-groups': 'admins|dev',
      'x-authentik-email': 'alice@example.test',
      'x-authentik-uid': 'u-1',
    });
    expect(echo(res.text).headers['x-authentik-meta-outpost']).toBeUndefined();
  });
});

describe('forwardAuth with oauth2-proxy', () => {
  it('no session: the 401 reaches the client as is', async () => {
    expect(await get(w.web, '/', 'oauth2.test')).toMatchObject({ status: 401, text: 'Unauthorized' });
  });

  it('a session: 202 passes, X-Auth-Request-* copied by authResponseHeadersRegex and forged ones removed', async () => {
    const res = await get(w.web, '/', 'oauth2.test', {
      cookie: 'session=bob',
      'x-auth-request-groups': 'forged',
    });
    expect(res.status).toBe(200);
    const headers = echo(res.text).headers;
    expect(headers).toMatchObject({
      'x-auth-request-user': 'bob',
      'x-auth-request-email': 'bob@example.test',
    });
    expect(headers['x-auth-request-groups']).toBeUndefined();
  });
});

describe('forwardAuth over TLS with a private CA and a client certificate', () => {
  it('verifies the auth server against tls.ca and presents tls.cert', async () => {
    const res = await get(w.web, '/', 'tls.test', { cookie: 'session=carol' });
    expect(res.status).toBe(200);
    expect(echo(res.text).headers['x-auth-request-user']).toBe('carol');
    expect(tlsAuth.clientCerts.at(-1)).toBe('wharf');
  });

  it('a missing CA file disables the middleware and its router, naming the file', async () => {
    expect((await get(w.web, '/', 'badtls.test')).status).toBe(404);
    const diags = (await w.getJson<Array<{ code: string; message: string }>>('/api/diagnostics')).body;
    const bad = diags.find((d) => d.code === 'MIDDLEWARE_INVALID');
    expect(bad?.message).toContain(`tls.ca "${join(certDir, 'missing-ca.pem')}"`);
  });
});

describe('forwardAuth connections', () => {
  it('keeps its pooled connection to the auth server across reloads of other items', async () => {
    const ask = async () => (await get(w.web, '/', 'authelia.test', { cookie: 'session=alice' })).status;
    expect(await ask()).toBe(200);
    const accepted = auth.connections.total;
    await w.reload(config({ extra1: { rule: 'Host(`extra1.test`)', service: 'app' } }));
    expect(await ask()).toBe(200);
    await w.reload(config({ extra2: { rule: 'Host(`extra2.test`)', service: 'app' } }));
    expect(await ask()).toBe(200);
    expect(auth.connections.total).toBe(accepted);

    // Changed options build a new instance with its own pool; the old one is closed once drained.
    const openBefore = auth.connections.open;
    await w.reload(config({}, { authResponseHeaders: ['Remote-User'] }));
    expect(await ask()).toBe(200);
    expect(auth.connections.total).toBe(accepted + 1);
    await until(() => auth.connections.open === openBefore, 'the replaced pool closing its connection');
  });

  it('an auth server that is down: 500, as Traefik answers', async () => {
    const down = await startServer(() => {});
    const address = `${down.url}/api/authz/forward-auth`;
    await down.close();
    await w.reload(config({}, { address }));
    const res = await get(w.web, '/', 'authelia.test', { cookie: 'session=alice' });
    expect(res.status).toBe(500);
    expect(res.text).toBe('500 Internal Server Error\n');
  });
});
