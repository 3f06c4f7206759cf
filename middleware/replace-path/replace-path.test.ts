import { describe, expect, it } from 'vitest';
import { fakeRequest, type MiddlewareRun, runMiddleware } from '../../test/helpers/middleware.ts';
import { replacePath } from './replace-path.ts';

describe('replacePath', () => {
  const cases: Array<{ name: string; path: string; url: string; expected: MiddlewareRun['next'] }> = [
    {
      name: 'replaces the path, keeps the query and sends the old path in X-Replaced-Path',
      path: '/new',
      url: '/old/path?q=2',
      expected: { url: '/new?q=2', headers: { 'x-replaced-path': '/old/path' } },
    },
    {
      name: 'without a query',
      path: '/',
      url: '/a',
      expected: { url: '/', headers: { 'x-replaced-path': '/a' } },
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const run = await runMiddleware(replacePath({ path: c.path }), fakeRequest(c.url));
      expect(run.next).toEqual(c.expected);
    });
  }
});
