import { describe, expect, it } from 'vitest';
import { MiddlewareSchema, ServiceSchema } from '../../config/dynamic.ts';
import { EntryPointSchema } from '../../config/static.ts';
import { goDuration, withGoDurations } from './go-durations.ts';

describe('goDuration: milliseconds as Go writes a time.Duration', () => {
  it.each([
    [0, '0s'],
    [0.5, '500µs'],
    [250, '250ms'],
    [1500, '1.5s'],
    [10_000, '10s'],
    [60_000, '1m0s'],
    [90_000, '1m30s'],
    [180_000, '3m0s'],
    [3_600_000, '1h0m0s'],
  ])('%s ms → %s', (ms, text) => {
    expect(goDuration(ms)).toBe(text);
  });
});

describe('withGoDurations: the API shows durations as Traefik does', () => {
  it('converts duration options of a service, and leaves other keys alone', () => {
    const service = ServiceSchema.parse({
      loadBalancer: {
        servers: [{ url: 'http://127.0.0.1:1' }],
        healthCheck: { path: '/health', interval: '30s', timeout: '250ms' },
      },
    });
    const shown = withGoDurations(
      { ...service, name: 's@file', usedBy: ['r@file'], status: 'enabled' },
      ServiceSchema,
    );
    expect(shown.loadBalancer?.healthCheck).toMatchObject({
      interval: '30s',
      timeout: '250ms',
      path: '/health',
    });
    expect(shown).toMatchObject({ name: 's@file', usedBy: ['r@file'], status: 'enabled' });
  });

  it('converts a middleware whose options are durations (circuitBreaker, rateLimit, retry)', () => {
    const cases = [
      [
        {
          circuitBreaker: {
            expression: 'NetworkErrorRatio() > 0.5',
            checkPeriod: '100ms',
            fallbackDuration: '1m',
          },
        },
      ],
      [{ rateLimit: { average: 10, period: '1m' } }],
      [{ retry: { attempts: 3, initialInterval: '100ms' } }],
    ] as const;
    const shown = cases.map(([m]) => withGoDurations(MiddlewareSchema.parse(m), MiddlewareSchema));
    expect(shown[0]?.circuitBreaker).toMatchObject({ checkPeriod: '100ms', fallbackDuration: '1m0s' });
    expect(shown[1]?.rateLimit).toMatchObject({ average: 10, period: '1m0s' });
    expect(shown[2]?.retry).toMatchObject({ attempts: 3, initialInterval: '100ms' });
  });

  it("converts an entryPoint's timeouts, as /api/entrypoints shows them", () => {
    const ep = EntryPointSchema.parse({
      address: ':80',
      transport: {
        respondingTimeouts: { readTimeout: 60, idleTimeout: '3m' },
        lifeCycle: { graceTimeOut: '10s' },
      },
    });
    expect(withGoDurations(ep, EntryPointSchema).transport).toMatchObject({
      respondingTimeouts: { readTimeout: '1m0s', idleTimeout: '3m0s' },
      lifeCycle: { graceTimeOut: '10s' },
    });
  });
});
