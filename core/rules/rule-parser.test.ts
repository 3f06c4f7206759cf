import { describe, expect, it } from 'vitest';
import type { ErrorCode } from '../../config/errors.ts';
import { type MatcherName, parseRule, type RuleAst } from './rule-parser.ts';

const m = (name: MatcherName, args: string[], column: number): RuleAst => ({
  type: 'matcher',
  name,
  args,
  column,
});
const and = (left: RuleAst, right: RuleAst): RuleAst => ({ type: 'and', left, right });
const or = (left: RuleAst, right: RuleAst): RuleAst => ({ type: 'or', left, right });
const not = (expr: RuleAst): RuleAst => ({ type: 'not', expr });

describe('parseRule: valid rules', () => {
  const cases: Array<{ name: string; rule: string; ast: RuleAst }> = [
    { name: 'one matcher', rule: 'Host(`example.com`)', ast: m('Host', ['example.com'], 1) },
    {
      name: 'conjunction',
      rule: 'Host(`a`) && Path(`/b`)',
      ast: and(m('Host', ['a'], 1), m('Path', ['/b'], 14)),
    },
    {
      name: '&& binds tighter than ||',
      rule: 'Host(`a`) || Path(`/b`) && Method(`GET`)',
      ast: or(m('Host', ['a'], 1), and(m('Path', ['/b'], 14), m('Method', ['GET'], 28))),
    },
    {
      name: '! binds tighter than &&',
      rule: '!Host(`a`) && Path(`/`)',
      ast: and(not(m('Host', ['a'], 2)), m('Path', ['/'], 15)),
    },
    {
      name: 'parentheses group',
      rule: '(Host(`a`) || Host(`b`)) && Path(`/`)',
      ast: and(or(m('Host', ['a'], 2), m('Host', ['b'], 15)), m('Path', ['/'], 29)),
    },
    {
      name: 'negated group',
      rule: '!(Host(`a`) || Host(`b`))',
      ast: not(or(m('Host', ['a'], 3), m('Host', ['b'], 16))),
    },
    { name: 'double negation', rule: '!!Host(`a`)', ast: not(not(m('Host', ['a'], 3))) },
    {
      name: '&& is left-associative',
      rule: 'Method(`A`) && Method(`B`) && Method(`C`)',
      ast: and(and(m('Method', ['A'], 1), m('Method', ['B'], 16)), m('Method', ['C'], 31)),
    },
    {
      name: '|| is left-associative',
      rule: 'Method(`A`) || Method(`B`) || Method(`C`)',
      ast: or(or(m('Method', ['A'], 1), m('Method', ['B'], 16)), m('Method', ['C'], 31)),
    },
    {
      name: 'double-quoted strings with \\" and \\\\ escapes',
      rule: 'Header("X-A", "say \\"hi\\" \\\\ ok")',
      ast: m('Header', ['X-A', 'say "hi" \\ ok'], 1),
    },
    {
      name: 'backtick strings are raw',
      rule: 'PathRegexp(`^/a\\.b"\'`)',
      ast: m('PathRegexp', ['^/a\\.b"\''], 1),
    },
    {
      name: 'whitespace anywhere, including tabs and newlines',
      rule: '\tHost ( `a` )\n&&\nPath(`/`) ',
      ast: and(m('Host', ['a'], 2), m('Path', ['/'], 18)),
    },
    {
      name: 'Traefik accepts lower, UPPER and Title spellings',
      rule: 'host(`a`) && PATHPREFIX(`/`) && Hostregexp(`x`)',
      ast: and(and(m('Host', ['a'], 1), m('PathPrefix', ['/'], 14)), m('HostRegexp', ['x'], 33)),
    },
    {
      name: 'Query takes one or two arguments',
      rule: 'Query(`a`) || Query(`a`, `b`)',
      ast: or(m('Query', ['a'], 1), m('Query', ['a', 'b'], 15)),
    },
    {
      name: 'a trailing comma is allowed, as in Go',
      rule: 'Header(`a`, `b`,)',
      ast: m('Header', ['a', 'b'], 1),
    },
    { name: 'ClientIP', rule: 'ClientIP(`10.0.0.0/8`)', ast: m('ClientIP', ['10.0.0.0/8'], 1) },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(parseRule(c.rule)).toEqual({ ok: true, ast: c.ast });
    });
  }
});

describe('parseRule: errors carry a code and a 1-based column', () => {
  const cases: Array<{ name: string; rule: string; code: ErrorCode; column: number; says?: string }> = [
    { name: 'empty rule', rule: '', code: 'RULE_SYNTAX', column: 1, says: 'empty rule' },
    { name: 'blank rule', rule: '   ', code: 'RULE_SYNTAX', column: 1, says: 'empty rule' },
    { name: 'unclosed matcher call', rule: 'Host(`a`', code: 'RULE_SYNTAX', column: 5, says: 'never closed' },
    { name: 'unclosed group', rule: '(Host(`a`)', code: 'RULE_SYNTAX', column: 1, says: 'never closed' },
    { name: 'extra closing paren', rule: 'Host(`a`))', code: 'RULE_SYNTAX', column: 10, says: 'no matching' },
    {
      name: 'missing operator',
      rule: 'Host(`a`) Path(`/`)',
      code: 'RULE_SYNTAX',
      column: 11,
      says: "found 'Path'",
    },
    { name: 'missing operator in group', rule: '(Host(`a`) Path(`/`))', code: 'RULE_SYNTAX', column: 12 },
    {
      name: 'word operator',
      rule: 'Host(`a`) and Path(`/`)',
      code: 'RULE_SYNTAX',
      column: 11,
      says: "found 'and'",
    },
    { name: 'trailing &&', rule: 'Host(`a`) &&', code: 'RULE_SYNTAX', column: 11, says: "after '&&'" },
    { name: 'trailing ||', rule: 'Host(`a`) ||  ', code: 'RULE_SYNTAX', column: 11, says: "after '||'" },
    { name: 'trailing !', rule: 'Host(`a`) && !', code: 'RULE_SYNTAX', column: 14, says: "after '!'" },
    { name: 'leading &&', rule: '&& Host(`a`)', code: 'RULE_SYNTAX', column: 1, says: "found '&&'" },
    { name: 'doubled operator', rule: 'Host(`a`) && || Path(`/`)', code: 'RULE_SYNTAX', column: 14 },
    { name: 'single &', rule: 'Host(`a`) & Path(`/`)', code: 'RULE_SYNTAX', column: 11, says: "use '&&'" },
    { name: 'single |', rule: 'Host(`a`) | Path(`/`)', code: 'RULE_SYNTAX', column: 11, says: "use '||'" },
    { name: 'empty group', rule: 'Host(`a`) && ()', code: 'RULE_SYNTAX', column: 15 },
    { name: 'unterminated backtick', rule: 'Host(`a)', code: 'RULE_SYNTAX', column: 6, says: 'unterminated' },
    {
      name: 'unterminated double quote',
      rule: 'Host("a)',
      code: 'RULE_SYNTAX',
      column: 6,
      says: 'unterminated',
    },
    { name: 'single quotes', rule: "Host('a')", code: 'RULE_SYNTAX', column: 6, says: 'single quotes' },
    { name: 'bare word argument', rule: 'Host(a)', code: 'RULE_SYNTAX', column: 6, says: 'backticks' },
    {
      name: 'unknown escape',
      rule: 'Host("a\\q")',
      code: 'RULE_SYNTAX',
      column: 8,
      says: 'escape sequence \\q',
    },
    { name: 'missing comma', rule: 'Host(`a` `b`)', code: 'RULE_SYNTAX', column: 10, says: "expected ','" },
    { name: 'matcher without call', rule: 'Host', code: 'RULE_SYNTAX', column: 5, says: "expected '('" },
    { name: 'selector', rule: 'Host.x(`a`)', code: 'RULE_SYNTAX', column: 5, says: "found '.'" },
    {
      name: 'Host takes exactly one',
      rule: 'Host(`a`, `b`)',
      code: 'RULE_ARGUMENTS',
      column: 1,
      says: 'exactly 1',
    },
    { name: 'Header takes two', rule: 'Path(`/`) && Header(`a`)', code: 'RULE_ARGUMENTS', column: 14 },
    { name: 'no arguments', rule: 'Query()', code: 'RULE_ARGUMENTS', column: 1, says: 'got 0' },
    { name: 'Query takes at most two', rule: 'Query(`a`, `b`, `c`)', code: 'RULE_ARGUMENTS', column: 1 },
    {
      name: 'empty argument',
      rule: 'Path(`/`) && Host(``)',
      code: 'RULE_ARGUMENTS',
      column: 19,
      says: 'empty',
    },
    { name: 'empty second argument', rule: 'Header(`X`, ``)', code: 'RULE_ARGUMENTS', column: 13 },
    { name: 'unknown matcher', rule: 'Hots(`a`)', code: 'RULE_UNKNOWN_MATCHER', column: 1, says: '"Host"' },
    {
      name: 'near miss',
      rule: 'PathPrefx(`/`)',
      code: 'RULE_UNKNOWN_MATCHER',
      column: 1,
      says: '"PathPrefix"',
    },
    { name: 'v2 Headers', rule: 'Path(`/`) && Headers(`a`, `b`)', code: 'RULE_UNKNOWN_MATCHER', column: 14 },
    { name: 'v2 HeadersRegexp', rule: 'HeadersRegexp(`a`, `b`)', code: 'RULE_UNKNOWN_MATCHER', column: 1 },
    {
      name: 'v2 HostHeader',
      rule: 'HostHeader(`a`)',
      code: 'RULE_UNKNOWN_MATCHER',
      column: 1,
      says: 'removed',
    },
    { name: 'TCP matcher', rule: 'HostSNI(`a`)', code: 'RULE_UNKNOWN_MATCHER', column: 1, says: 'TCP' },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const r = parseRule(c.rule);
      expect(r.ok ? r : { code: r.code, column: r.column }).toEqual({ code: c.code, column: c.column });
      if (!r.ok && c.says) expect(r.message).toContain(c.says);
      if (!r.ok) expect(r.message).toContain(`at column ${c.column}`);
    });
  }

  it('builds messages from the error catalog', () => {
    expect(parseRule('Hots(`a`)')).toEqual({
      ok: false,
      code: 'RULE_UNKNOWN_MATCHER',
      column: 1,
      message: 'rule "Hots(`a`)": unknown matcher Hots at column 1; did you mean "Host"?',
    });
    expect(parseRule('Headers(`a`, `b`)')).toMatchObject({
      message:
        'rule "Headers(`a`, `b`)": unknown matcher Headers at column 1; Traefik v3 renamed Headers to Header',
    });
    // Names of Object.prototype are unknown matchers with no hint (once the message ended "function Object()").
    expect(parseRule('constructor(`a`)')).toMatchObject({
      message: 'rule "constructor(`a`)": unknown matcher constructor at column 1',
    });
    expect(parseRule('__proto__(`a`)')).toMatchObject({
      message: 'rule "__proto__(`a`)": unknown matcher __proto__ at column 1',
    });
    expect(parseRule('Host(`a`, `b`)')).toMatchObject({
      message: 'rule "Host(`a`, `b`)": Host takes exactly 1 argument but got 2 at column 1',
    });
    expect(parseRule("Host('a')")).toMatchObject({
      message: `rule "Host('a')": single quotes are not allowed, use backticks or double quotes at column 6`,
    });
  });
});
