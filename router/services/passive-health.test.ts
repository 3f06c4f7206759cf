import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/log.ts';
import { manualClock } from '../../test/helpers/manual-clock.ts';
import { PassiveHealth } from './passive-health.ts';

const S = 'http://10.0.0.1';

type Step = ['fail' | 'ok'] | ['wait', number] | ['probe', boolean] | ['up', boolean];

function run(
  options: { failureWindow?: number; maxFailedAttempts?: number },
  steps: Step[],
  hasActive = false,
): void {
  const clock = manualClock();
  const p = new PassiveHealth('svc', [S], options, hasActive, { clock, logger: silentLogger() });
  steps.forEach((step, i) => {
    if (step[0] === 'fail') p.report(S, false);
    else if (step[0] === 'ok') p.report(S, true);
    else if (step[0] === 'wait') clock.advance(step[1]);
    else if (step[0] === 'probe') p.activeResult(S, step[1]);
    else expect(p.isUp(S), `step ${i}`).toBe(step[1]);
  });
}

describe('PassiveHealth', () => {
  const cases: Array<{
    name: string;
    options: { failureWindow?: number; maxFailedAttempts?: number };
    hasActive?: boolean;
    steps: Step[];
  }> = [
    {
      name: "defaults (Traefik's 10s, 1 attempt): out at the first failure, back after 10s",
      options: {},
      steps: [
        ['up', true],
        ['fail'],
        ['up', false],
        ['wait', 9_999],
        ['up', false],
        ['wait', 1],
        ['up', true],
      ],
    },
    {
      name: 'maxFailedAttempts failures inside the window take it out',
      options: { failureWindow: 1000, maxFailedAttempts: 3 },
      steps: [['fail'], ['wait', 400], ['fail'], ['up', true], ['wait', 400], ['fail'], ['up', false]],
    },
    {
      name: 'failures that left the window do not count',
      options: { failureWindow: 1000, maxFailedAttempts: 2 },
      steps: [['fail'], ['wait', 1000], ['fail'], ['up', true], ['wait', 999], ['fail'], ['up', false]],
    },
    {
      name: 'a success forgets the failures',
      options: { failureWindow: 1000, maxFailedAttempts: 2 },
      steps: [['fail'], ['ok'], ['fail'], ['up', true], ['fail'], ['up', false]],
    },
    {
      name: 'it stays out for the window, then comes back',
      options: { failureWindow: 500, maxFailedAttempts: 1 },
      steps: [['fail'], ['wait', 499], ['up', false], ['wait', 1], ['up', true], ['fail'], ['up', false]],
    },
    {
      name: 'with an active check, only a healthy probe brings it back',
      options: { failureWindow: 500 },
      hasActive: true,
      steps: [
        ['fail'],
        ['wait', 10_000],
        ['up', false],
        ['probe', false],
        ['up', false],
        ['probe', true],
        ['up', true],
      ],
    },
    {
      name: 'maxFailedAttempts 0 behaves as 1 (Traefik compares count < max)',
      options: { maxFailedAttempts: 0 },
      steps: [['up', true], ['fail'], ['up', false]],
    },
  ];
  it.each(cases)('$name', ({ options, hasActive, steps }) => run(options, steps, hasActive));

  it('stop cancels the timers and ignores later reports', () => {
    const clock = manualClock();
    const p = new PassiveHealth('svc', [S], {}, false, { clock, logger: silentLogger() });
    p.report(S, false);
    expect(clock.pending).toBe(1);
    p.stop();
    expect(clock.pending).toBe(0);
    expect(p.downServers()).toEqual([S]);
  });

  it('ignores servers it does not know', () => {
    const p = new PassiveHealth('svc', [S], {}, false, { clock: manualClock(), logger: silentLogger() });
    p.report('http://other', false);
    expect(p.isUp('http://other')).toBe(true);
    expect(p.downServers()).toEqual([]);
  });
});
