import { describe, expect, it } from 'vitest';
import { fakeRequest, type MiddlewareRun, runMiddleware } from '../../test/helpers/middleware.ts';
import { stripPrefix } from './strip-prefix.ts';

describe('stripPrefix', () => {
  const cases: Array<{ name: string; prefixes: string[]; url: string; expected: MiddlewareRun['next'] }> = [
    {
      name: 'removes the first matching prefix and keeps the query',
      prefixes: ['/api', '/a'],
      url: '/api/users?x=1',
      expected: { url: '/users?x=1', headers: { 'x-forwarded-prefix': '/api' } },
    },
    {
      name: 'leaves a rooted path',
      prefixes: ['/api'],
      url: '/api',
      expected: { url: '/', headers: { 'x-forwarded-prefix': '/api' } },
    },
    {
      name: 'is a plain string prefix, as in Traefik',
      prefixes: ['/api'],
      url: '/apiv2/x',
      expected: { url: '/v2/x', headers: { 'x-forwarded-prefix': '/api' } },
    },
    {
      name: 'changes nothing without a match',
      prefixes: ['/api'],
      url: '/other',
      expected: { url: '/other', headers: {} },
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const run = await runMiddleware(stripPrefix({ prefixes: c.prefixes }), fakeRequest(c.url));
      expect(run.next).toEqual(c.expected);
    });
  }
});
