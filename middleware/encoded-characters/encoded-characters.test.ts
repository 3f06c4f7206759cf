import { describe, expect, it } from 'vitest';
import type { EncodedCharactersSchema } from '../../config/middlewares/encoded-characters.ts';
import { fakeRequest, type MiddlewareRun, runMiddleware } from '../../test/helpers/middleware.ts';
import { encodedCharacters } from './encoded-characters.ts';

type Options = import('zod').infer<typeof EncodedCharactersSchema>;
const refused: MiddlewareRun = { response: { status: 400, headers: { 'content-length': '0' } } };
const passed = (url: string): MiddlewareRun => ({
  next: { url, headers: {} },
  response: { status: 200, headers: {} },
});

describe('encodedCharacters middleware', () => {
  const cases: Array<{ name: string; options: Options; url: string; expected: MiddlewareRun }> = [
    { name: 'every character is denied by default: %2F', options: {}, url: '/a%2Fb', expected: refused },
    { name: 'default: %5C', options: {}, url: '/a%5Cb', expected: refused },
    { name: 'default: %00', options: {}, url: '/a%00', expected: refused },
    { name: 'default: %3B', options: {}, url: '/a%3B', expected: refused },
    { name: 'default: %25', options: {}, url: '/a%25', expected: refused },
    { name: 'default: %3F', options: {}, url: '/a%3F', expected: refused },
    { name: 'default: %23', options: {}, url: '/a%23', expected: refused },
    { name: 'lower-case escapes are the same character', options: {}, url: '/a%2fb', expected: refused },
    { name: 'other escapes pass', options: {}, url: '/a%20b%C3%A9', expected: passed('/a%20b%C3%A9') },
    { name: 'the query is not checked', options: {}, url: '/a?x=%2F', expected: passed('/a?x=%2F') },
    {
      name: 'an allowed character passes',
      options: { allowEncodedSlash: true },
      url: '/a%2Fb',
      expected: passed('/a%2Fb'),
    },
    {
      name: 'allowing one leaves the others denied',
      options: { allowEncodedSlash: true },
      url: '/a%2Fb%3B',
      expected: refused,
    },
    {
      name: 'everything allowed: nothing checked',
      options: {
        allowEncodedSlash: true,
        allowEncodedBackSlash: true,
        allowEncodedNullCharacter: true,
        allowEncodedSemicolon: true,
        allowEncodedPercent: true,
        allowEncodedQuestionMark: true,
        allowEncodedHash: true,
      },
      url: '/%2F%5C%00%3B%25%3F%23',
      expected: passed('/%2F%5C%00%3B%25%3F%23'),
    },
    { name: 'a % without two characters after it is refused', options: {}, url: '/a%2', expected: refused },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      expect(await runMiddleware(encodedCharacters(c.options), fakeRequest(c.url))).toEqual(c.expected);
    });
  }
});
