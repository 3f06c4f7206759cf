import { type ErrorCode, formatError } from '../../config/errors.ts';
import type { ExpressionCall, ExpressionDialect, ExpressionTree } from '../../config/expression-parser.ts';
import { mapCalls, nameHint, parseExpression } from '../../config/expression-parser.ts';

/** A parsed router rule: matchers combined with &&, || and !. */
export type RuleAst = ExpressionTree<{ type: 'matcher'; name: MatcherName; args: string[]; column: number }>;

/** The HTTP matchers of Traefik v3's rule language. */
export type MatcherName =
  | 'Host'
  | 'HostRegexp'
  | 'Path'
  | 'PathPrefix'
  | 'PathRegexp'
  | 'Method'
  | 'Header'
  | 'HeaderRegexp'
  | 'Query'
  | 'QueryRegexp'
  | 'ClientIP';

/** The outcome of parsing a rule: its syntax tree, or a catalog error with a 1-based column. */
export type RuleParseResult =
  | { ok: true; ast: RuleAst }
  | { ok: false; code: ErrorCode; message: string; column: number };

/** Accepted argument counts per matcher (Traefik's expectNParameters). */
const ARITY: Record<MatcherName, readonly number[]> = {
  Host: [1],
  HostRegexp: [1],
  Path: [1],
  PathPrefix: [1],
  PathRegexp: [1],
  Method: [1],
  Header: [2],
  HeaderRegexp: [2],
  Query: [1, 2],
  QueryRegexp: [1, 2],
  ClientIP: [1],
};

const NAMES = Object.keys(ARITY) as MatcherName[];

/** Spellings Traefik accepts for each matcher: as written, lower, UPPER and Title-case. */
const SPELLINGS = new Map<string, MatcherName>();
for (const name of NAMES) {
  const lower = name.toLowerCase();
  for (const s of [name, lower, name.toUpperCase(), lower[0]!.toUpperCase() + lower.slice(1)])
    SPELLINGS.set(s, name);
}

/** Hints for names that existed in Traefik v2 or belong to TCP routers. */
const RETIRED: Record<string, string> = {
  headers: '; Traefik v3 renamed Headers to Header',
  headersregexp: '; Traefik v3 renamed HeadersRegexp to HeaderRegexp',
  hostheader: '; Traefik v3 removed HostHeader, use Host',
  hostsni: '; HostSNI is a TCP router matcher, use Host for HTTP routers',
  hostsniregexp: '; HostSNIRegexp is a TCP router matcher, use HostRegexp for HTTP routers',
};

/** What Traefik's rule grammar is in both rule syntaxes (v3 here, v2 in rule-parser-v2.ts): all but the matchers. */
export const RULE_GRAMMAR = {
  expected: 'a matcher',
  end: 'the end of the rule',
  space: /[ \t\n\r]/,
  escapeAdvice: ' in a double-quoted string (use backticks for regexps)',
  pairOperators: true,
  trailingComma: true,
  afterOperator: (op: string) => `expected a matcher after '${op}' but the rule ends`,
} satisfies Partial<ExpressionDialect>;

/** The rule language as a dialect of the shared expression grammar. */
const DIALECT: ExpressionDialect = {
  ...RULE_GRAMMAR,
  // The problem of an unknown name is its hint; parseRule builds the RULE_UNKNOWN_MATCHER message.
  // Object.hasOwn: `constructor` or `__proto__` is an unknown name, not a key of Object.prototype.
  name: (written) =>
    SPELLINGS.get(written) ?? {
      problem: Object.hasOwn(RETIRED, written.toLowerCase())
        ? (RETIRED[written.toLowerCase()] as string)
        : nameHint(written, NAMES),
    },
  checkCall: ({ name, args, column }) => {
    const arity = ARITY[name as MatcherName];
    if (!arity.includes(args.length)) {
      const want = arity.length === 1 ? `exactly ${arity[0]}` : `${arity.join(' or ')}`;
      const problem = `takes ${want} argument${arity[arity.length - 1] === 1 ? '' : 's'} but got ${args.length}`;
      return { problem, column };
    }
    const empty = args.findIndex((a) => a.text === '');
    return empty < 0 ? undefined : { problem: `argument ${empty + 1} is empty`, column: args[empty]!.column };
  },
};

/** A call of the (checked) rule language as a matcher leaf. */
function toMatcher({ name, args, column }: ExpressionCall): Extract<RuleAst, { type: 'matcher' }> {
  return { type: 'matcher', name: name as MatcherName, args: args.map((a) => a.text), column };
}

/** What parseRule reports for a blank rule, which the shared parser accepts as no expression. */
const EMPTY = { kind: 'syntax', problem: 'empty rule', column: 1, name: undefined } as const;

/** The start of a rule too large to quote whole in a diagnostic. */
function abbreviate(rule: string): string {
  return rule.length <= 80 ? rule : `${rule.slice(0, 80)}… (${rule.length} characters)`;
}

/** Parses a Traefik v3 rule into a syntax tree, checking matcher names, argument counts and empty values. */
export function parseRule(rule: string): RuleParseResult {
  const r = parseExpression(rule, DIALECT);
  if (r.ok && r.ast !== undefined) return { ok: true, ast: mapCalls(r.ast, toMatcher) };
  const { kind, problem, column, name: matcher } = r.ok ? EMPTY : r;
  const [code, params]: [ErrorCode, Record<string, string | number | undefined>] =
    kind === 'name'
      ? ['RULE_UNKNOWN_MATCHER', { rule, matcher, column, hint: problem }]
      : kind === 'call'
        ? ['RULE_ARGUMENTS', { rule, matcher, problem, column }]
        : kind === 'limit'
          ? ['RULE_TOO_COMPLEX', { rule: abbreviate(rule), problem, column }]
          : ['RULE_SYNTAX', { rule, problem, column }];
  return { ok: false, code, message: formatError(code, params), column };
}
