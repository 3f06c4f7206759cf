import { describe, expect, it } from 'vitest';
import { RedirectSchemeSchema } from '../../config/dynamic.ts';
import {
  type FakeRequestOptions,
  fakeRequest,
  type MiddlewareRun,
  runMiddleware,
} from '../../test/helpers/middleware.ts';
import { redirectLocation, redirectScheme } from './redirect-scheme.ts';

type Options = import('zod').infer<typeof RedirectSchemeSchema>;
const redirect = (status: number, location: string): MiddlewareRun => ({
  response: { status, headers: { location } },
});
const passed = (url: string, headers: Record<string, unknown>): MiddlewareRun => ({
  next: { url, headers },
  response: { status: 200, headers: {} },
});

describe('redirectScheme', () => {
  const cases: Array<{
    name: string;
    options: Options;
    url: string;
    request: FakeRequestOptions;
    expected: MiddlewareRun;
  }> = [
    {
      name: 'http to https: 302 for GET, path and query kept, port of the Host dropped',
      options: { scheme: 'https' },
      url: '/p?q=1',
      request: { headers: { host: 'a.test:8000' } },
      expected: redirect(302, 'https://a.test/p?q=1'),
    },
    {
      name: 'permanent: 301 for GET',
      options: { scheme: 'https', permanent: true },
      url: '/',
      request: { headers: { host: 'a.test' } },
      expected: redirect(301, 'https://a.test/'),
    },
    {
      name: 'permanent: 308 for POST, so the body is sent again',
      options: { scheme: 'https', permanent: true },
      url: '/form',
      request: { method: 'POST', headers: { host: 'a.test' } },
      expected: redirect(308, 'https://a.test/form'),
    },
    {
      name: 'not permanent: 307 for PUT',
      options: { scheme: 'https' },
      url: '/x',
      request: { method: 'PUT', headers: { host: 'a.test' } },
      expected: redirect(307, 'https://a.test/x'),
    },
    {
      name: 'a port other than the scheme default is written',
      options: { scheme: 'https', port: '8443' },
      url: '/',
      request: { headers: { host: 'a.test' } },
      expected: redirect(302, 'https://a.test:8443/'),
    },
    {
      name: 'a numeric port (read as text, as Traefik does) equal to the default is left out',
      options: RedirectSchemeSchema.parse({ scheme: 'https', port: 443 }),
      url: '/',
      request: { headers: { host: 'a.test:80' } },
      expected: redirect(302, 'https://a.test/'),
    },
    {
      name: 'HEAD is not GET: 307, as Traefik answers every method but GET',
      options: { scheme: 'https' },
      url: '/h',
      request: { method: 'HEAD', headers: { host: 'a.test' } },
      expected: redirect(307, 'https://a.test/h'),
    },
    {
      name: 'on the scheme but another port: redirected to the configured (default) port, as Traefik does',
      options: { scheme: 'https' },
      url: '/',
      request: { scheme: 'https', headers: { host: 'a.test:8443' } },
      expected: redirect(302, 'https://a.test/'),
    },
    {
      name: 'on the scheme and the configured port: goes on',
      options: { scheme: 'https', port: '8443' },
      url: '/',
      request: { scheme: 'https', headers: { host: 'a.test:8443' } },
      expected: passed('/', { host: 'a.test:8443' }),
    },
    {
      name: 'X-Forwarded-Proto wss counts as https',
      options: { scheme: 'https' },
      url: '/',
      request: { headers: { host: 'a.test', 'x-forwarded-proto': 'wss' } },
      expected: passed('/', { host: 'a.test', 'x-forwarded-proto': 'wss' }),
    },
    {
      name: 'an X-Forwarded-Proto that is no scheme is ignored: the connection decides',
      options: { scheme: 'https' },
      url: '/',
      request: { headers: { host: 'a.test', 'x-forwarded-proto': 'gopher' } },
      expected: redirect(302, 'https://a.test/'),
    },
    {
      name: 'a request already on the scheme goes on',
      options: { scheme: 'https' },
      url: '/',
      request: { scheme: 'https', headers: { host: 'a.test' } },
      expected: passed('/', { host: 'a.test' }),
    },
    {
      name: 'X-Forwarded-Proto (cleaned by the entryPoint) says which scheme the client used',
      options: { scheme: 'HTTPS' },
      url: '/',
      request: { headers: { host: 'a.test', 'x-forwarded-proto': 'https' } },
      expected: passed('/', { host: 'a.test', 'x-forwarded-proto': 'https' }),
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      expect(await runMiddleware(redirectScheme(c.options), fakeRequest(c.url, c.request))).toEqual(
        c.expected,
      );
    });
  }
});

describe('redirect helpers', () => {
  const cases: Array<{
    host: string;
    url: string;
    scheme: string;
    port: string | undefined;
    expected: string | undefined;
  }> = [
    { host: 'a.test', url: '/p?q=1', scheme: 'https', port: undefined, expected: 'https://a.test/p?q=1' },
    { host: 'a.test:8000', url: '/', scheme: 'https', port: '8443', expected: 'https://a.test:8443/' },
    { host: 'a.test:8000', url: '/', scheme: 'https', port: '443', expected: 'https://a.test/' },
    { host: '[::1]:8000', url: '/x', scheme: 'https', port: undefined, expected: 'https://[::1]/x' },
    { host: 'a.test:80', url: '/', scheme: 'http', port: undefined, expected: undefined },
    { host: 'a.test:8080', url: '/', scheme: 'http', port: '8080', expected: undefined },
  ];
  for (const c of cases) {
    it(`${c.host}${c.url} → ${c.expected}`, () => {
      expect(redirectLocation(fakeRequest(c.url, { headers: { host: c.host } }), c.scheme, c.port)).toBe(
        c.expected,
      );
    });
  }
});
