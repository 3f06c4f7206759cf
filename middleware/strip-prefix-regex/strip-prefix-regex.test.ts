import { describe, expect, it } from 'vitest';
import type { StripPrefixRegexSchema } from '../../config/middlewares/strip-prefix-regex.ts';
import { fakeRequest, type MiddlewareRun, runMiddleware } from '../../test/helpers/middleware.ts';
import { encodedLength, stripPrefixRegex } from './strip-prefix-regex.ts';

type Options = import('zod').infer<typeof StripPrefixRegexSchema>;
const passed = (url: string, headers: Record<string, unknown>): MiddlewareRun => ({
  next: { url, headers },
  response: { status: 200, headers: {} },
});

describe('stripPrefixRegex', () => {
  const cases: Array<{
    name: string;
    options: Options;
    url: string;
    headers?: Record<string, string>;
    expected: MiddlewareRun;
  }> = [
    {
      name: "Traefik's example /foo/[a-z0-9]+/[0-9]+/: the match goes, X-Forwarded-Prefix tells it",
      options: { regex: ['/foo/[a-z0-9]+/[0-9]+/'] },
      url: '/foo/abc/123/bar?q=1',
      expected: passed('/bar?q=1', { 'x-forwarded-prefix': '/foo/abc/123/' }),
    },
    {
      name: 'a prefix without its trailing slash leaves the slash',
      options: { regex: ['^/api'] },
      url: '/api/users',
      expected: passed('/users', { 'x-forwarded-prefix': '/api' }),
    },
    {
      name: 'the whole path stripped: sent as /',
      options: { regex: ['^/api/?'] },
      url: '/api/?x=1',
      expected: passed('/?x=1', { 'x-forwarded-prefix': '/api/' }),
    },
    {
      name: 'a match that is not at the start is no prefix: the next regexp is tried',
      options: { regex: ['b', '^/a'] },
      url: '/a/b',
      expected: passed('/b', { 'x-forwarded-prefix': '/a' }),
    },
    {
      name: 'the first matching regexp wins',
      options: { regex: ['^/a/b', '^/a'] },
      url: '/a/b/c',
      expected: passed('/c', { 'x-forwarded-prefix': '/a/b' }),
    },
    {
      name: 'no match: unchanged',
      options: { regex: ['^/x'] },
      url: '/a',
      expected: passed('/a', {}),
    },
    {
      name: 'the regexp sees the decoded path; the rest keeps its escapes',
      options: { regex: ['^/é/'] },
      url: '/%C3%A9/a%2Fb',
      expected: passed('/a%2Fb', { 'x-forwarded-prefix': '/é/' }),
    },
    {
      name: 'an escaped slash in the prefix is cut with its escape',
      options: { regex: ['^/a/b'] },
      url: '/a%2Fb/c',
      expected: passed('/c', { 'x-forwarded-prefix': '/a/b' }),
    },
    {
      name: 'a rest that cleaning would change: 400 (possible with sanitizePath off)',
      options: { regex: ['^/api'] },
      url: '/api//x',
      expected: {
        response: {
          status: 400,
          headers: { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' },
        },
      },
    },
    {
      name: 'an X-Forwarded-Prefix already there (from a trusted peer) stays first',
      options: { regex: ['^/api'] },
      url: '/api/x',
      headers: { 'x-forwarded-prefix': '/outer' },
      expected: passed('/x', { 'x-forwarded-prefix': ['/outer', '/api'] }),
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const req = fakeRequest(c.url, { headers: c.headers ?? {} });
      expect(await runMiddleware(stripPrefixRegex(c.options), req)).toEqual(c.expected);
    });
  }

  it('encodedLength counts an escape as one byte', () => {
    expect(encodedLength('/a%2Fb/c', 4)).toBe(6);
    expect(encodedLength('/ab', 9)).toBe(3);
  });

  it('a regexp RE2 refuses is an error naming its index', () => {
    expect(() => stripPrefixRegex({ regex: ['^/ok', '(?<!x)y'] })).toThrow(/regex\[1\] "\(\?<!x\)y"/);
  });
});
