import type { IncomingHttpHeaders } from 'node:http';
import { describe, expect, it } from 'vitest';
import { compileLinearRegexp, type LinearRegexp } from '../../core/regexp/linear-regexp.ts';
import {
  type AuthRequestSource,
  applyAuthResponseHeaders,
  authRequestHeaders,
  canonicalHeaderKey,
  deniedLocation,
  deniedResponseHeaders,
  type HeaderMap,
  mergeAuthCookies,
} from './auth-headers.ts';

// Expected values follow Traefik v3.7 pkg/middlewares/auth/forward.go (writeHeader, oldWriteHeader,
// filterForwardRequestHeaders, forwardedPort) and the entryPoint's headers (forwardedheaders): the entryPoint
// has already set X-Real-Ip, X-Forwarded-Proto/-Port/-Host/-Server when the middleware runs.

const entry: IncomingHttpHeaders = {
  host: 'app.test:8443',
  'user-agent': 'curl/8',
  accept: '*/*',
  cookie: 'session=abc',
  'x-real-ip': '10.0.0.9',
  'x-forwarded-proto': 'https',
  'x-forwarded-port': '8443',
  'x-forwarded-host': 'app.test:8443',
  'x-forwarded-server': 'wharf-1',
};
const src = (headers: IncomingHttpHeaders, more: Partial<AuthRequestSource> = {}): AuthRequestSource => ({
  headers,
  method: 'POST',
  url: '/a/b?x=1',
  clientIp: '10.0.0.9',
  scheme: 'https',
  ...more,
});

describe('authRequestHeaders', () => {
  const cases: Array<{
    name: string;
    source: AuthRequestSource;
    trust: boolean | undefined;
    allow?: string[];
    expected: HeaderMap;
  }> = [
    {
      name: 'trustForwardHeader unset (legacy): For, Proto, Method, Host, Uri replaced; Port, Server, Real-Ip, Prefix kept',
      source: src({
        ...entry,
        'x-forwarded-for': '1.1.1.1',
        'x-forwarded-prefix': '/a',
        'x-forwarded-uri': '/evil',
      }),
      trust: undefined,
      expected: {
        'user-agent': 'curl/8',
        accept: '*/*',
        cookie: 'session=abc',
        'x-real-ip': '10.0.0.9',
        'x-forwarded-proto': 'https',
        'x-forwarded-port': '8443',
        'x-forwarded-host': 'app.test:8443',
        'x-forwarded-server': 'wharf-1',
        'x-forwarded-prefix': '/a',
        'x-forwarded-for': '10.0.0.9',
        'x-forwarded-method': 'POST',
        'x-forwarded-uri': '/a/b?x=1',
      },
    },
    {
      name: 'trustForwardHeader false: every X-Forwarded-* and X-Real-Ip (underscore spellings too) replaced by our own',
      source: src(
        { ...entry, 'x-forwarded-for': '1.1.1.1', x_forwarded_method: 'DELETE', 'x-forwarded-prefix': '/a' },
        { scheme: 'http' },
      ),
      trust: false,
      expected: {
        'user-agent': 'curl/8',
        accept: '*/*',
        cookie: 'session=abc',
        'x-forwarded-for': '10.0.0.9',
        'x-forwarded-method': 'POST',
        'x-forwarded-proto': 'http',
        'x-forwarded-port': '8443',
        'x-forwarded-host': 'app.test:8443',
        'x-forwarded-uri': '/a/b?x=1',
      },
    },
    {
      name: 'trustForwardHeader false, Host without port: X-Forwarded-Port from the scheme',
      source: src({ host: 'app.test' }, { scheme: 'https', method: 'GET', url: '/' }),
      trust: false,
      expected: {
        'x-forwarded-for': '10.0.0.9',
        'x-forwarded-method': 'GET',
        'x-forwarded-proto': 'https',
        'x-forwarded-port': '443',
        'x-forwarded-host': 'app.test',
        'x-forwarded-uri': '/',
      },
    },
    {
      name: 'trustForwardHeader true: trusted values kept, the client appended to X-Forwarded-For',
      source: src({
        ...entry,
        'x-forwarded-for': '1.1.1.1, 2.2.2.2',
        'x-forwarded-method': 'PUT',
        'x-forwarded-uri': '/orig',
        'x-forwarded-prefix': '/a',
      }),
      trust: true,
      expected: {
        'user-agent': 'curl/8',
        accept: '*/*',
        cookie: 'session=abc',
        'x-real-ip': '10.0.0.9',
        'x-forwarded-proto': 'https',
        'x-forwarded-port': '8443',
        'x-forwarded-host': 'app.test:8443',
        'x-forwarded-server': 'wharf-1',
        'x-forwarded-for': '1.1.1.1, 2.2.2.2, 10.0.0.9',
        'x-forwarded-method': 'PUT',
        'x-forwarded-uri': '/orig',
        'x-forwarded-prefix': '/a',
      },
    },
    {
      name: 'hop-by-hop headers, those Connection names, Host, framing, Trailer and Expect never reach the auth server',
      source: src(
        {
          host: 'app.test',
          connection: 'keep-alive, x-private',
          'keep-alive': 'timeout=5',
          te: 'trailers',
          trailer: 'x-sum',
          'transfer-encoding': 'chunked',
          'content-length': '12',
          upgrade: 'websocket',
          expect: '100-continue',
          'x-private': 'secret',
          'proxy-authorization': 'Basic eA==',
          authorization: 'Bearer t',
        },
        { method: 'GET', url: '/' },
      ),
      trust: false,
      expected: {
        'proxy-authorization': 'Basic eA==',
        authorization: 'Bearer t',
        'x-forwarded-for': '10.0.0.9',
        'x-forwarded-method': 'GET',
        'x-forwarded-proto': 'https',
        'x-forwarded-port': '443',
        'x-forwarded-host': 'app.test',
        'x-forwarded-uri': '/',
      },
    },
    {
      name: 'authRequestHeaders filters the copied headers; the X-Forwarded-* set afterwards are always sent',
      source: src({ ...entry, 'x-forwarded-prefix': '/a' }, { method: 'GET' }),
      trust: false,
      allow: ['cookie', 'x-missing'],
      expected: {
        cookie: 'session=abc',
        'x-forwarded-for': '10.0.0.9',
        'x-forwarded-method': 'GET',
        'x-forwarded-proto': 'https',
        'x-forwarded-port': '8443',
        'x-forwarded-host': 'app.test:8443',
        'x-forwarded-uri': '/a/b?x=1',
      },
    },
    {
      name: 'authRequestHeaders with trustForwardHeader true also lets the managed X-headers through',
      source: src({ ...entry, 'x-forwarded-prefix': '/a' }, { method: 'GET' }),
      trust: true,
      allow: ['cookie'],
      expected: {
        cookie: 'session=abc',
        'x-real-ip': '10.0.0.9',
        'x-forwarded-proto': 'https',
        'x-forwarded-port': '8443',
        'x-forwarded-host': 'app.test:8443',
        'x-forwarded-server': 'wharf-1',
        'x-forwarded-prefix': '/a',
        'x-forwarded-for': '10.0.0.9',
        'x-forwarded-method': 'GET',
        'x-forwarded-uri': '/a/b?x=1',
      },
    },
    {
      name: 'no User-Agent from the client: none is sent; repeated values stay separate',
      source: src({ host: 'h', 'x-multi': ['a', 'b'] }, { scheme: 'http', method: 'GET', url: '/' }),
      trust: false,
      expected: {
        'x-multi': ['a', 'b'],
        'x-forwarded-for': '10.0.0.9',
        'x-forwarded-method': 'GET',
        'x-forwarded-proto': 'http',
        'x-forwarded-port': '80',
        'x-forwarded-host': 'h',
        'x-forwarded-uri': '/',
      },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const out = authRequestHeaders(c.source, {
        trustForwardHeader: c.trust,
        authRequestHeaders: c.allow ?? [],
      });
      expect(out).toEqual(c.expected);
    });
  }

  it('does not change the request headers it reads', () => {
    const headers: IncomingHttpHeaders = { ...entry, 'x-multi': ['a'] };
    const copy = structuredClone(headers);
    authRequestHeaders(src(headers), { trustForwardHeader: false, authRequestHeaders: [] });
    expect(headers).toEqual(copy);
  });
});

const re = (source: string): LinearRegexp => {
  const r = compileLinearRegexp(source);
  if (!r.ok) throw new Error(r.problem);
  return r.regexp;
};

describe('applyAuthResponseHeaders', () => {
  const cases: Array<{
    name: string;
    request: IncomingHttpHeaders;
    response: Record<string, string | string[]>;
    names?: string[];
    regexp?: string;
    expected: IncomingHttpHeaders;
  }> = [
    {
      name: 'authResponseHeaders: set from the answer, and a spoofed request value removed even when the answer lacks it',
      request: { host: 'a', 'remote-user': 'mallory', 'remote-groups': 'admins', accept: '*/*' },
      response: { 'remote-user': 'alice', 'content-type': 'text/plain' },
      names: ['remote-user', 'remote-groups'],
      expected: { host: 'a', 'remote-user': 'alice', accept: '*/*' },
    },
    {
      name: 'authResponseHeadersRegex: matched on the canonical name, request matches removed, answer matches copied',
      request: { host: 'a', 'x-authentik-username': 'mallory', 'x-authentik-jwt': 'forged', 'x-other': 'o' },
      response: {
        'x-authentik-username': 'akadmin',
        'x-authentik-groups': 'admins|users',
        server: 'outpost',
      },
      regexp: '^X-Authentik-',
      expected: {
        host: 'a',
        'x-authentik-username': 'akadmin',
        'x-authentik-groups': 'admins|users',
        'x-other': 'o',
      },
    },
    {
      name: 'a regexp that matches everything never touches Host, framing or hop-by-hop headers',
      request: { host: 'a', 'content-length': '3', 'x-a': '1' },
      response: { 'content-length': '99', connection: 'keep-alive', 'x-b': '2', 'set-cookie': ['s=1'] },
      regexp: '.*',
      expected: { host: 'a', 'content-length': '3', 'x-b': '2', 'set-cookie': ['s=1'] },
    },
    {
      name: 'names are case-insensitive; several values are kept',
      request: { host: 'a' },
      response: { 'x-groups': ['a', 'b'] },
      names: ['x-groups'],
      expected: { host: 'a', 'x-groups': ['a', 'b'] },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const request = { ...c.request };
      applyAuthResponseHeaders(request, c.response, {
        names: c.names ?? [],
        regexp: c.regexp === undefined ? undefined : re(c.regexp),
      });
      expect(request).toEqual(c.expected);
    });
  }
});

describe('canonicalHeaderKey', () => {
  it.each([
    ['x-auth-user', 'X-Auth-User'],
    ['remote-user', 'Remote-User'],
    ['x_forwarded_for', 'X_forwarded_for'],
    ['www-authenticate', 'Www-Authenticate'],
  ])('%s → %s', (input, output) => expect(canonicalHeaderKey(input)).toBe(output));
});

describe('deniedLocation', () => {
  const address = 'http://auth.internal:9091/api/verify?x=1';
  it.each([
    [
      'absolute, as written',
      'https://login.test?rd=https%3A%2F%2Fapp.test%2F',
      false,
      'https://login.test?rd=https%3A%2F%2Fapp.test%2F',
    ],
    ['relative, resolved against the address', '/login?rd=x', false, 'http://auth.internal:9091/login?rd=x'],
    [
      'relative path, resolved against the address path',
      'signin',
      false,
      'http://auth.internal:9091/api/signin',
    ],
    ['relative, preserveLocationHeader keeps it', '/login?rd=x', true, '/login?rd=x'],
    ['none', undefined, false, undefined],
  ] as const)('%s', (_name, location, preserve, expected) => {
    expect(deniedLocation(location, address, preserve)).toBe(expected);
  });
});

describe('deniedResponseHeaders', () => {
  it('passes the auth server headers on, minus hop-by-hop ones and Content-Length', () => {
    expect(
      deniedResponseHeaders({
        'www-authenticate': 'Basic realm="x"',
        'set-cookie': ['a=1', 'b=2'],
        connection: 'keep-alive',
        'keep-alive': 'timeout=5',
        'content-length': '12',
        'content-type': 'text/html',
      }),
    ).toEqual({
      'www-authenticate': 'Basic realm="x"',
      'set-cookie': ['a=1', 'b=2'],
      'content-type': 'text/html',
    });
  });
});

describe('mergeAuthCookies', () => {
  it.each([
    {
      name: "listed cookies come from the auth server, replacing the backend's; others from the backend",
      backend: ['session=backend; Path=/', 'theme=dark'],
      auth: ['session=auth; HttpOnly', 'csrf=x'],
      names: ['session'],
      expected: ['theme=dark', 'session=auth; HttpOnly'],
    },
    {
      name: "an empty list keeps the backend's cookies only",
      backend: ['a=1'],
      auth: ['b=2'],
      names: [],
      expected: ['a=1'],
    },
    {
      name: 'a listed cookie the auth server did not set is still dropped from the backend answer',
      backend: ['session=backend', 'a=1'],
      auth: ['other=1'],
      names: ['session'],
      expected: ['a=1'],
    },
  ])('$name', ({ backend, auth, names, expected }) => {
    expect(mergeAuthCookies(backend, auth, new Set(names))).toEqual(expected);
  });
});
