import { describe, expect, it } from 'vitest';
import { banDurationMs, failureOf, planBan, type RequestOutcome, rememberMs } from './ban-policy.ts';

const MIN = 60_000;

describe('planBan', () => {
  it("defaults are fail2ban's", () => {
    expect(planBan({})).toEqual({
      maxRetry: 5,
      findTimeMs: 10 * MIN,
      banTimeMs: 10 * MIN,
      multiplier: 1,
      maxBanTimeMs: 168 * 60 * MIN,
      statusCodes: [],
      onWafBlock: true,
      onAuthFailure: true,
      rejectStatusCode: 403,
    });
  });

  const errors: Array<[string, Parameters<typeof planBan>[0], string]> = [
    ['banTime 0', { banTime: 0 }, 'banTime must be a positive duration'],
    ['findTime negative', { findTime: -1000 }, 'findTime must be a positive duration'],
    ['maxBanTime below banTime', { banTime: 20 * MIN, maxBanTime: 10 * MIN }, 'shorter than banTime'],
    ['rejectStatusCode 1xx', { rejectStatusCode: 101 }, 'rejectStatusCode 101 is not a usable'],
    ['rejectStatusCode unnamed', { rejectStatusCode: 599 }, 'rejectStatusCode 599 is not a usable'],
  ];
  it.each(errors)('%s is refused with a message naming the option', (_n, options, message) => {
    expect(() => planBan(options)).toThrow(message);
  });

  it('reads status lists and ranges as the errors middleware does', () => {
    expect(planBan({ statusCodes: ['401,403', '500-599'] }).statusCodes).toEqual([
      [401, 401],
      [403, 403],
      [500, 599],
    ]);
  });
});

describe('failureOf', () => {
  const plain = planBan({ statusCodes: ['404', '429'] });
  const off = planBan({ onWafBlock: false, onAuthFailure: false });
  const o = (status: number, refusedBy?: RequestOutcome['refusedBy'], sentCredentials = false) => ({
    status,
    refusedBy,
    sentCredentials,
  });
  const cases: Array<[string, ReturnType<typeof planBan>, RequestOutcome, string | undefined]> = [
    ['a 200 is no failure', plain, o(200), undefined],
    ['a listed status', plain, o(404), 'status 404'],
    ['an unlisted status', plain, o(500), undefined],
    ['a waf block', plain, o(403, 'waf'), 'waf'],
    ['a waf block with onWafBlock false', off, o(403, 'waf'), undefined],
    ['basicAuth refusing sent credentials', plain, o(401, 'basicAuth', true), 'basicAuth'],
    ['basicAuth challenging a client that sent none', plain, o(401, 'basicAuth', false), undefined],
    ['digestAuth refusing sent credentials', plain, o(401, 'digestAuth', true), 'digestAuth'],
    ['forwardAuth answering 401', plain, o(401, 'forwardAuth'), 'forwardAuth'],
    ['forwardAuth answering 403', plain, o(403, 'forwardAuth'), 'forwardAuth'],
    ['forwardAuth redirecting to its sign-in page', plain, o(302, 'forwardAuth'), undefined],
    ['auth refusals with onAuthFailure false', off, o(401, 'basicAuth', true), undefined],
    [
      'an auth refusal not counted still counts by status',
      planBan({ onAuthFailure: false, statusCodes: ['401'] }),
      o(401, 'basicAuth', false),
      'status 401',
    ],
  ];
  it.each(cases)('%s', (_n, plan, outcome, expected) => {
    expect(failureOf(plan, outcome)).toBe(expected);
  });
});

describe('banDurationMs and rememberMs', () => {
  const cases: Array<[string, Parameters<typeof planBan>[0], number[], number]> = [
    ['no growth by default', { banTime: MIN }, [MIN, MIN, MIN], 0],
    ['doubling', { banTime: MIN, banTimeMultiplier: 2 }, [MIN, 2 * MIN, 4 * MIN], 168 * 60 * MIN],
    [
      'capped by maxBanTime',
      { banTime: MIN, banTimeMultiplier: 3, maxBanTime: 5 * MIN },
      [MIN, 3 * MIN, 5 * MIN],
      5 * MIN,
    ],
  ];
  it.each(cases)('%s', (_n, options, durations, remember) => {
    const plan = planBan(options);
    expect([1, 2, 3].map((n) => banDurationMs(plan, n))).toEqual(durations);
    expect(rememberMs(plan)).toBe(remember);
  });
});
