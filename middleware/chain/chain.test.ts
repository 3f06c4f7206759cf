import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/log.ts';
import { fakeRequest, type MiddlewareRun, runMiddleware } from '../../test/helpers/middleware.ts';
import { addPrefix } from '../add-prefix/add-prefix.ts';
import { systemClock } from '../clock.ts';
import type { Middleware } from '../middleware.ts';
import { stripPrefix } from '../strip-prefix/strip-prefix.ts';
import { chain } from './chain.ts';

// The members a chain may name in these cases, as resolve would hand them over once built.
const members: Record<string, Middleware> = {
  'strip-api': stripPrefix({ prefixes: ['/api'] }),
  'add-v2': addPrefix({ prefix: '/v2' }),
};

describe('chain', () => {
  const cases: Array<{ name: string; middlewares: string[]; url: string; expected: MiddlewareRun['next'] }> =
    [
      {
        name: 'runs its members in the order given',
        middlewares: ['strip-api', 'add-v2'],
        url: '/api/users',
        expected: { url: '/v2/users', headers: { 'x-forwarded-prefix': '/api' } },
      },
      {
        name: 'the other order gives the other result',
        middlewares: ['add-v2', 'strip-api'],
        url: '/api/users',
        expected: { url: '/v2/api/users', headers: {} },
      },
      {
        name: 'an empty chain passes the request through',
        middlewares: [],
        url: '/api/users',
        expected: { url: '/api/users', headers: {} },
      },
    ];
  for (const c of cases) {
    it(c.name, async () => {
      const resolved: string[] = [];
      const runtime = chain.create(
        { middlewares: c.middlewares },
        {
          name: 'c@file',
          router: undefined,
          resolve: (reference) => {
            resolved.push(reference);
            return members[reference]!;
          },
          logger: silentLogger(),
          clock: systemClock,
        },
      );
      const run = await runMiddleware(runtime.wrap, fakeRequest(c.url));
      expect(run.next).toEqual(c.expected);
      expect(resolved).toEqual(c.middlewares);
    });
  }

  it('declares its members as references, unqualified as written', () => {
    expect(chain.references?.({ middlewares: ['a', 'b@docker'] })).toEqual(['a', 'b@docker']);
  });
});
