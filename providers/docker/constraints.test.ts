import { describe, expect, it } from 'vitest';
import { matchConstraints, parseConstraints } from './constraints.ts';

const labels = { env: 'prod', team: 'Shop', 'com.example.tier': 'front-end', empty: '' };

describe('parseConstraints + matchConstraints', () => {
  const cases: Array<[expression: string, matches: boolean]> = [
    ['', true],
    ['   ', true],
    ['Label(`env`, `prod`)', true],
    ['Label("env", "prod")', true],
    ['Label(`env`, `dev`)', false],
    ['Label(`missing`, ``)', false],
    ['Label(`empty`, ``)', true],
    ['Label(`com.example.tier`,`front-end`)', true],
    ['LabelRegex(`team`, `^Sh`)', true],
    ['LabelRegex(`team`, `(?i)^shop$`)', true],
    ['LabelRegex(`team`, `^shop$`)', false],
    ['LabelRegex(`env`, `ro`)', true],
    ['LabelRegex(`missing`, `^$`)', true],
    ['LabelRegex(`team`, `(?P<x>S)h`)', true],
    ['LabelRegex(`team`, `^S(?i)HOP$`)', true],
    ['LabelRegex(`team`, `^(S+)+$`)', false],
    ['!Label(`env`, `prod`)', false],
    ['!!Label(`env`, `prod`)', true],
    ['Label(`env`, `prod`) && Label(`team`, `Shop`)', true],
    ['Label(`env`, `prod`) && Label(`team`, `x`)', false],
    ['Label(`env`, `x`) || Label(`team`, `Shop`)', true],
    ['Label(`env`, `x`) || Label(`env`, `prod`) && Label(`team`, `x`)', false],
    ['(Label(`env`, `x`) || Label(`env`, `prod`)) && !Label(`team`, `x`)', true],
    ['Label("env", "pr\\"od")', false],
  ];
  for (const [expression, matches] of cases) {
    it(`${expression || '(empty)'} → ${matches}`, () => {
      const parsed = parseConstraints(expression);
      expect(parsed.ok).toBe(true);
      if (parsed.ok) expect(matchConstraints(parsed.expr, labels)).toBe(matches);
    });
  }
});

describe('parseConstraints errors', () => {
  const cases: Array<[expression: string, problem: string, column: number]> = [
    ['Label(`a`)', 'Label takes 2 arguments (label name, value) but got 1', 1],
    ['Lable(`a`, `b`)', 'unknown function Lable; did you mean "Label"?', 1],
    ['Label(`a`, `b`) & Label(`c`, `d`)', "'&' is not an operator, use '&&'", 17],
    ['Label(`a`, `b`) &&', 'expected Label(...) or LabelRegex(...) but found the end', 19],
    ["Label('a', 'b')", 'single quotes are not allowed, use backticks or double quotes', 7],
    ['Label(`a, `b`)', "expected ',' or ')' but found 'b'", 12],
    ['Label(`a`, `b`', "'(' of Label is never closed", 6],
    ['(Label(`a`, `b`)', "'(' is never closed", 1],
    ['Label(`a`, `b`))', "')' has no matching '('", 16],
    ['LabelRegex(`a`, `(`)', 'invalid regular expression: missing closing ): `(`', 17],
    [
      'LabelRegex(`a`, `(?=b)`)',
      'invalid regular expression: invalid or unsupported Perl syntax: `(?=`: lookaround assertions are not supported (Wharf uses RE2 syntax, as Traefik does, so matching takes linear time)',
      17,
    ],
    ['Label("a\\q", "b")', 'unknown escape sequence \\q (use backticks)', 9],
    ['Label(`a`, `b`) Label(`c`, `d`)', "expected '&&' or '||' but found 'Label'", 17],
  ];
  for (const [expression, problem, column] of cases) {
    it(expression, () => {
      expect(parseConstraints(expression)).toEqual({
        ok: false,
        problem,
        column,
        message: `constraints "${expression}": ${problem} at column ${column}`,
      });
    });
  }
});
