import { describe, expect, it } from 'vitest';
import { compileRetryExpression, type RetryContext } from './retry-expression.ts';

// Each case's outcome (true/false, or refused) was first checked with oxy v2.2.0's own parser
// (buffer/threshold.go with vulcand/predicate v1.3.0, run with Go 1.19).

const ctx = (attempt: number, responseCode: number, method = 'GET'): RetryContext => ({
  attempt,
  responseCode,
  method,
});

describe('compileRetryExpression: evaluation', () => {
  const cases: Array<[string, RetryContext, boolean]> = [
    ['IsNetworkError() && Attempts() <= 2', ctx(1, 502), true],
    ['IsNetworkError() && Attempts() <= 2', ctx(3, 502), false],
    ['IsNetworkError()', ctx(1, 504), true],
    ['IsNetworkError()', ctx(1, 503), false],
    ['IsNetworkError()', ctx(1, 200), false],
    ['ResponseCode() == 503', ctx(1, 503), true],
    ['ResponseCode() >= 500 && ResponseCode() < 600', ctx(1, 599), true],
    ['ResponseCode() >= 500 && ResponseCode() < 600', ctx(1, 600), false],
    ['ResponseCode() != 200', ctx(1, 0), true],
    ['ResponseCode() > 499', ctx(1, 500), true],
    ['RequestMethod() == "GET"', ctx(1, 0), true],
    ['RequestMethod() == `POST`', ctx(1, 0), false],
    ['RequestMethod() != "POST" && ResponseCode() == 503', ctx(1, 503, 'PUT'), true],
    ['RequestMethod() != "POST" && ResponseCode() == 503', ctx(1, 503, 'POST'), false],
    // && binds tighter than ||
    ['IsNetworkError() || Attempts() < 2 && ResponseCode() == 500', ctx(5, 502), true],
    ['(IsNetworkError() || Attempts() < 2) && ResponseCode() == 500', ctx(5, 502), false],
    ['Attempts() <= 2 && IsNetworkError()', ctx(1, 502), true],
    ['(IsNetworkError())', ctx(1, 502), true],
    // strconv.Atoi: a leading zero is decimal
    ['Attempts() < 017', ctx(16, 0), true],
  ];
  for (const [text, c, want] of cases)
    it(`${text} with ${JSON.stringify(c)} → ${want}`, () =>
      expect(compileRetryExpression(text)(c)).toBe(want));
});

describe('compileRetryExpression: what Traefik refuses is refused, with a column', () => {
  const cases: Array<[string, string]> = [
    ['  ', 'retryExpression is blank'],
    [
      'Attempts() <= 2.0',
      'Attempts() must be compared with an integer such as 2, e.g. Attempts() <= 2 at column 15',
    ],
    ['Attempts() < 1e1', 'must be compared with an integer such as 2, e.g. Attempts() <= 2 at column 14'],
    ['Attempts() < 0x2', 'write 2 at column 14'],
    ['Attempts() < 1_0', 'write 10 at column 14'],
    ['!IsNetworkError()', "'!' is not supported: write the opposite comparison instead at column 1"],
    ['IsNetworkError() == 1', 'IsNetworkError() is a condition on its own and cannot be compared'],
    ['Attempts()', 'Attempts() must be compared with an integer, e.g. Attempts() <= 2 at column 1'],
    ['Attempts(1) < 2', 'Attempts takes no arguments, got 1'],
    ['2 > Attempts()', "expected a function such as IsNetworkError() but found '2' at column 1"],
    [
      'RequestMethod() < "GET"',
      'RequestMethod() can only be compared with == or !=, e.g. RequestMethod() == "GET" at column 17',
    ],
    [
      'RequestMethod() == 1',
      'RequestMethod() must be compared with a string, e.g. RequestMethod() == "GET" at column 20',
    ],
    [
      'Attempts() < ResponseCode()',
      "expected a number or a string after '<' but found 'ResponseCode' at column 14",
    ],
    ['IsNetworkError(,)', "expected a string in backticks or double quotes but found ',' at column 16"],
    ['Attempts() == -1', "expected a number or a string after '==' but found '-' at column 15"],
    ['isNetworkError()', 'unknown function isNetworkError; did you mean "IsNetworkError"?'],
    ['IsNetworkError() & Attempts() < 2', "'&' is not an operator, use '&&' at column 18"],
    ['ResponseCode() == 502 == 1', "expected '&&' or '||' but found '=' at column 23"],
  ];
  for (const [text, want] of cases)
    it(JSON.stringify(text), () => expect(() => compileRetryExpression(text)).toThrow(want));
});
