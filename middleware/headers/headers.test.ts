import type { OutgoingHttpHeaders } from 'node:http';
import { describe, expect, it } from 'vitest';
import type { HeadersOptions } from '../../config/middlewares/headers.ts';
import {
  type FakeRequestOptions,
  fakeRequest,
  type MiddlewareRun,
  runMiddleware,
} from '../../test/helpers/middleware.ts';
import { headers } from './headers.ts';

type Options = HeadersOptions;

describe('headers', () => {
  const cases: Array<{
    name: string;
    options: Options;
    request?: FakeRequestOptions;
    backend?: OutgoingHttpHeaders;
    expected: MiddlewareRun;
  }> = [
    {
      name: 'custom request headers are set, and an empty value removes one',
      options: { customRequestHeaders: { 'X-Script-Name': 'test', 'X-Drop': '' } },
      request: { headers: { 'x-drop': 'secret', 'x-script-name': 'client' } },
      expected: {
        next: { url: '/', headers: { 'x-script-name': 'test' } },
        response: { status: 200, headers: {} },
      },
    },
    {
      name: "custom response headers override the backend's, and an empty value removes one",
      options: { customResponseHeaders: { 'X-Custom': 'v', Server: '' } },
      backend: { server: 'backend/1.0', 'x-custom': 'backend', 'x-other': 'kept' },
      expected: {
        next: { url: '/', headers: {} },
        response: { status: 200, headers: { 'x-custom': 'v', 'x-other': 'kept' } },
      },
    },
    {
      name: 'security headers',
      options: {
        frameDeny: true,
        contentTypeNosniff: true,
        browserXssFilter: true,
        contentSecurityPolicy: "default-src 'self'",
        referrerPolicy: 'no-referrer',
        permissionsPolicy: 'camera=()',
      },
      expected: {
        next: { url: '/', headers: {} },
        response: {
          status: 200,
          headers: {
            'x-frame-options': 'DENY',
            'x-content-type-options': 'nosniff',
            'x-xss-protection': '1; mode=block',
            'content-security-policy': "default-src 'self'",
            'referrer-policy': 'no-referrer',
            'permissions-policy': 'camera=()',
          },
        },
      },
    },
    {
      name: 'customFrameOptionsValue wins over frameDeny',
      options: { frameDeny: true, customFrameOptionsValue: 'SAMEORIGIN' },
      expected: {
        next: { url: '/', headers: {} },
        response: { status: 200, headers: { 'x-frame-options': 'SAMEORIGIN' } },
      },
    },
    {
      name: 'HSTS is sent over HTTPS, with includeSubDomains and preload',
      options: { stsSeconds: 31536000, stsIncludeSubdomains: true, stsPreload: true },
      request: { scheme: 'https' },
      expected: {
        next: { url: '/', headers: {} },
        response: {
          status: 200,
          headers: { 'strict-transport-security': 'max-age=31536000; includeSubDomains; preload' },
        },
      },
    },
    {
      name: 'HSTS is not sent over plain HTTP',
      options: { stsSeconds: 60 },
      expected: { next: { url: '/', headers: {} }, response: { status: 200, headers: {} } },
    },
    {
      name: 'forceSTSHeader sends HSTS over plain HTTP too',
      options: { stsSeconds: 60, forceSTSHeader: true },
      expected: {
        next: { url: '/', headers: {} },
        response: { status: 200, headers: { 'strict-transport-security': 'max-age=60' } },
      },
    },
    {
      name: 'stsSeconds 0 sends no HSTS',
      options: { stsSeconds: 0, forceSTSHeader: true },
      expected: { next: { url: '/', headers: {} }, response: { status: 200, headers: {} } },
    },
    {
      name: 'customBrowserXSSValue wins over browserXssFilter',
      options: { browserXssFilter: true, customBrowserXSSValue: '0' },
      expected: {
        next: { url: '/', headers: {} },
        response: { status: 200, headers: { 'x-xss-protection': '0' } },
      },
    },
    {
      name: 'contentSecurityPolicyReportOnly',
      options: { contentSecurityPolicyReportOnly: "default-src 'self'; report-uri /csp" },
      expected: {
        next: { url: '/', headers: {} },
        response: {
          status: 200,
          headers: { 'content-security-policy-report-only': "default-src 'self'; report-uri /csp" },
        },
      },
    },
    {
      name: 'publicKey is sent over HTTPS',
      options: { publicKey: 'pin-sha256="base64=="; max-age=5184000' },
      request: { scheme: 'https' },
      expected: {
        next: { url: '/', headers: {} },
        response: { status: 200, headers: { 'public-key-pins': 'pin-sha256="base64=="; max-age=5184000' } },
      },
    },
    {
      name: 'publicKey is not sent over plain HTTP, even with forceSTSHeader',
      options: { publicKey: 'pin-sha256="x"', stsSeconds: 5, forceSTSHeader: true },
      expected: {
        next: { url: '/', headers: {} },
        response: { status: 200, headers: { 'strict-transport-security': 'max-age=5' } },
      },
    },
    {
      name: 'sslProxyHeaders make a plain HTTP request count as HTTPS for HSTS and publicKey',
      options: { stsSeconds: 60, publicKey: 'pin', sslProxyHeaders: { 'X-Forwarded-Proto': 'https' } },
      request: { headers: { 'x-forwarded-proto': 'https' } },
      expected: {
        next: { url: '/', headers: { 'x-forwarded-proto': 'https' } },
        response: {
          status: 200,
          headers: { 'strict-transport-security': 'max-age=60', 'public-key-pins': 'pin' },
        },
      },
    },
    {
      name: 'sslProxyHeaders need the exact value',
      options: { stsSeconds: 60, sslProxyHeaders: { 'X-Forwarded-Proto': 'https' } },
      request: { headers: { 'x-forwarded-proto': 'HTTPS' } },
      expected: {
        next: { url: '/', headers: { 'x-forwarded-proto': 'HTTPS' } },
        response: { status: 200, headers: {} },
      },
    },
    {
      name: 'sslProxyHeaders with an empty value match a request without the header (Go reads it as "")',
      options: { stsSeconds: 60, sslProxyHeaders: { 'X-Is-Https': '' } },
      expected: {
        next: { url: '/', headers: {} },
        response: { status: 200, headers: { 'strict-transport-security': 'max-age=60' } },
      },
    },
    {
      name: 'isDevelopment drops HSTS (even forced) and publicKey, keeps the other security headers',
      options: {
        isDevelopment: true,
        stsSeconds: 60,
        forceSTSHeader: true,
        publicKey: 'pin',
        frameDeny: true,
      },
      request: { scheme: 'https' },
      expected: {
        next: { url: '/', headers: {} },
        response: { status: 200, headers: { 'x-frame-options': 'DENY' } },
      },
    },
    {
      name: 'security headers override the backend, customResponseHeaders override security headers',
      options: {
        frameDeny: true,
        contentTypeNosniff: true,
        customResponseHeaders: { 'X-Frame-Options': 'SAMEORIGIN', 'X-Content-Type-Options': '' },
      },
      backend: { 'x-frame-options': 'ALLOW-FROM x', 'x-content-type-options': 'backend' },
      expected: {
        next: { url: '/', headers: {} },
        response: { status: 200, headers: { 'x-frame-options': 'SAMEORIGIN' } },
      },
    },
    {
      name: 'customRequestHeaders Host sets the host the service receives',
      options: { customRequestHeaders: { Host: 'internal.test' } },
      request: { headers: { host: 'public.test' } },
      expected: {
        next: { url: '/', headers: { host: 'internal.test' } },
        response: { status: 200, headers: {} },
      },
    },
    {
      name: 'the deprecated options do nothing, as in Traefik v3',
      options: {
        sslRedirect: true,
        sslTemporaryRedirect: true,
        sslHost: 'secure.test',
        sslForceHost: true,
        featurePolicy: "camera 'none'",
      },
      request: { headers: { host: 'plain.test' } },
      expected: {
        next: { url: '/', headers: { host: 'plain.test' } },
        response: { status: 200, headers: {} },
      },
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const run = await runMiddleware(headers(c.options), fakeRequest('/', c.request), c.backend);
      expect(run).toEqual(c.expected);
    });
  }
});

describe('headers: allowedHosts', () => {
  const badHost = (extra: OutgoingHttpHeaders = {}): MiddlewareRun => ({
    response: {
      status: 500,
      headers: {
        'content-type': 'text/plain; charset=utf-8',
        'x-content-type-options': 'nosniff',
        'content-length': '9',
        ...extra,
      },
    },
  });
  const cases: Array<{
    name: string;
    options: Options;
    request: FakeRequestOptions;
    expected: MiddlewareRun;
  }> = [
    {
      name: 'an allowed host passes, without case',
      options: { allowedHosts: ['App.Example.com'] },
      request: { headers: { host: 'app.example.COM' } },
      expected: {
        next: { url: '/', headers: { host: 'app.example.COM' } },
        response: { status: 200, headers: {} },
      },
    },
    {
      name: 'another host gets 500 Bad Host and never reaches the service',
      options: { allowedHosts: ['app.example.com'], frameDeny: true },
      request: { headers: { host: 'evil.test' } },
      expected: badHost(),
    },
    {
      name: 'the port is part of the host compared',
      options: { allowedHosts: ['app.example.com'] },
      request: { headers: { host: 'app.example.com:8080' } },
      expected: badHost(),
    },
    {
      name: 'hostsProxyHeaders: the first non-empty header gives the host',
      options: {
        allowedHosts: ['public.test'],
        hostsProxyHeaders: ['X-Empty', 'X-Forwarded-Host', 'X-Other'],
      },
      request: {
        headers: { host: 'internal:8080', 'x-empty': '', 'x-forwarded-host': 'public.test', 'x-other': 'no' },
      },
      expected: {
        next: {
          url: '/',
          headers: {
            host: 'internal:8080',
            'x-empty': '',
            'x-forwarded-host': 'public.test',
            'x-other': 'no',
          },
        },
        response: { status: 200, headers: {} },
      },
    },
    {
      name: 'isDevelopment skips the check',
      options: { allowedHosts: ['app.example.com'], isDevelopment: true },
      request: { headers: { host: 'localhost:3000' } },
      expected: {
        next: { url: '/', headers: { host: 'localhost:3000' } },
        response: { status: 200, headers: {} },
      },
    },
    {
      name: 'the check sees the host customRequestHeaders set',
      options: { allowedHosts: ['internal.test'], customRequestHeaders: { Host: 'internal.test' } },
      request: { headers: { host: 'public.test' } },
      expected: {
        next: { url: '/', headers: { host: 'internal.test' } },
        response: { status: 200, headers: {} },
      },
    },
    {
      name: 'Bad Host gets customResponseHeaders and CORS headers, not the security headers',
      options: {
        allowedHosts: ['app.example.com'],
        frameDeny: true,
        customResponseHeaders: { 'X-Served-By': 'wharf' },
        accessControlAllowOriginList: ['*'],
      },
      request: { headers: { host: 'evil.test', origin: 'https://x.test' } },
      expected: badHost({ 'x-served-by': 'wharf', 'access-control-allow-origin': '*' }),
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      expect(await runMiddleware(headers(c.options), fakeRequest('/', c.request))).toEqual(c.expected);
    });
  }
});

describe('headers: request headers removed', () => {
  it('an empty X-Forwarded-For leaves the key without a value (Go: nil), so the proxy adds none', async () => {
    const req = fakeRequest('/', { headers: { 'x-forwarded-for': '1.2.3.4', 'x-real-ip': '1.2.3.4' } });
    const run = await runMiddleware(
      headers({ customRequestHeaders: { 'X-Forwarded-For': '', 'X-Real-Ip': '' } }),
      req,
    );
    expect(run.next?.headers).toStrictEqual({ 'x-forwarded-for': undefined });
  });

  it('other empty values delete the key', async () => {
    const req = fakeRequest('/', { headers: { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'a.test' } });
    const run = await runMiddleware(
      headers({ customRequestHeaders: { 'x-forwarded-proto': '', 'X-Forwarded-Host': '' } }),
      req,
    );
    expect(run.next?.headers).toStrictEqual({});
  });
});

describe('headers: Content-Security-Policy nonce', () => {
  it('replaces $NONCE with a new random nonce per response, the same in both policies', async () => {
    const m = headers({
      contentSecurityPolicy: "script-src $NONCE 'strict-dynamic'",
      contentSecurityPolicyReportOnly: 'script-src $NONCE',
    });
    const nonces = [];
    for (let i = 0; i < 2; i++) {
      const h = (await runMiddleware(m, fakeRequest('/'))).response.headers;
      const csp = /^script-src 'nonce-([A-Za-z0-9+/]{22})' 'strict-dynamic'$/.exec(
        String(h['content-security-policy']),
      );
      expect(csp).not.toBeNull();
      expect(h['content-security-policy-report-only']).toBe(`script-src 'nonce-${csp?.[1]}'`);
      nonces.push(csp?.[1]);
    }
    expect(nonces[0]).not.toBe(nonces[1]);
  });
});

describe('headers: options that cannot work', () => {
  it.each([
    ['no option at all', {}, 'headers configuration not valid'],
    [
      'only empty maps and false flags',
      { customRequestHeaders: {}, sslRedirect: false, addVaryHeader: false },
      'headers configuration not valid',
    ],
    [
      'an origin pattern RE2 refuses',
      { accessControlAllowOriginListRegex: ['^https://ok\\.test$', '^(?!evil)'] },
      'accessControlAllowOriginListRegex[1] "^(?!evil)": ',
    ],
  ] as Array<[string, Options, string]>)('%s', (_name, options, message) => {
    expect(() => headers(options)).toThrow(message);
  });

  it('a single option that sets nothing by itself is enough, as in Traefik (stsSeconds: 0)', () => {
    expect(() => headers({ stsSeconds: 0 })).not.toThrow();
  });
});
