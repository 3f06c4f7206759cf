import { describe, expect, it } from 'vitest';
import { banReason, FailureWindows } from './failure-windows.ts';

describe('FailureWindows', () => {
  it('counts the failures within findTime only', () => {
    const w = new FailureWindows();
    expect(w.record('a', 0, 'x', 1000, 5)).toEqual(['x']);
    expect(w.record('a', 500, 'y', 1000, 5)).toEqual(['x', 'y']);
    // At 1000 the failure of 0 is findTime old: no longer counted.
    expect(w.record('a', 1000, 'z', 1000, 5)).toEqual(['y', 'z']);
    expect(w.record('b', 1000, 'x', 1000, 5)).toEqual(['x']);
  });

  it('keeps at most maxRetry failures per client', () => {
    const w = new FailureWindows();
    for (let i = 0; i < 10; i++) w.record('a', i, String(i), 1000, 3);
    expect(w.record('a', 10, '10', 1000, 3)).toEqual(['8', '9', '10']);
  });

  it('drops the least recently seen client beyond its capacity', () => {
    const w = new FailureWindows(2);
    w.record('a', 0, 'x', 1000, 5);
    w.record('b', 0, 'x', 1000, 5);
    w.record('a', 1, 'x', 1000, 5); // a seen again: b is now the oldest
    w.record('c', 2, 'x', 1000, 5);
    expect(w.size).toBe(2);
    expect(w.record('a', 3, 'x', 1000, 5)).toHaveLength(3);
    expect(w.record('b', 3, 'x', 1000, 5)).toHaveLength(1);
  });

  it('forgets a client', () => {
    const w = new FailureWindows();
    w.record('a', 0, 'x', 1000, 5);
    w.forget('a');
    expect(w.size).toBe(0);
  });
});

describe('banReason', () => {
  it.each([
    [['basicAuth'], '1m', '1 failure within 1m: basicAuth'],
    [['basicAuth', 'status 404', 'basicAuth'], '10m', '3 failures within 10m: basicAuth ×2, status 404'],
  ])('%j', (reasons, findTime, expected) => {
    expect(banReason(reasons, findTime)).toBe(expected);
  });
});
