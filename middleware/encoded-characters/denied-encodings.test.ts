import { describe, expect, it } from 'vitest';
import { deniedEncoding, deniedEncodings, type EncodedCharactersOptions } from './denied-encodings.ts';

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

describe('deniedEncodings and deniedEncoding', () => {
  it('denies nothing without the section or with every option left at its default (true)', () => {
    expect([...deniedEncodings(undefined)]).toEqual([]);
    expect([...deniedEncodings(ALL_ALLOWED)]).toEqual([]);
  });

  it('denies each character whose option is false', () => {
    expect([...deniedEncodings(NONE_ALLOWED)].sort()).toEqual(
      ['%00', '%23', '%25', '%2F', '%3B', '%3F', '%5C'].sort(),
    );
    expect([...deniedEncodings({ ...ALL_ALLOWED, allowEncodedSlash: false })]).toEqual(['%2F']);
  });

  it.each([
    ['/a%2Fb', '%2F'],
    ['/a%5Cb', '%5C'],
    ['/a%00', '%00'],
    ['/a%3B', '%3B'],
    ['/a%25', '%25'],
    ['/a%3F', '%3F'],
    ['/a%23', '%23'],
    ['/a%20b%C3%A9', undefined],
    ['/a%252F', '%25'],
    ['/a%2fb', '%2F'],
    ['/a%2', '%2'],
    ['/a%', '%'],
  ])('%s → %s', (path, expected) => {
    expect(deniedEncoding(path, deniedEncodings(NONE_ALLOWED))).toBe(expected);
  });
});
