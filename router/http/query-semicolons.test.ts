import { describe, expect, it } from 'vitest';
import { querySemicolons } from './query-semicolons.ts';

// Traefik's documented examples (install-configuration/entrypoints.md, encodeQuerySemicolons).
describe('querySemicolons', () => {
  it.each([
    ['/?foo=bar;baz=bar', false, '/?foo=bar&baz=bar'],
    ['/?foo=bar;baz=bar', true, '/?foo=bar%3Bbaz=bar'],
    ['/?foo=bar&baz=bar;foo', false, '/?foo=bar&baz=bar&foo'],
    ['/?foo=bar&baz=bar;foo', true, '/?foo=bar&baz=bar%3Bfoo'],
    ['/a;b?x=1', false, '/a;b?x=1'],
    ['/a;b', true, '/a;b'],
    ['/?x=1', true, '/?x=1'],
  ])('%s (encode %s) → %s', (target, encode, expected) => {
    expect(querySemicolons(target, encode)).toBe(expected);
  });
});
