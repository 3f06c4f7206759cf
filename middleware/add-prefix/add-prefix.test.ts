import { describe, expect, it } from 'vitest';
import { fakeRequest, type MiddlewareRun, runMiddleware } from '../../test/helpers/middleware.ts';
import { addPrefix } from './add-prefix.ts';

describe('addPrefix', () => {
  const cases: Array<{ name: string; prefix: string; url: string; expected: MiddlewareRun['next'] }> = [
    {
      name: 'puts the prefix in front and keeps the query',
      prefix: '/v1',
      url: '/users?x=1',
      expected: { url: '/v1/users?x=1', headers: {} },
    },
    {
      name: 'a trailing slash on the prefix is not doubled',
      prefix: '/v1/',
      url: '/users',
      expected: { url: '/v1/users', headers: {} },
    },
    {
      // Traefik's addprefix test "Works without leading slash": prefix `a`, path `/` gives `/a/`
      name: 'a prefix without a leading slash gets one, as in Traefik',
      prefix: 'a',
      url: '/',
      expected: { url: '/a/', headers: {} },
    },
    {
      name: 'a prefix without a leading slash before a path',
      prefix: 'api',
      url: '/b?q',
      expected: { url: '/api/b?q', headers: {} },
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const run = await runMiddleware(addPrefix({ prefix: c.prefix }), fakeRequest(c.url));
      expect(run.next).toEqual(c.expected);
    });
  }
});
