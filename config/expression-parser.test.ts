import { describe, expect, it } from 'vitest';
import {
  type ExpressionDialect,
  type ExpressionNode,
  type ExpressionParseResult,
  MAX_EXPRESSION_DEPTH,
  MAX_EXPRESSION_LENGTH,
  mapCalls,
  nameHint,
  parseExpression,
} from './expression-parser.ts';

// A small dialect: functions F and Good, `f` as a lower-case spelling of F, Good needing two arguments.
const BASE: ExpressionDialect = {
  expected: 'a call',
  name: (written) =>
    written === 'f' ? 'F' : ['F', 'Good'].includes(written) ? written : { problem: `no ${written}` },
  checkCall: ({ name, args, column }) =>
    name === 'Good' && args.length !== 2
      ? { problem: `Good wants 2, got ${args.length}`, column }
      : undefined,
};

const arg = (text: string, column: number) => ({ text, column });
const call = (name: string, column: number, ...args: Array<{ text: string; column: number }>) =>
  ({ type: 'call', name, args, column }) as ExpressionNode;
const and = (left: ExpressionNode, right: ExpressionNode): ExpressionNode => ({ type: 'and', left, right });
const or = (left: ExpressionNode, right: ExpressionNode): ExpressionNode => ({ type: 'or', left, right });
const not = (expr: ExpressionNode): ExpressionNode => ({ type: 'not', expr });

describe('parseExpression: trees', () => {
  const cases: Array<{ name: string; text: string; ast: ExpressionNode | undefined; dialect?: object }> = [
    { name: 'blank input has no tree', text: ' \t\n', ast: undefined },
    { name: 'one call', text: 'F(`a`)', ast: call('F', 1, arg('a', 3)) },
    { name: 'no arguments', text: 'F()', ast: call('F', 1) },
    { name: 'the dialect resolves names', text: 'f(`a`)', ast: call('F', 1, arg('a', 3)) },
    {
      name: 'arguments with columns, both quotes and escapes',
      text: 'Good( `x` ,"a\\"b\\\\\\n")',
      ast: call('Good', 1, arg('x', 7), arg('a"b\\\n', 12)),
    },
    { name: 'backticks are raw', text: 'F(`\\d"`)', ast: call('F', 1, arg('\\d"', 3)) },
    {
      name: '&& binds tighter than ||',
      text: 'F(`a`) || F(`b`) && F(`c`)',
      ast: or(call('F', 1, arg('a', 3)), and(call('F', 11, arg('b', 13)), call('F', 21, arg('c', 23)))),
    },
    {
      name: '! binds tighter than &&, parentheses group',
      text: '!(F(`a`) || F(`b`)) && !!F(`c`)',
      ast: and(
        not(or(call('F', 3, arg('a', 5)), call('F', 13, arg('b', 15)))),
        not(not(call('F', 26, arg('c', 28)))),
      ),
    },
    {
      name: 'operators are left-associative',
      text: 'F()&&F()&&F()',
      ast: and(and(call('F', 1), call('F', 6)), call('F', 11)),
    },
    {
      name: 'a trailing comma when allowed',
      text: 'F(`a`, )',
      ast: call('F', 1, arg('a', 3)),
      dialect: { trailingComma: true },
    },
    { name: 'other whitespace when allowed', text: '\vF()', ast: call('F', 2) },
    {
      name: 'a chain of one operator is a balanced tree, in order',
      text: 'F()||F()||F()||F()',
      ast: or(or(call('F', 1), call('F', 6)), or(call('F', 11), call('F', 16))),
    },
    {
      name: `${MAX_EXPRESSION_DEPTH} levels of parentheses and ! are allowed`,
      text: `${'(!'.repeat(MAX_EXPRESSION_DEPTH / 2)}F()${')'.repeat(MAX_EXPRESSION_DEPTH / 2)}`,
      ast: Array.from({ length: MAX_EXPRESSION_DEPTH / 2 }).reduce<ExpressionNode>(
        (e) => not(e),
        call('F', MAX_EXPRESSION_DEPTH + 1),
      ),
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(parseExpression(c.text, { ...BASE, ...c.dialect })).toEqual({ ok: true, ast: c.ast });
    });
  }
});

describe('parseExpression: problems carry a kind and a 1-based column', () => {
  const cases: Array<{
    text: string;
    want: Omit<Extract<ExpressionParseResult, { ok: false }>, 'ok'>;
    dialect?: object;
  }> = [
    { text: 'G(`a`)', want: { kind: 'name', name: 'G', problem: 'no G', column: 1 } },
    {
      text: 'F() && Good(`a`)',
      want: { kind: 'call', name: 'Good', problem: 'Good wants 2, got 1', column: 8 },
    },
    { text: 'Good(`a`) &&', want: { kind: 'call', name: 'Good', problem: 'Good wants 2, got 1', column: 1 } },
    { text: 'F() &&', want: { kind: 'syntax', problem: 'expected a call but found the end', column: 7 } },
    {
      text: 'F() &&',
      dialect: { end: 'the end of the rule' },
      want: { kind: 'syntax', problem: 'expected a call but found the end of the rule', column: 7 },
    },
    {
      text: 'F() || !',
      dialect: { afterOperator: (op: string) => `nothing after '${op}'` },
      want: { kind: 'syntax', problem: "nothing after '!'", column: 8 },
    },
    {
      text: 'F() ||',
      dialect: { afterOperator: (op: string) => `nothing after '${op}'` },
      want: { kind: 'syntax', problem: "nothing after '||'", column: 5 },
    },
    { text: '&& F()', want: { kind: 'syntax', problem: "expected a call but found '&'", column: 1 } },
    {
      text: '&& F()',
      dialect: { pairOperators: true },
      want: { kind: 'syntax', problem: "expected a call but found '&&'", column: 1 },
    },
    { text: 'F() & F()', want: { kind: 'syntax', problem: "'&' is not an operator, use '&&'", column: 5 } },
    { text: 'F() | F()', want: { kind: 'syntax', problem: "'|' is not an operator, use '||'", column: 5 } },
    { text: 'F() F()', want: { kind: 'syntax', problem: "expected '&&' or '||' but found 'F'", column: 5 } },
    { text: 'F())', want: { kind: 'syntax', problem: "')' has no matching '('", column: 4 } },
    { text: ' (F()', want: { kind: 'syntax', problem: "'(' is never closed", column: 2 } },
    {
      text: '(F() x)',
      want: { kind: 'syntax', problem: "expected '&&', '||' or ')' but found 'x'", column: 6 },
    },
    { text: '()', want: { kind: 'syntax', problem: "expected a call but found ')'", column: 2 } },
    {
      text: 'F `a`',
      want: { kind: 'syntax', problem: "expected '(' after F but found a string", column: 3 },
    },
    { text: 'F(`a`', want: { kind: 'syntax', problem: "'(' of F is never closed", column: 2 } },
    {
      text: 'F(`a` `b`)',
      want: { kind: 'syntax', problem: "expected ',' or ')' but found a string", column: 7 },
    },
    {
      text: 'F(`a`,)',
      want: {
        kind: 'syntax',
        problem: "expected a string in backticks or double quotes but found ')'",
        column: 7,
      },
    },
    { text: 'F(`a)', want: { kind: 'syntax', problem: 'unterminated string', column: 3 } },
    { text: 'F("a)', want: { kind: 'syntax', problem: 'unterminated string', column: 3 } },
    {
      text: "F('a')",
      want: {
        kind: 'syntax',
        problem: 'single quotes are not allowed, use backticks or double quotes',
        column: 3,
      },
    },
    { text: 'F("\\q")', want: { kind: 'syntax', problem: 'unknown escape sequence \\q', column: 4 } },
    {
      text: 'F("\\q")',
      dialect: { escapeAdvice: ' (use backticks)' },
      want: { kind: 'syntax', problem: 'unknown escape sequence \\q (use backticks)', column: 4 },
    },
    {
      text: '\vF()',
      dialect: { space: /[ \t\n\r]/ },
      want: { kind: 'syntax', problem: "expected a call but found '\v'", column: 1 },
    },
  ];
  for (const c of cases) {
    it(`${JSON.stringify(c.text)}${c.dialect ? ` with ${Object.keys(c.dialect).join(', ')}` : ''}`, () => {
      expect(parseExpression(c.text, { ...BASE, ...c.dialect })).toEqual({ ok: false, ...c.want });
    });
  }
});

describe('parseExpression: limits (a problem of the expression, never a stack overflow)', () => {
  const depthProblem = `parentheses and '!' nest deeper than ${MAX_EXPRESSION_DEPTH} levels`;
  const cases: Array<{ name: string; text: string; want: Extract<ExpressionParseResult, { ok: false }> }> = [
    {
      name: '10,000 parentheses',
      text: `${'('.repeat(10_000)}F()${')'.repeat(10_000)}`,
      want: { ok: false, kind: 'limit', problem: depthProblem, column: MAX_EXPRESSION_DEPTH + 1 },
    },
    {
      name: '10,000 !',
      text: `${'!'.repeat(10_000)}F()`,
      want: { ok: false, kind: 'limit', problem: depthProblem, column: MAX_EXPRESSION_DEPTH + 1 },
    },
    {
      name: 'one level too deep, mixed, after a valid start',
      text: `F() || ${'!('.repeat(MAX_EXPRESSION_DEPTH / 2)}!F()${')'.repeat(MAX_EXPRESSION_DEPTH / 2)}`,
      want: { ok: false, kind: 'limit', problem: depthProblem, column: 8 + MAX_EXPRESSION_DEPTH },
    },
    {
      name: 'longer than the maximum',
      text: `F()${' '.repeat(MAX_EXPRESSION_LENGTH)}`,
      want: {
        ok: false,
        kind: 'limit',
        problem: `too long: ${MAX_EXPRESSION_LENGTH + 3} characters, the maximum is ${MAX_EXPRESSION_LENGTH}`,
        column: MAX_EXPRESSION_LENGTH + 1,
      },
    },
  ];
  for (const c of cases) {
    it(c.name, () => expect(parseExpression(c.text, BASE)).toEqual(c.want));
  }

  it('6,000 || terms (within the length limit) parse into a tree 13 levels deep that mapCalls walks', () => {
    const parsed = parseExpression(Array.from({ length: 6000 }, (_, i) => `F(\`${i}\`)`).join('||'), BASE);
    if (!parsed.ok || parsed.ast === undefined) throw new Error('expected a tree');
    const depth = (n: ExpressionNode): number =>
      n.type === 'or' || n.type === 'and' ? 1 + Math.max(depth(n.left), depth(n.right)) : 0;
    expect(depth(parsed.ast)).toBe(13);
    const leaves: string[] = [];
    mapCalls(parsed.ast, (c) => leaves.push(c.args[0]?.text ?? ''));
    expect(leaves).toEqual(Array.from({ length: 6000 }, (_, i) => String(i)));
  });
});

describe('nameHint', () => {
  const cases: Array<[word: string, hint: string]> = [
    ['Lable', '; did you mean "Label"?'],
    ['LabelRegx', '; did you mean "LabelRegex"?'],
    ['lebaL', '; did you mean "Label"?'],
    ['Host', ''],
  ];
  for (const [word, hint] of cases) {
    it(word, () => expect(nameHint(word, ['Label', 'LabelRegex'])).toBe(hint));
  }
});

describe('mapCalls', () => {
  it('replaces the calls and keeps the operators', () => {
    const parsed = parseExpression('!F(`a`) || Good(`b`, `c`) && F()', BASE);
    if (!parsed.ok || parsed.ast === undefined) throw new Error('expected a tree');
    const leaf = (c: { name: string; args: Array<{ text: string }> }) =>
      `${c.name}:${c.args.map((a) => a.text)}`;
    expect(mapCalls(parsed.ast, leaf)).toEqual({
      type: 'or',
      left: { type: 'not', expr: 'F:a' },
      right: { type: 'and', left: 'Good:b,c', right: 'F:' },
    });
  });
});

describe('parseExpression: numbers and comparisons (the circuit breaker dialect)', () => {
  const NUM: ExpressionDialect = { ...BASE, numbers: true, comparisons: true, noNegation: 'no !' };
  const cases: Array<{ text: string; want: ExpressionParseResult }> = [
    {
      text: 'F(50, 0.5, .5, 5e-1, `s`) >= 1.0',
      want: {
        ok: true,
        ast: {
          type: 'call',
          name: 'F',
          column: 1,
          args: [
            { text: '50', column: 3, number: 'int', value: 50 },
            { text: '0.5', column: 7, number: 'float', value: 0.5 },
            { text: '.5', column: 12, number: 'float', value: 0.5 },
            { text: '5e-1', column: 16, number: 'float', value: 0.5 },
            { text: 's', column: 22 },
          ],
          compare: {
            operator: '>=',
            column: 27,
            value: { text: '1.0', column: 30, number: 'float', value: 1 },
          },
        },
      },
    },
    {
      text: 'F()!=2 || F() < 3',
      want: {
        ok: true,
        ast: or(
          {
            type: 'call',
            name: 'F',
            args: [],
            column: 1,
            compare: { operator: '!=', column: 4, value: { text: '2', column: 6, number: 'int', value: 2 } },
          },
          {
            type: 'call',
            name: 'F',
            args: [],
            column: 11,
            compare: { operator: '<', column: 15, value: { text: '3', column: 17, number: 'int', value: 3 } },
          },
        ),
      },
    },
    {
      text: 'F() > x',
      want: { ok: false, kind: 'syntax', problem: "expected a number after '>' but found 'x'", column: 7 },
    },
    { text: '!F() > 1', want: { ok: false, kind: 'syntax', problem: 'no !', column: 1 } },
    {
      text: 'F(0x1p-2, 1_000.5) < 017',
      want: {
        ok: true,
        ast: {
          type: 'call',
          name: 'F',
          column: 1,
          args: [
            { text: '0x1p-2', column: 3, number: 'float', value: 0.25 },
            { text: '1_000.5', column: 11, number: 'float', value: 1000.5 },
          ],
          compare: {
            operator: '<',
            column: 20,
            value: { text: '017', column: 22, number: 'int', value: 17 },
          },
        },
      },
    },
    // Go's scanner errors point into the literal; predicate's refusals at its start.
    {
      text: 'F() > 1__0.0',
      want: { ok: false, kind: 'syntax', problem: "'_' must separate successive digits", column: 9 },
    },
    {
      text: 'F(1) && F() > 0x1F',
      want: {
        ok: false,
        kind: 'syntax',
        problem:
          "0x1F is refused by Traefik's expression parser, which reads integers as plain decimal digits: write 31",
        column: 15,
      },
    },
    {
      text: 'F() == "GET"',
      want: {
        ok: false,
        kind: 'syntax',
        problem: "expected a number after '==' but found a string",
        column: 8,
      },
    },
    {
      text: 'F() = 1',
      want: { ok: false, kind: 'syntax', problem: "expected '&&' or '||' but found '='", column: 5 },
    },
  ];
  for (const c of cases) it(c.text, () => expect(parseExpression(c.text, NUM)).toEqual(c.want));

  it('with compareStrings, a call may be compared with a string', () => {
    expect(parseExpression('F() != `POST`', { ...NUM, compareStrings: true })).toEqual({
      ok: true,
      ast: {
        type: 'call',
        name: 'F',
        args: [],
        column: 1,
        compare: { operator: '!=', column: 5, value: { text: 'POST', column: 8 } },
      },
    });
    expect(parseExpression('F() == x', { ...NUM, compareStrings: true })).toMatchObject({
      problem: "expected a number or a string after '==' but found 'x'",
      column: 8,
    });
  });

  it('without the options, numbers are not arguments and a comparison is not an operator', () => {
    expect(parseExpression('F(1)', BASE)).toMatchObject({ ok: false, column: 3 });
    expect(parseExpression('F() > 1', BASE)).toMatchObject({ ok: false, column: 5 });
  });
});
