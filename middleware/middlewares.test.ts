import { IncomingMessage, type ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { addPrefix } from './add-prefix/add-prefix.ts';
import type { Middleware } from './middleware.ts';
import { hostWithoutPort, redirectLocation } from './redirect-scheme/redirect-scheme.ts';
import { replacePath } from './replace-path/replace-path.ts';
import { setRequestState } from './request-state.ts';
import { stripPrefix } from './strip-prefix/strip-prefix.ts';

function request(url: string, headers: Record<string, string> = {}): IncomingMessage {
  const req = new IncomingMessage(new Socket());
  req.url = url;
  req.headers = { ...headers };
  setRequestState(req, {
    entryPoint: 'web',
    scheme: 'http',
    clientIp: '127.0.0.1',
    start: 0n,
    originalUrl: url,
  });
  return req;
}

/** Runs a middleware and returns the URL and the headers the next handler saw. */
async function seen(m: Middleware, url: string): Promise<{ url: string; headers: Record<string, unknown> }> {
  let out = { url: '', headers: {} as Record<string, unknown> };
  const req = request(url);
  await m(async (r) => {
    out = { url: r.url ?? '', headers: { ...r.headers } };
  })(req, {} as ServerResponse);
  return out;
}

describe('path middlewares', () => {
  const cases: Array<{
    name: string;
    m: Middleware;
    url: string;
    expected: { url: string; headers: Record<string, unknown> };
  }> = [
    {
      name: 'stripPrefix removes the first matching prefix and keeps the query',
      m: stripPrefix({ prefixes: ['/api', '/a'] }),
      url: '/api/users?x=1',
      expected: { url: '/users?x=1', headers: { 'x-forwarded-prefix': '/api' } },
    },
    {
      name: 'stripPrefix leaves a rooted path',
      m: stripPrefix({ prefixes: ['/api'] }),
      url: '/api',
      expected: { url: '/', headers: { 'x-forwarded-prefix': '/api' } },
    },
    {
      name: 'stripPrefix is a plain string prefix, as in Traefik',
      m: stripPrefix({ prefixes: ['/api'] }),
      url: '/apiv2/x',
      expected: { url: '/v2/x', headers: { 'x-forwarded-prefix': '/api' } },
    },
    {
      name: 'stripPrefix without a match changes nothing',
      m: stripPrefix({ prefixes: ['/api'] }),
      url: '/other',
      expected: { url: '/other', headers: {} },
    },
    {
      name: 'addPrefix',
      m: addPrefix({ prefix: '/v1' }),
      url: '/users?x=1',
      expected: { url: '/v1/users?x=1', headers: {} },
    },
    {
      name: 'addPrefix with a trailing slash does not double it',
      m: addPrefix({ prefix: '/v1/' }),
      url: '/users',
      expected: { url: '/v1/users', headers: {} },
    },
    {
      name: 'replacePath',
      m: replacePath({ path: '/new' }),
      url: '/old/path?q=2',
      expected: { url: '/new?q=2', headers: { 'x-replaced-path': '/old/path' } },
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      expect(await seen(c.m, c.url)).toEqual(c.expected);
    });
  }
});

describe('redirect helpers', () => {
  const cases: Array<{
    host: string;
    url: string;
    scheme: string;
    port: string | undefined;
    expected: string;
  }> = [
    { host: 'a.test', url: '/p?q=1', scheme: 'https', port: undefined, expected: 'https://a.test/p?q=1' },
    { host: 'a.test:8000', url: '/', scheme: 'https', port: '8443', expected: 'https://a.test:8443/' },
    { host: 'a.test:8000', url: '/', scheme: 'https', port: '443', expected: 'https://a.test/' },
    { host: '[::1]:8000', url: '/x', scheme: 'https', port: undefined, expected: 'https://[::1]/x' },
  ];
  for (const c of cases) {
    it(`${c.host}${c.url} → ${c.expected}`, () => {
      expect(redirectLocation(request(c.url, { host: c.host }), c.scheme, c.port)).toBe(c.expected);
    });
  }
  it('hostWithoutPort', () => {
    expect(['a:1', 'a', '[::1]:8', '[::1]'].map(hostWithoutPort)).toEqual(['a', 'a', '[::1]', '[::1]']);
  });
});
