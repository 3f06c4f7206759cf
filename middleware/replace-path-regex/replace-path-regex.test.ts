import { describe, expect, it } from 'vitest';
import type { ReplacePathRegexSchema } from '../../config/middlewares/replace-path-regex.ts';
import { fakeRequest, type MiddlewareRun, runMiddleware } from '../../test/helpers/middleware.ts';
import { replacePathRegex } from './replace-path-regex.ts';

type Options = import('zod').infer<typeof ReplacePathRegexSchema>;
const passed = (url: string, headers: Record<string, unknown>): MiddlewareRun => ({
  next: { url, headers },
  response: { status: 200, headers: {} },
});
const plain = (status: number): MiddlewareRun['response'] => ({
  status,
  headers: { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' },
});

describe('replacePathRegex', () => {
  const cases: Array<{
    name: string;
    options: Options;
    url: string;
    headers?: Record<string, string>;
    expected: MiddlewareRun;
  }> = [
    {
      name: "Traefik's example: ^/foo/(.*) → /bar/$1, query kept, original in X-Replaced-Path",
      options: { regex: '^/foo/(.*)', replacement: '/bar/$1' },
      url: '/foo/x?q=1',
      expected: passed('/bar/x?q=1', { 'x-replaced-path': '/foo/x' }),
    },
    {
      name: 'the query is not matched',
      options: { regex: 'q=1', replacement: '/no' },
      url: '/foo?q=1',
      expected: passed('/foo?q=1', {}),
    },
    {
      name: 'the regexp sees escapes as sent, and they stay escaped',
      options: { regex: '^/a%2Fb/(.*)', replacement: '/c%2Fd/$1' },
      url: '/a%2Fb/x',
      expected: passed('/c%2Fd/x', { 'x-replaced-path': '/a%2Fb/x' }),
    },
    {
      name: 'spaces around regex and replacement are ignored (Traefik trims them)',
      options: { regex: ' ^/foo ', replacement: ' /bar ' },
      url: '/foo',
      expected: passed('/bar', { 'x-replaced-path': '/foo' }),
    },
    {
      name: 'an X-Replaced-Path already there is kept first (Go Header.Add)',
      options: { regex: '^/foo', replacement: '/bar' },
      url: '/foo',
      headers: { 'x-replaced-path': '/outer' },
      expected: passed('/bar', { 'x-replaced-path': ['/outer', '/foo'] }),
    },
    {
      name: 'an empty result is sent as /',
      options: { regex: '^/foo$', replacement: '' },
      url: '/foo?x',
      expected: passed('/?x', { 'x-replaced-path': '/foo' }),
    },
    {
      name: 'a malformed escape in the new path: 500 with Go’s message',
      options: { regex: '^/foo', replacement: '/%zz' },
      url: '/foo',
      expected: { response: plain(500) },
    },
    {
      name: 'a new path that cleaning would change: 400',
      options: { regex: '^/foo/(.*)', replacement: '/bar/../$1' },
      url: '/foo/x',
      expected: { response: plain(400) },
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const req = fakeRequest(c.url, { headers: c.headers ?? {} });
      expect(await runMiddleware(replacePathRegex(c.options), req)).toEqual(c.expected);
    });
  }

  it('a regexp RE2 refuses is an error naming it', () => {
    expect(() => replacePathRegex({ regex: '(a)\\1', replacement: '/' })).toThrow(/backreferences/);
  });
});
