import { describe, expect, it } from 'vitest';
import { goDurationString } from './go-duration.ts';

describe('goDurationString (Go time.Duration.String)', () => {
  it.each([
    [0, '0s'],
    [1, '1ns'],
    [999, '999ns'],
    [1_500, '1.5µs'],
    [1_000_000, '1ms'],
    [333_333_333, '333.333333ms'],
    [1_000_000_000, '1s'],
    [1_500_000_000, '1.5s'],
    [59_999_999_999, '59.999999999s'],
    [60e9, '1m0s'],
    [90e9, '1m30s'],
    [3600e9, '1h0m0s'],
    [3723.5e9, '1h2m3.5s'],
    [-1_500_000_000, '-1.5s'],
  ])('%d ns -> %s', (ns, text) => {
    expect(goDurationString(ns)).toBe(text);
  });
});
