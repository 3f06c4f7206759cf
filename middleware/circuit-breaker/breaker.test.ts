import { describe, expect, it } from 'vitest';
import type { Clock } from '../clock.ts';
import { Breaker, type BreakerState } from './breaker.ts';
import { compileCondition } from './expression.ts';

function manualClock(): Clock & { advance(ms: number): void } {
  let now = 1_700_000_000_000;
  return {
    now: () => now,
    setTimeout: () => ({ cancel: () => {} }),
    advance: (ms) => {
      now += ms;
    },
  };
}

const TIMINGS = { checkPeriod: 100, fallbackDuration: 10_000, recoveryDuration: 10_000 };

/** A step: advance the clock, send a request answered with a status (or check the breaker admits none). */
type Step = { advance: number } | { status: number } | { refused: true } | { state: BreakerState };

function run(expression: string, steps: Step[]): void {
  const clock = manualClock();
  const b = new Breaker(compileCondition(expression), TIMINGS, clock);
  for (const [i, s] of steps.entries()) {
    if ('advance' in s) clock.advance(s.advance);
    else if ('state' in s) expect(b.state, `step ${i}`).toBe(s.state);
    else if ('refused' in s) expect(b.admit(), `step ${i}`).toBe(false);
    else {
      expect(b.admit(), `step ${i}`).toBe(true);
      b.record(s.status, 1);
    }
  }
}

const ok = { status: 200 };
const bad = { status: 502 };

describe('Breaker: states as oxy moves them', () => {
  it('standby → tripped when the condition holds on a response; refuses until fallbackDuration passed', () =>
    run('NetworkErrorRatio() > 0.5', [
      ok,
      { state: 'standby' },
      { advance: 200 },
      bad,
      { state: 'standby' }, // 1 of 2: 0.5, not above
      { advance: 200 },
      bad,
      { state: 'tripped' },
      { refused: true },
      { advance: 9_999 },
      { refused: true },
    ]));

  it('checks at most once per checkPeriod', () =>
    run('NetworkErrorRatio() > 0.5', [
      ok, // checked now (0 errors); the next check is after 100 ms
      bad,
      bad,
      { state: 'standby' },
      { advance: 101 },
      bad,
      { state: 'tripped' },
    ]));

  it('tripped → recovering after fallbackDuration: the share let through ramps up, then standby', () => {
    const clock = manualClock();
    const b = new Breaker(compileCondition('NetworkErrorRatio() > 0.5'), TIMINGS, clock);
    b.admit();
    b.record(502, 1);
    expect(b.state).toBe('tripped');
    clock.advance(10_000);
    // At the start of the recovery the target share is 0: the first request is refused.
    expect(b.admit()).toBe(false);
    expect(b.state).toBe('recovering');
    const admittedIn = (ms: number) => {
      let n = 0;
      for (let i = 0; i < 100; i++) {
        clock.advance(ms / 100);
        if (b.admit()) {
          n++;
          b.record(200, 1);
        }
      }
      return n;
    };
    const first = admittedIn(2_000); // target rises to 10%
    const later = admittedIn(6_000); // then to 40%
    expect(first).toBeGreaterThan(0);
    expect(later).toBeGreaterThan(first);
    expect(b.state).toBe('recovering');
    clock.advance(2_001);
    expect(b.admit()).toBe(true);
    expect(b.state).toBe('standby');
  });

  it('recovering → tripped when the condition holds again on an admitted response', () => {
    const clock = manualClock();
    const b = new Breaker(compileCondition('NetworkErrorRatio() > 0.5'), TIMINGS, clock);
    b.admit();
    b.record(504, 1);
    clock.advance(10_000);
    b.admit();
    clock.advance(5_000);
    // The ramp (target 25%) lets one of the next few requests through.
    let tries = 0;
    while (!b.admit()) expect(++tries).toBeLessThan(4);
    b.record(504, 1);
    expect(b.state).toBe('tripped');
    expect(b.until).toBe(clock.now() + 10_000);
  });

  it('metrics are forgotten when tripping and count only the last 10 s', () => {
    const clock = manualClock();
    const b = new Breaker(compileCondition('RequestThreshold() > 1000'), TIMINGS, clock);
    for (let i = 0; i < 5; i++) b.record(500, 1);
    expect(b.metrics.totalCount()).toBe(5);
    expect(b.metrics.responseCodeRatio(500, 600, 0, 600)).toBe(1);
    clock.advance(10_000);
    expect(b.metrics.totalCount()).toBe(0);
  });
});

describe('RoundTripMetrics', () => {
  it('counts 502 and 504 as network errors, other statuses not', () => {
    const clock = manualClock();
    const b = new Breaker(compileCondition('RequestThreshold() > 1000'), TIMINGS, clock);
    for (const s of [502, 504, 500, 503, 200]) b.record(s, 1);
    expect(b.metrics.networkErrorRatio()).toBeCloseTo(2 / 5);
    expect(b.metrics.responseCodeRatio(500, 600, 0, 600)).toBeCloseTo(4 / 5);
    expect(b.metrics.responseCodeRatio(400, 500, 0, 600)).toBe(0);
  });

  it('gives latency at a quantile in whole ms, within 1%, over the last minute', () => {
    const clock = manualClock();
    const b = new Breaker(compileCondition('RequestThreshold() > 1000'), TIMINGS, clock);
    for (let ms = 1; ms <= 100; ms++) b.record(200, ms);
    expect(b.metrics.latencyAtQuantileMs(50)).toBeGreaterThanOrEqual(49);
    expect(b.metrics.latencyAtQuantileMs(50)).toBeLessThanOrEqual(51);
    expect(b.metrics.latencyAtQuantileMs(99)).toBeGreaterThanOrEqual(98);
    clock.advance(50_000);
    expect(b.metrics.latencyAtQuantileMs(50)).toBeGreaterThan(0);
    clock.advance(20_000);
    expect(b.metrics.latencyAtQuantileMs(50)).toBe(0);
  });
});
