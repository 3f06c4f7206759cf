import { describe, expect, it } from 'vitest';
import { mediaTypeMatches, parseMediaType } from './media-type.ts';

describe('parseMediaType and mediaTypeMatches', () => {
  it.each<[string, string, string, boolean | undefined]>([
    ['same type', 'text/html', 'text/html; charset=utf-8', true],
    ['case-insensitive type', 'Text/HTML', 'text/html', true],
    ['other type', 'text/html', 'text/plain', false],
    ['configured params must all match', 'text/html; charset=utf-8', 'text/html; charset="utf-8"', true],
    ['configured params, different value', 'text/html; charset=utf-8', 'text/html; charset=latin1', false],
    ['configured params, response without', 'text/html; charset=utf-8', 'text/html', false],
    ['malformed response type', 'text/html', 'html', undefined],
  ])('%s', (_name, configured, actual, expected) => {
    const c = parseMediaType(configured);
    const a = parseMediaType(actual);
    expect(c).toBeDefined();
    if (expected === undefined) expect(a).toBeUndefined();
    else expect(mediaTypeMatches(c as NonNullable<typeof c>, a as NonNullable<typeof a>)).toBe(expected);
  });
});
