// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${1} in these cases is Go's replacement syntax
import { describe, expect, it } from 'vitest';
import type { RedirectRegexSchema } from '../../config/middlewares/redirect-regex.ts';
import {
  type FakeRequestOptions,
  fakeRequest,
  type MiddlewareRun,
  runMiddleware,
} from '../../test/helpers/middleware.ts';
import { redirectRegex } from './redirect-regex.ts';

type Options = import('zod').infer<typeof RedirectRegexSchema>;
const redirect = (status: number, location: string): MiddlewareRun => ({
  response: { status, headers: { location } },
});
const passed = (url: string, headers: Record<string, unknown>): MiddlewareRun => ({
  next: { url, headers },
  response: { status: 200, headers: {} },
});

describe('redirectRegex', () => {
  const host = { host: 'localhost' };
  const cases: Array<{
    name: string;
    options: Options;
    url: string;
    request?: FakeRequestOptions;
    expected: MiddlewareRun;
  }> = [
    {
      name: "Traefik's example: ${1} group, 302 for GET",
      options: { regex: '^http://localhost/(.*)', replacement: 'http://mydomain/${1}' },
      url: '/foo?a=1',
      expected: redirect(302, 'http://mydomain/foo?a=1'),
    },
    {
      name: '$1 without braces',
      options: { regex: '^http://localhost/(.*)', replacement: 'https://localhost/$1' },
      url: '/x',
      expected: redirect(302, 'https://localhost/x'),
    },
    {
      name: 'named group',
      options: { regex: '^http://(?P<host>[^/:]+)/(.*)', replacement: 'https://www.${host}/$2' },
      url: '/x',
      expected: redirect(302, 'https://www.localhost/x'),
    },
    {
      name: 'permanent: 301 for GET',
      options: { regex: '^http://localhost/(.*)', replacement: 'https://b.test/$1', permanent: true },
      url: '/x',
      expected: redirect(301, 'https://b.test/x'),
    },
    {
      name: 'permanent: 308 for POST',
      options: { regex: '^http://localhost/(.*)', replacement: 'https://b.test/$1', permanent: true },
      url: '/x',
      request: { method: 'POST', headers: host },
      expected: redirect(308, 'https://b.test/x'),
    },
    {
      name: 'HEAD gets 307 (Traefik keeps 302 for GET only)',
      options: { regex: '^http://localhost/(.*)', replacement: 'https://b.test/$1' },
      url: '/x',
      request: { method: 'HEAD', headers: host },
      expected: redirect(307, 'https://b.test/x'),
    },
    {
      name: 'the port of the Host header is part of the URL',
      options: { regex: '^http://localhost:8080/(.*)', replacement: 'http://localhost:9090/$1' },
      url: '/x',
      request: { headers: { host: 'localhost:8080' } },
      expected: redirect(302, 'http://localhost:9090/x'),
    },
    {
      name: 'over TLS the URL starts with https',
      options: { regex: '^https://localhost/(.*)', replacement: 'https://b.test/$1' },
      url: '/x',
      request: { scheme: 'https', headers: host },
      expected: redirect(302, 'https://b.test/x'),
    },
    {
      name: 'X-Forwarded-Proto does not change the scheme matched (as in Traefik)',
      options: { regex: '^https://(.*)', replacement: 'https://b.test/' },
      url: '/x',
      request: { headers: { host: 'localhost', 'x-forwarded-proto': 'https' } },
      expected: passed('/x', { host: 'localhost', 'x-forwarded-proto': 'https' }),
    },
    {
      name: 'no match: the request goes on',
      options: { regex: '^http://other/(.*)', replacement: 'http://b.test/$1' },
      url: '/x',
      expected: passed('/x', host),
    },
    {
      name: 'a replacement that gives the same URL: the request goes on',
      options: { regex: '^(http://localhost/.*)', replacement: '$1' },
      url: '/x',
      expected: passed('/x', host),
    },
    {
      name: 'unanchored: only the matched part is replaced',
      options: { regex: '/old/', replacement: '/new/' },
      url: '/old/x?q=/old/',
      expected: redirect(302, 'http://localhost/new/x?q=/new/'),
    },
    {
      name: 'the Location is escaped as Go writes it',
      options: { regex: '^http://localhost/(.*)', replacement: 'http://b.test/a b/é' },
      url: '/',
      expected: redirect(302, 'http://b.test/a%20b/%C3%A9'),
    },
    {
      name: 'a target Go cannot parse: 502 Bad Gateway, as oxy answers a *url.Error',
      options: { regex: '^http://localhost/(.*)', replacement: 'http://b.test/%zz' },
      url: '/',
      expected: { response: { status: 502, headers: {} } },
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const req = fakeRequest(c.url, c.request ?? { headers: host });
      expect(await runMiddleware(redirectRegex(c.options), req)).toEqual(c.expected);
    });
  }

  it('a regexp RE2 refuses is an error naming the option and the pattern', () => {
    expect(() => redirectRegex({ regex: '^(?=x)', replacement: '/' })).toThrow(
      /regex "\^\(\?=x\)" is not a valid Go regular expression: .*lookaround/,
    );
  });
});
