import { describe, expect, it } from 'vitest';
import { type ComparisonOperator, type ExpressionCall, parseExpression } from './expression-parser.ts';
import { compileCompare, predicateDialect } from './predicate-dialect.ts';

describe('compileCompare', () => {
  const cases: Array<[number, ComparisonOperator, number, boolean]> = [
    [2, '==', 2, true],
    [3, '==', 2, false],
    [2, '!=', 2, false],
    [3, '!=', 2, true],
    [1, '<', 2, true],
    [2, '<', 2, false],
    [2, '<=', 2, true],
    [3, '<=', 2, false],
    [3, '>', 2, true],
    [2, '>', 2, false],
    [2, '>=', 2, true],
    [1, '>=', 2, false],
    [0.30000000000000004, '>', 0.3, true],
    [-0, '==', 0, true],
    // A metric with no data yet (NaN) compares false except with !=, as in Go.
    [Number.NaN, '==', 0, false],
    [Number.NaN, '!=', 0, true],
    [Number.NaN, '<', 0, false],
    [Number.NaN, '<=', 0, false],
    [Number.NaN, '>', 0, false],
    [Number.NaN, '>=', 0, false],
  ];
  it.each(cases)('%s %s %s is %s', (left, operator, right, want) => {
    expect(compileCompare((n: number) => n, operator, right)(left)).toBe(want);
  });

  it('reads the context through get each time it runs', () => {
    const seen: string[] = [];
    const get = (c: { n: number; id: string }) => {
      seen.push(c.id);
      return c.n;
    };
    const over = compileCompare(get, '>', 1);
    expect([over({ n: 2, id: 'a' }), over({ n: 0, id: 'b' })]).toEqual([true, false]);
    expect(seen).toEqual(['a', 'b']);
  });
});

describe('predicateDialect', () => {
  const checked: string[] = [];
  const language = {
    functions: ['Attempts', 'IsNetworkError'],
    expected: 'a function such as Attempts()',
    checkCall: (call: ExpressionCall) => {
      checked.push(call.name);
      return call.name === 'Attempts' && !call.compare
        ? { problem: 'compare it', column: call.column }
        : undefined;
    },
  };
  const numbers = predicateDialect(language);
  const strings = predicateDialect({ ...language, compareStrings: true });
  const outcome = (text: string, dialect = numbers) => {
    const r = parseExpression(text, dialect);
    return r.ok ? 'ok' : `${r.problem} at ${r.column}`;
  };
  const use = 'use Attempts, IsNetworkError';
  const cases: Array<[string, string, string?]> = [
    ['Attempts() <= 2 && IsNetworkError()', 'ok'],
    // Numbers are read as vulcand/predicate reads them (config/go-number.ts).
    [
      'Attempts() > 0x10',
      "0x10 is refused by Traefik's expression parser, which reads integers as plain decimal digits: write 16 at 14",
    ],
    ['IsNetworkError(1,)', 'ok'], // a trailing comma, as in Go
    ['Attempts()', 'compare it at 1'],
    ['!IsNetworkError()', "'!' is not supported: write the opposite comparison instead at 1"],
    ['Attempts() != 1', 'ok'],
    ['Atempts() < 2', `unknown function Atempts; did you mean "Attempts"?; ${use} at 1`],
    ['Attempts() == "GET"', "expected a number after '==' but found a string at 15"],
    ['Attempts() == "GET"', 'ok', 'strings'],
    // Names of Object.prototype are not functions of the language (they once reached checkCall and threw).
    ['constructor() > 1', `unknown function constructor; ${use} at 1`],
    ['toString() == 1', `unknown function toString; ${use} at 1`],
    ['hasOwnProperty() > 500', `unknown function hasOwnProperty; ${use} at 1`],
    ['__proto__()', `unknown function __proto__; ${use} at 1`],
  ];
  it.each(cases)('%s: %s', (text, want, dialect) => {
    expect(outcome(text, dialect === 'strings' ? strings : numbers)).toBe(want);
  });

  it('hands checkCall only the functions of the language', () => {
    checked.length = 0;
    outcome('valueOf() > 1 || Attempts() > 1');
    expect(checked).toEqual([]);
    outcome('Attempts() > 1 || IsNetworkError()');
    expect(checked).toEqual(['Attempts', 'IsNetworkError']);
  });
});
