import { type ErrorCode, formatError } from '../../config/errors.ts';
import type { ExpressionCall, ExpressionDialect, ExpressionNode } from '../../config/expression-parser.ts';
import { nameHint, parseExpression } from '../../config/expression-parser.ts';
import { type MatcherName, RULE_GRAMMAR, type RuleAst, type RuleParseResult } from './rule-parser.ts';
import { templateRegexp } from './v2-template.ts';

// Traefik v2's rule language (`ruleSyntax: v2`, `core.defaultRuleSyntax: v2`; Traefik v3.7 keeps it in
// pkg/muxer/http/matcher_v2.go). Its grammar is v3's; its matchers differ: several arguments where v3 takes
// one, gorilla/mux templates with `{name:pattern}` placeholders, Headers/HeadersRegexp, Query(`k=v`),
// HostHeader. A v2 rule is parsed here into the v3 syntax tree that matches the same requests, so one
// compiler (rule-matcher.ts) serves both and the rewrite can be shown to users (rule-print.ts).

/** The matchers of Traefik v2's rule language. */
const V2_NAMES = [
  'Host',
  'HostHeader',
  'HostRegexp',
  'ClientIP',
  'Path',
  'PathPrefix',
  'Method',
  'Headers',
  'HeadersRegexp',
  'Query',
] as const;
type V2Name = (typeof V2_NAMES)[number];

/** Traefik's rules.NewParser spellings: as written, lower, UPPER and Title-case. */
const SPELLINGS = new Map<string, V2Name>();
for (const name of V2_NAMES) {
  const lower = name.toLowerCase();
  for (const s of [name, lower, name.toUpperCase(), lower[0]!.toUpperCase() + lower.slice(1)])
    SPELLINGS.set(s, name);
}

/** Hints for v3 names used in a v2 rule. */
const V3_ONLY: Record<string, string> = {
  header: '; Traefik v2 spells it Headers (or remove ruleSyntax v2 to use v3 syntax)',
  headerregexp: '; Traefik v2 spells it HeadersRegexp (or remove ruleSyntax v2 to use v3 syntax)',
  pathregexp: '; PathRegexp is Traefik v3 syntax: remove ruleSyntax v2, or use Path with {name:regexp}',
  queryregexp: '; QueryRegexp is Traefik v3 syntax: remove ruleSyntax v2',
  hostsni: '; HostSNI is a TCP router matcher, use Host for HTTP routers',
};

/** A call's problem with the 1-based column of the argument at fault. */
class V2Error extends Error {
  readonly column: number;
  constructor(problem: string, column: number) {
    super(problem);
    this.column = column;
  }
}

const DIALECT: ExpressionDialect = {
  ...RULE_GRAMMAR,
  name: (written) =>
    SPELLINGS.get(written) ?? {
      // Object.hasOwn: `constructor` or `__proto__` is an unknown name, not a key of Object.prototype.
      problem: Object.hasOwn(V3_ONLY, written.toLowerCase())
        ? (V3_ONLY[written.toLowerCase()] as string)
        : nameHint(written, V2_NAMES),
    },
  checkCall: ({ name, args, column }) => {
    // Traefik's rules.CheckRule, then gorilla/mux's pair checks.
    if (args.length === 0) return { problem: 'takes at least 1 argument but got 0', column };
    const empty = args.findIndex((a) => a.text === '');
    if (empty >= 0) return { problem: `argument ${empty + 1} is empty`, column: args[empty]!.column };
    if ((name === 'Headers' || name === 'HeadersRegexp') && args.length % 2 !== 0)
      return { problem: `takes name and value pairs but got ${args.length} arguments`, column };
    return undefined;
  },
};

type Leaf = Extract<RuleAst, { type: 'matcher' }>;
const leaf = (name: MatcherName, args: string[], column: number): Leaf => ({
  type: 'matcher',
  name,
  args,
  column,
});

/** Joins matchers with one operator, left to right. */
function join(type: 'and' | 'or', nodes: readonly RuleAst[]): RuleAst {
  let out = nodes[0]!;
  for (let i = 1; i < nodes.length; i++) out = { type, left: out, right: nodes[i]! };
  return out;
}

/** The v3 tree for a path template: Path/PathPrefix when literal, else PathRegexp. */
function pathNode(text: string, column: number, prefix: boolean, matcher: string): Leaf {
  if (!text.startsWith('/')) throw new V2Error(`${matcher} value "${text}" must start with "/"`, column);
  const t = templateRegexp(text, prefix ? 'prefix' : 'path');
  if (!t.ok) throw new V2Error(`${matcher} ${t.problem}`, column);
  if (t.literal) return leaf(prefix ? 'PathPrefix' : 'Path', [text], column);
  return leaf('PathRegexp', [t.source], column);
}

/**
 * gorilla/mux's host template matched case-insensitively (Traefik's mux fork), against the host without
 * its port; Wharf's hosts are lower-cased, so `(?i)` is only needed for a pattern with upper-case letters.
 */
function hostRegexpNode(text: string, column: number): Leaf {
  const t = templateRegexp(text, 'host');
  if (!t.ok) throw new V2Error(`HostRegexp ${t.problem}`, column);
  return leaf('HostRegexp', [/[A-Z]/.test(t.source) ? `(?i)${t.source}` : t.source], column);
}

/** Query(`k=v`, …): each argument split at its first `=`, then read as key, value pairs (gorilla/mux). */
function queryNodes(call: ExpressionCall): RuleAst[] {
  const parts: Array<{ text: string; column: number }> = [];
  for (const a of call.args) {
    const eq = a.text.indexOf('=');
    if (eq < 0) parts.push(a);
    else
      parts.push(
        { text: a.text.slice(0, eq), column: a.column },
        { text: a.text.slice(eq + 1), column: a.column },
      );
  }
  if (parts.length % 2 !== 0)
    throw new V2Error('takes key=value arguments (write `key=` for any value)', call.column);
  const out: RuleAst[] = [];
  for (let i = 0; i < parts.length; i += 2) {
    const { text: key, column } = parts[i]!;
    const value = parts[i + 1]!.text;
    if (key.includes('{')) throw new V2Error(`Query key "${key}" cannot have placeholders`, column);
    if (value === '') {
      out.push(leaf('QueryRegexp', [key, '.*'], column));
      continue;
    }
    const t = templateRegexp(value, 'query');
    if (!t.ok) throw new V2Error(`Query ${t.problem}`, column);
    out.push(t.literal ? leaf('Query', [key, value], column) : leaf('QueryRegexp', [key, t.source], column));
  }
  return out;
}

/** The v3 tree matching what one v2 call matched. */
function translate(call: ExpressionCall): RuleAst {
  const { args, column } = call;
  const each = (f: (text: string, column: number) => RuleAst) =>
    join(
      'or',
      args.map((a) => f(a.text, a.column)),
    );
  const pairs = (name: MatcherName) => {
    const out: RuleAst[] = [];
    for (let i = 0; i < args.length; i += 2) out.push(leaf(name, [args[i]!.text, args[i + 1]!.text], column));
    return join('and', out);
  };
  switch (call.name as V2Name) {
    case 'Host':
    case 'HostHeader':
      return each((t) => leaf('Host', [t], column));
    case 'HostRegexp':
      return each((t, c) => hostRegexpNode(t, c));
    case 'ClientIP':
      return each((t) => leaf('ClientIP', [t], column));
    case 'Method':
      return each((t) => leaf('Method', [t], column));
    case 'Path':
      return each((t, c) => pathNode(t, c, false, 'Path'));
    case 'PathPrefix':
      return each((t, c) => pathNode(t, c, true, 'PathPrefix'));
    case 'Headers':
      return pairs('Header');
    case 'HeadersRegexp':
      return pairs('HeaderRegexp');
    case 'Query':
      return join('and', queryNodes(call));
  }
}

/** Rebuilds the parsed v2 tree with each call replaced by its v3 subtree. */
function toV3(node: ExpressionNode): RuleAst {
  switch (node.type) {
    case 'and':
    case 'or':
      return { type: node.type, left: toV3(node.left), right: toV3(node.right) };
    case 'not':
      return { type: 'not', expr: toV3(node.expr) };
    default:
      return translate(node);
  }
}

/**
 * Parses a Traefik v2 rule into the v3 syntax tree that matches the same requests (see docs/rules.md,
 * "Traefik v2 rules", for the few differences), checking names, arguments and templates.
 */
export function parseRuleV2(rule: string): RuleParseResult {
  const r = parseExpression(rule, DIALECT);
  if (r.ok) {
    if (r.ast === undefined) {
      const message = formatError('RULE_SYNTAX', { rule, problem: 'empty rule', column: 1 });
      return { ok: false, code: 'RULE_SYNTAX', message, column: 1 };
    }
    try {
      return { ok: true, ast: toV3(r.ast) };
    } catch (e) {
      if (!(e instanceof V2Error)) throw e;
      const message = formatError('RULE_V2_ARGUMENTS', { rule, problem: e.message, column: e.column });
      return { ok: false, code: 'RULE_V2_ARGUMENTS', message, column: e.column };
    }
  }
  const [code, params]: [ErrorCode, Record<string, string | number | undefined>] =
    r.kind === 'name'
      ? ['RULE_UNKNOWN_MATCHER', { rule, matcher: r.name, column: r.column, hint: r.problem }]
      : r.kind === 'call'
        ? ['RULE_ARGUMENTS', { rule, matcher: r.name, problem: r.problem, column: r.column }]
        : r.kind === 'limit'
          ? ['RULE_TOO_COMPLEX', { rule, problem: r.problem, column: r.column }]
          : ['RULE_SYNTAX', { rule, problem: r.problem, column: r.column }];
  return { ok: false, code, message: formatError(code, params), column: r.column };
}
