import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Backend, startEchoServer } from '../helpers/backends.ts';
import { type CertFactory, certFactory } from '../helpers/certs.ts';
import { startWharf, type TestWharf } from '../helpers/wharf.ts';

// The usual Traefik setup: the API is not insecure, and a router of the user's sends
// Host(`traefik.test`) && (PathPrefix(`/api`) || PathPrefix(`/dashboard`)) to api@internal, behind
// basicAuth, on an HTTPS entryPoint. The configuration also holds every kind of secret the API must not show.

// htpasswd -nbB -C 4 alice secret
const ALICE = 'alice:$2y$04$Fah5im48xOVZ62A1Yz5nn.cBUBw44AsqD/ny3LfiZGShAqa/hLIlu';
const DIGEST_HA1 = createHash('md5').update('dave:traefik:secret').digest('hex');
const basic = (user: string, password: string) => ({
  authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
});

let certs: CertFactory;
let echo: Backend;
let w: TestWharf;
let tls: Agent;
let privateKey = '';

beforeAll(async () => {
  certs = certFactory();
  const cert = certs.make('traefik', ['traefik.test']);
  privateKey = readFileSync(cert.keyFile, 'utf8');
  echo = await startEchoServer();
  tls = new Agent({ connect: { ca: readFileSync(cert.certFile), servername: 'traefik.test' } });
  w = await startWharf(
    {
      http: {
        routers: {
          dashboard: {
            rule: 'Host(`traefik.test`) && (PathPrefix(`/api`) || PathPrefix(`/dashboard`))',
            service: 'api@internal',
            middlewares: ['auth'],
            entryPoints: ['websecure'],
            tls: {},
          },
          metrics: { rule: 'Host(`metrics.test`)', service: 'prometheus@internal', entryPoints: ['web'] },
          app: {
            rule: 'Host(`app.test`)',
            service: 'app',
            middlewares: ['creds', 'cb'],
            entryPoints: ['web'],
          },
        },
        services: {
          app: {
            loadBalancer: {
              servers: [{ url: echo.url.replace('http://', 'http://admin:s3cret-url@') }],
              healthCheck: { path: '/', interval: '1m', headers: { Authorization: 's3cret-hc' } },
            },
          },
        },
        middlewares: {
          auth: { basicAuth: { users: [ALICE] } },
          digest: { digestAuth: { users: [`dave:traefik:${DIGEST_HA1}`] } },
          creds: {
            headers: {
              customRequestHeaders: { Authorization: 'Bearer s3cret-bearer', 'X-Api-Key': 's3cret-apikey' },
            },
          },
          verify: {
            forwardAuth: {
              address: 'https://127.0.0.1:1/verify?token=s3cret-query&rd=%2F',
              tls: { key: privateKey, cert: readFileSync(cert.certFile, 'utf8') },
            },
          },
          limited: {
            rateLimit: { average: 1, redis: { endpoints: ['127.0.0.1:1'], password: 's3cret-redis' } },
          },
          cb: { circuitBreaker: { expression: 'NetworkErrorRatio() > 0.9', checkPeriod: '250ms' } },
        },
      },
      tls: { certificates: [{ certFile: cert.certFile, keyFile: cert.keyFile }] },
    },
    {
      entryPoints: {
        web: { address: '127.0.0.1:0' },
        websecure: { address: '127.0.0.1:0' },
        wharf: { address: '127.0.0.1:0' },
      },
      api: {},
      ping: {},
    },
  );
});
afterAll(async () => {
  await w?.stop();
  await echo?.close();
  await tls?.close();
  certs?.remove();
});

/** GET over HTTPS on the websecure entryPoint with Host traefik.test. */
async function secureGet(path: string, headers: Record<string, string> = {}) {
  const res = await request(`https://127.0.0.1:${w.wharf.port('websecure')}${path}`, {
    dispatcher: tls,
    headers: { host: 'traefik.test', ...headers },
  });
  return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
}

const asAlice = basic('alice', 'secret');

describe('api@internal behind basicAuth on an HTTPS entryPoint', () => {
  it('refuses a request without credentials (401) and with wrong ones', async () => {
    const anonymous = await secureGet('/api/overview');
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers['www-authenticate']).toMatch(/^Basic realm=/);
    expect((await secureGet('/api/overview', basic('alice', 'nope'))).status).toBe(401);
  });

  it('answers JSON to alice', async () => {
    const r = await secureGet('/api/http/routers/dashboard@file', asAlice);
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/json');
    expect(JSON.parse(r.text)).toMatchObject({
      name: 'dashboard@file',
      service: 'api@internal',
      status: 'enabled',
      using: ['websecure'],
      tls: { options: 'default' },
    });
    const svc = JSON.parse((await secureGet('/api/http/services/api@internal', asAlice)).text);
    expect(svc).toEqual({
      name: 'api@internal',
      provider: 'internal',
      status: 'enabled',
      usedBy: ['dashboard@file'],
    });
  });

  it('serves the dashboard under /dashboard/ through the same router', async () => {
    const page = await secureGet('/dashboard/', asAlice);
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.text).toContain('<script type="module" src="./app.js"></script>');
  });

  it('is not on the internal entryPoint without api.insecure, where ping still answers', async () => {
    const api = await request(`${w.api}/api/overview`);
    await api.body.dump();
    expect(api.statusCode).toBe(404);
    const ping = await request(`${w.api}/ping`);
    expect(await ping.body.text()).toBe('OK');
  });

  it('a router naming an internal service that is not enabled is disabled with the reason', async () => {
    const r = JSON.parse((await secureGet('/api/http/routers/metrics@file', asAlice)).text);
    expect(r).toMatchObject({
      status: 'disabled',
      error: [
        'router "metrics@file": service "prometheus@internal" cannot be used: prometheus is not enabled; add metrics.prometheus to the static configuration',
      ],
    });
  });

  it('shows durations as Go writes them', async () => {
    const cb = JSON.parse((await secureGet('/api/http/middlewares/cb@file', asAlice)).text);
    expect(cb.circuitBreaker).toMatchObject({ checkPeriod: '250ms' });
    const app = JSON.parse((await secureGet('/api/http/services/app@file', asAlice)).text);
    expect(app.loadBalancer.healthCheck).toMatchObject({ interval: '1m0s' });
  });

  it('shows no secret in rawdata, the lists, or the details', async () => {
    const secrets = [
      ALICE.slice('alice:'.length),
      DIGEST_HA1,
      's3cret-url',
      's3cret-hc',
      's3cret-bearer',
      's3cret-apikey',
      's3cret-query',
      's3cret-redis',
      privateKey.split('\n')[1] as string,
      'PRIVATE KEY',
    ];
    const paths = [
      '/api/rawdata',
      '/api/http/routers',
      '/api/http/services',
      '/api/http/middlewares',
      '/api/http/middlewares/auth@file',
      '/api/http/middlewares/verify@file',
      '/api/http/services/app@file',
      '/api/diagnostics',
    ];
    for (const path of paths) {
      const r = await secureGet(path, asAlice);
      expect(r.status, path).toBe(200);
      for (const secret of secrets) expect(r.text, `${path} shows ${secret}`).not.toContain(secret);
    }
    // The user names stay: an operator can still tell who may log in.
    const raw = JSON.parse((await secureGet('/api/rawdata', asAlice)).text);
    expect(raw.middlewares['auth@file'].basicAuth.users).toEqual(['alice:xxxxx']);
    expect(raw.middlewares['digest@file'].digestAuth.users).toEqual(['dave:traefik:xxxxx']);
  });
});
