import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/log.ts';
import { fakeRequest, runMiddleware } from '../../test/helpers/middleware.ts';
import { systemClock } from '../clock.ts';
import type { MiddlewareContext } from '../middleware.ts';
import { circuitBreaker } from './circuit-breaker.ts';

const ctx: MiddlewareContext = {
  name: 'cb@file',
  router: 'web@file',
  resolve: () => {
    throw new Error('no references');
  },
  logger: silentLogger(),
  clock: systemClock,
};

/** A breaker tripped by its first response (any request counts: RequestThreshold() > 0). */
async function tripped(responseCode?: number) {
  const m = circuitBreaker.create({ expression: 'RequestThreshold() > 0', responseCode }, ctx);
  await runMiddleware(m.wrap, fakeRequest('/'));
  return m;
}

describe('circuitBreaker: the fallback answer', () => {
  const cases: Array<[number | undefined, number, string]> = [
    [undefined, 503, 'Service Unavailable'],
    [0, 503, 'Service Unavailable'],
    [429, 429, 'Too Many Requests'],
    [204, 204, ''],
  ];
  for (const [option, status, text] of cases)
    it(`responseCode ${option} → ${status}`, async () => {
      const m = await tripped(option);
      expect(m.status?.()).toMatchObject({ state: 'tripped' });
      const run = await runMiddleware(m.wrap, fakeRequest('/'));
      expect(run.next).toBeUndefined();
      expect(run.response.status).toBe(status);
      if (text !== '') expect(run.response.headers['content-length']).toBe(Buffer.byteLength(text));
    });
});

describe('circuitBreaker: options that cannot work disable the middleware', () => {
  const cases: Array<[object, string]> = [
    [
      { expression: 'NetworkErrorRatio() > 0.5', responseCode: 42 },
      'responseCode 42 is not a usable HTTP status',
    ],
    [{ expression: 'NetworkErrorRatio() > 0.5', responseCode: 100 }, 'responseCode 100'],
    [{ expression: 'NetworkErrorRatio() >' }, "expected a number after '>' but found the end at column 22"],
  ];
  for (const [options, message] of cases)
    it(message, () =>
      expect(() => circuitBreaker.create(options as { expression: string }, ctx)).toThrow(message),
    );

  it('is built once per router, as Traefik builds it', () => expect(circuitBreaker.perRouter).toBe(true));
});
