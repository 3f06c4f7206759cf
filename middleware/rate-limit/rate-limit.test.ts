import { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/log.ts';
import { manualClock } from '../../test/helpers/manual-clock.ts';
import { fakeRequest, runMiddleware } from '../../test/helpers/middleware.ts';
import type { MiddlewareContext } from '../middleware.ts';
import { planRateLimit, rateLimit } from './rate-limit.ts';

const context = (clock = manualClock()): MiddlewareContext => ({
  name: 'limit@file',
  router: 'r@file',
  resolve: () => {
    throw new Error('no references');
  },
  logger: silentLogger(),
  clock,
});

describe('planRateLimit (Traefik arithmetic)', () => {
  it.each([
    [{}, { rate: Number.POSITIVE_INFINITY, burst: 1, maxDelayNs: 0 }],
    [
      { average: 0, burst: 5 },
      { rate: Number.POSITIVE_INFINITY, burst: 5, maxDelayNs: 0 },
    ],
    [{ average: 100 }, { rate: 100, burst: 1, maxDelayNs: 5e6 }],
    [
      { average: 100, period: 0, burst: 0 },
      { rate: 100, burst: 1, maxDelayNs: 5e6 },
    ],
    [
      { average: 3, period: 2000 },
      { rate: 1.5, burst: 1, maxDelayNs: 500e6 },
    ],
    [
      { average: 5, period: 2000 },
      { rate: 2.5, burst: 1, maxDelayNs: 250e6 },
    ],
    [
      { average: 6, period: 60_000, burst: 2 },
      { rate: 0.1, burst: 2, maxDelayNs: 500e6 },
    ],
  ])('%j', (options, plan) => {
    expect(planRateLimit(options)).toEqual(plan);
  });
  it('refuses a negative period', () => {
    expect(() => planRateLimit({ average: 1, period: -1000 })).toThrow('negative');
  });
});

describe('rateLimit', () => {
  it('answers 429 as Traefik once the burst is spent, then serves again after the period', async () => {
    const clock = manualClock();
    const m = rateLimit.create({ average: 2, period: 3000, burst: 2 }, context(clock)).wrap;
    for (let i = 0; i < 2; i++) expect((await runMiddleware(m, fakeRequest('/'))).next).toBeDefined();
    const refused = await runMiddleware(m, fakeRequest('/'));
    expect(refused.next).toBeUndefined();
    // 2 per 3s: a token every 1.5s; Retry-After rounds up.
    expect(refused.response).toEqual({
      status: 429,
      headers: {
        'retry-after': '2',
        'x-retry-in': '1.5s',
        'content-type': 'text/plain; charset=utf-8',
        'content-length': 17,
      },
    });
    clock.advance(1500);
    expect((await runMiddleware(m, fakeRequest('/'))).next).toBeDefined();
  });

  it('holds a request whose token comes within 1/(2 × rate), then serves it', async () => {
    const clock = manualClock();
    const m = rateLimit.create({ average: 10 }, context(clock)).wrap;
    await runMiddleware(m, fakeRequest('/'));
    clock.advance(60); // 0.6 token: the next one in 40ms ≤ 50ms
    let done = false;
    const run = runMiddleware(m, fakeRequest('/')).then((r) => {
      done = true;
      return r;
    });
    await Promise.resolve();
    expect([done, clock.pending]).toEqual([false, 1]);
    clock.advance(40);
    expect((await run).next).toBeDefined();
  });

  it('does not serve a held request whose client left', async () => {
    const clock = manualClock();
    const m = rateLimit.create({ average: 10 }, context(clock)).wrap;
    await runMiddleware(m, fakeRequest('/'));
    clock.advance(60);
    const req = fakeRequest('/');
    const res = new ServerResponse(req);
    let served = false;
    const run = m(async () => {
      served = true;
    })(req, res);
    res.emit('close');
    await run;
    clock.advance(1000);
    expect([served, clock.pending]).toEqual([false, 0]);
  });

  it('limits each source apart (requestHeaderName; no header is one source)', async () => {
    const m = rateLimit.create(
      { average: 1, sourceCriterion: { requestHeaderName: 'X-Key' } },
      context(),
    ).wrap;
    const status = async (headers: Record<string, string>) =>
      (await runMiddleware(m, fakeRequest('/', { headers }))).response.status;
    expect(await status({ 'x-key': 'a' })).toBe(200);
    expect(await status({ 'x-key': 'b' })).toBe(200);
    expect(await status({ 'x-key': 'a' })).toBe(429);
    expect(await status({})).toBe(200);
    expect(await status({})).toBe(429);
  });

  it('average 0 limits nothing', async () => {
    const m = rateLimit.create({ average: 0 }, context()).wrap;
    for (let i = 0; i < 100; i++)
      expect((await runMiddleware(m, fakeRequest('/'))).response.status).toBe(200);
  });

  it('HEAD gets the 429 head without a body', async () => {
    const m = rateLimit.create({ average: 1 }, context()).wrap;
    await runMiddleware(m, fakeRequest('/', { method: 'HEAD' }));
    expect((await runMiddleware(m, fakeRequest('/', { method: 'HEAD' }))).response.status).toBe(429);
  });

  it.each([
    [
      { average: 1, redis: { tls: { ca: '/nonexistent/ca.pem' } } },
      'tls.ca "/nonexistent/ca.pem": no such file',
    ],
    [{ average: 1, redis: { tls: { cert: '/nonexistent/c.pem' } } }, 'both cert and key'],
    [{ average: 1, sourceCriterion: { requestHost: true, requestHeaderName: 'x' } }, 'mutually exclusive'],
    [{ average: 1, period: -1 }, 'negative'],
  ])('%j cannot be built', (options, message) => {
    expect(() => rateLimit.create(options, context())).toThrow(message);
  });

  it('is built per router, as Traefik builds middlewares per router', () => {
    expect(rateLimit.perRouter).toBe(true);
  });
});
