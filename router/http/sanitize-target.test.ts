import { describe, expect, it } from 'vitest';
import {
  deniedEncodings,
  type EncodedCharactersOptions,
} from '../../middleware/encoded-characters/denied-encodings.ts';
import { normalizeEscapes, sanitizeTarget } from './sanitize-target.ts';

const ALL_ALLOWED: EncodedCharactersOptions = {
  allowEncodedSlash: true,
  allowEncodedBackSlash: true,
  allowEncodedNullCharacter: true,
  allowEncodedSemicolon: true,
  allowEncodedPercent: true,
  allowEncodedQuestionMark: true,
  allowEncodedHash: true,
};
const NONE_ALLOWED: EncodedCharactersOptions = Object.fromEntries(
  Object.keys(ALL_ALLOWED).map((k) => [k, false]),
) as unknown as EncodedCharactersOptions;

describe('normalizeEscapes', () => {
  it.each([
    ['/plain', '/plain'],
    ['/%2e/admin', '/./admin'],
    ['/%2E%2e/admin', '/../admin'],
    ['/%61dmin', '/admin'],
    ['/%7e%5f%2d%30', '/~_-0'],
    ['/a%2fb', '/a%2Fb'],
    ['/a%3b%3Fb', '/a%3B%3Fb'],
    ['/%c3%a9', '/%C3%A9'],
    ['/%25', '/%25'],
    ['/%', undefined],
    ['/%4', undefined],
    ['/%zz', undefined],
    ['/%g0/x', undefined],
  ])('%s → %s', (path, expected) => {
    expect(normalizeEscapes(path)).toBe(expected);
  });
});

describe('sanitizeTarget', () => {
  const on = { sanitizePath: true, deniedEncodings: new Set<string>() };
  const off = { sanitizePath: false, deniedEncodings: new Set<string>() };
  const strict = { sanitizePath: true, deniedEncodings: deniedEncodings(NONE_ALLOWED) };
  it.each([
    ['/api/users?x=1', on, '/api/users?x=1'],
    ['/./admin/x', on, '/admin/x'],
    ['//admin/x', on, '/admin/x'],
    ['/foo/../admin/x', on, '/admin/x'],
    ['/%2e/admin/x', on, '/admin/x'],
    ['/%2E%2E/admin/x', on, '/admin/x'],
    ['/api/x/../admin/x', on, '/api/admin/x'],
    ['/api/../admin/x', on, '/admin/x'],
    ['/a/../b?q=/../c//d#e', on, '/b?q=/../c//d#e'],
    ['/a?%zz', on, '/a?%zz'],
    ['/x/%61dmin', on, '/x/admin'],
    ['/a%2F..%2Fadmin', on, '/a%2F..%2Fadmin'],
    ['/./admin/x', off, '/./admin/x'],
    ['/%2e/admin/x', off, '/./admin/x'],
    ['/a%2fb', strict, undefined],
    // Checked before cleaning, as Traefik does: the escape would vanish with the `..` segment.
    ['/a/%2F/../b', strict, undefined],
    ['/a/%2F/../b', on, '/a/b'],
    ['/a%3bb', strict, undefined],
    ['/a%20b', strict, '/a%20b'],
    ['/a?b=%2F', strict, '/a?b=%2F'],
  ])('%s (%o) → %s', (url, policy, expected) => {
    const result = sanitizeTarget(url, policy);
    if (expected === undefined) expect(result.ok).toBe(false);
    else expect(result).toEqual({ ok: true, url: expected });
  });

  it.each([
    ['/a#b', 'a fragment (#) in the path'],
    ['/a%zz', 'a malformed percent-encoding in the path'],
    ['/a%', 'a malformed percent-encoding in the path'],
    ['/a%2fb', 'the encoded character %2F in the path'],
  ])('refuses %s: %s', (url, problem) => {
    expect(sanitizeTarget(url, strict)).toEqual({ ok: false, problem });
  });
});
