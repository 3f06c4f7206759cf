import type { IncomingMessage } from 'node:http';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Backend, type Echo, startServer } from '../helpers/backends.ts';
import { get, startWharf, type TestWharf } from '../helpers/wharf.ts';

// The headers middleware through a running router: a browser's CORS sequence (preflight answered by the
// router, then the actual request), allowedHosts, and request headers that stay removed all the way to the
// server, X-Forwarded-For included.

describe('headers middleware', () => {
  let backend: Backend;
  const seen: Array<{ method: string; headers: IncomingMessage['headers'] }> = [];
  let w: TestWharf;
  beforeAll(async () => {
    backend = await startServer((req, res) => {
      seen.push({ method: req.method ?? '', headers: req.headers });
      const echo: Partial<Echo> = { method: req.method ?? '', headers: req.headers };
      res.writeHead(200, { 'content-type': 'application/json', vary: 'Accept-Encoding', 'x-total': '3' });
      res.end(JSON.stringify(echo));
    });
    const service = { loadBalancer: { servers: [{ url: backend.url }] } };
    w = await startWharf(
      {
        http: {
          routers: {
            api: { rule: 'Host(`api.test`)', service: 'app', middlewares: ['cors'] },
            hosts: { rule: 'PathPrefix(`/hosts`)', service: 'app', middlewares: ['hosts'] },
            strip: { rule: 'Host(`strip.test`)', service: 'app', middlewares: ['strip'] },
            plain: { rule: 'Host(`plain.test`)', service: 'app' },
            old: { rule: 'Host(`old.test`)', service: 'app', middlewares: ['old'] },
            lookahead: { rule: 'Host(`lookahead.test`)', service: 'app', middlewares: ['lookahead'] },
          },
          services: { app: service },
          middlewares: {
            cors: {
              headers: {
                accessControlAllowMethods: ['GET', 'PUT', 'OPTIONS'],
                accessControlAllowHeaders: ['Content-Type', 'X-Token'],
                accessControlAllowOriginList: ['https://app.example.com'],
                accessControlAllowOriginListRegex: ['^https://[a-z0-9]+\\.preview\\.example\\.com$'],
                accessControlAllowCredentials: true,
                accessControlExposeHeaders: ['X-Total'],
                accessControlMaxAge: 600,
                addVaryHeader: true,
                frameDeny: true,
              },
            },
            hosts: {
              headers: { allowedHosts: ['good.test'], customResponseHeaders: { 'X-Served-By': 'wharf' } },
            },
            strip: {
              headers: {
                customRequestHeaders: {
                  'X-Forwarded-For': '',
                  'X-Forwarded-Proto': '',
                  'X-Forwarded-Host': '',
                  'X-Forwarded-Port': '',
                  'X-Forwarded-Server': '',
                  'X-Real-Ip': '',
                  'X-Secret': '',
                },
              },
            },
            old: { headers: { sslRedirect: true, featurePolicy: "camera 'none'", contentTypeNosniff: true } },
            lookahead: {
              headers: { accessControlAllowOriginListRegex: ['^https://(?!evil)[a-z]+\\.test$'] },
            },
          },
        },
      },
      {},
      { logs: true },
    );
  });
  afterAll(async () => {
    await w?.stop();
    await backend?.close();
  });

  it('answers a browser preflight itself, then the actual request goes through with CORS headers', async () => {
    const before = seen.length;
    const preflight = await request(`${w.web}/items/1`, {
      method: 'OPTIONS',
      headers: {
        host: 'api.test',
        origin: 'https://app.example.com',
        'access-control-request-method': 'PUT',
        'access-control-request-headers': 'content-type,x-token',
        accept: '*/*',
        'sec-fetch-mode': 'cors',
      },
    });
    expect(await preflight.body.text()).toBe('');
    expect({
      status: preflight.statusCode,
      ...pick(preflight.headers, 'access-control-', 'content-length', 'vary', 'x-frame-options'),
    }).toEqual({
      status: 200,
      'access-control-allow-credentials': 'true',
      'access-control-allow-headers': 'Content-Type,X-Token',
      'access-control-allow-methods': 'GET,PUT,OPTIONS',
      'access-control-allow-origin': 'https://app.example.com',
      'access-control-expose-headers': 'X-Total',
      'access-control-max-age': '600',
      'content-length': '0',
    });
    expect(seen.length).toBe(before); // the server never saw the preflight

    const actual = await request(`${w.web}/items/1`, {
      method: 'PUT',
      headers: {
        host: 'api.test',
        origin: 'https://app.example.com',
        'content-type': 'application/json',
        'x-token': 't',
      },
      body: '{"a":1}',
    });
    const echo = (await actual.body.json()) as Echo;
    expect(echo.method).toBe('PUT');
    expect({
      status: actual.statusCode,
      ...pick(actual.headers, 'access-control-', 'vary', 'x-frame-options'),
    }).toEqual({
      status: 200,
      'access-control-allow-credentials': 'true',
      'access-control-allow-origin': 'https://app.example.com',
      'access-control-expose-headers': 'X-Total',
      vary: 'Accept-Encoding,Origin',
      'x-frame-options': 'DENY',
    });
  });

  it('allows origins by regular expression and leaves Access-Control-Allow-Origin out for others', async () => {
    const preview = await get(w.web, '/', 'api.test', { origin: 'https://pr42.preview.example.com' });
    expect(preview.headers['access-control-allow-origin']).toBe('https://pr42.preview.example.com');
    const other = await get(w.web, '/', 'api.test', { origin: 'https://evil.test' });
    expect(other.status).toBe(200);
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('answers 500 "Bad Host" for a host outside allowedHosts, without calling the server', async () => {
    const before = seen.length;
    const bad = await get(w.web, '/hosts', 'evil.test');
    expect({ status: bad.status, text: bad.text, served: bad.headers['x-served-by'] }).toEqual({
      status: 500,
      text: 'Bad Host\n',
      served: 'wharf',
    });
    expect(seen.length).toBe(before);
    expect((await get(w.web, '/hosts', 'good.test')).status).toBe(200);
  });

  it('request headers set to "" reach the server removed, X-Forwarded-For included', async () => {
    const stripped = await get(w.web, '/', 'strip.test', { 'x-secret': 's' });
    const headers = (JSON.parse(stripped.text) as Echo).headers;
    expect(Object.keys(headers).filter((h) => h.startsWith('x-'))).toEqual([]);
    // Without the middleware the proxy does send them.
    const plain = (JSON.parse((await get(w.web, '/', 'plain.test')).text) as Echo).headers;
    expect(pick(plain, 'x-forwarded-for', 'x-real-ip', 'x-forwarded-proto')).toEqual({
      'x-forwarded-for': '127.0.0.1',
      'x-forwarded-proto': 'http',
      'x-real-ip': '127.0.0.1',
    });
  });

  it('disables a middleware whose origin pattern RE2 cannot take, naming the pattern', async () => {
    expect((await get(w.web, '/', 'lookahead.test')).status).toBe(404);
    const mw = await w.getJson<{ status: string; error: string[] }>('/api/http/middlewares/lookahead@file');
    expect(mw.body.status).toBe('disabled');
    expect(mw.body.error.join()).toMatch(
      /accessControlAllowOriginListRegex\[0\] "\^https:\/\/\(\?!evil\)\[a-z\]\+\\\.test\$": .*lookaround/,
    );
  });

  it('serves a middleware with deprecated options, ignoring them as Traefik v3 does, with a warning', async () => {
    const res = await get(w.web, '/', 'old.test');
    expect({
      status: res.status,
      nosniff: res.headers['x-content-type-options'],
      fp: res.headers['feature-policy'],
    }).toEqual({
      status: 200,
      nosniff: 'nosniff',
      fp: undefined,
    });
    const mw = await w.getJson<{ status: string }>('/api/http/middlewares/old@file');
    expect(mw.body.status).toBe('enabled');
    const warnings = w.logs.filter((l) => l.code === 'CONFIG_DEPRECATED').map((l) => l.msg);
    expect(warnings).toEqual([
      expect.stringMatching(
        /^http\.middlewares\.old\.headers\.sslRedirect is deprecated: Traefik v3 ignores it.*redirectScheme/,
      ),
      expect.stringMatching(
        /^http\.middlewares\.old\.headers\.featurePolicy is deprecated: .*Use permissionsPolicy instead/,
      ),
    ]);
  });
});

/** The headers whose names start with one of `prefixes`. */
function pick(headers: Record<string, unknown>, ...prefixes: string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(headers).filter(([k]) => prefixes.some((p) => k.startsWith(p))));
}
