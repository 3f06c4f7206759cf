import { type ErrorCode, formatError } from '../../config/errors.ts';
import { compileIpMatcher, type IpMatcher } from '../net/ip-matcher.ts';
import { compileLinearRegexp, type LinearRegexp } from '../regexp/linear-regexp.ts';
import { headerValues, type MatchRequest, queryHas, routingPath } from './match-request.ts';
import { type MatcherName, parseRule, type RuleAst, type RuleParseResult } from './rule-parser.ts';
import { parseRuleV2 } from './rule-parser-v2.ts';
import { printRule } from './rule-print.ts';

/** A compiled rule: a predicate over a request, built once and called per request. */
export type Matcher = (r: MatchRequest) => boolean;

/** The outcome of compiling a rule: its matcher, or a catalog error. */
export type RuleCompileResult =
  | { ok: true; matcher: Matcher }
  | { ok: false; code: ErrorCode; message: string };

class RuleCompileError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, params: Record<string, string | number>) {
    super(formatError(code, params));
    this.code = code;
  }
}

interface Ctx {
  readonly rule: string;
  readonly name: MatcherName;
  readonly column: number;
}

const badArgs = (ctx: Ctx, problem: string) =>
  new RuleCompileError('RULE_ARGUMENTS', { rule: ctx.rule, matcher: ctx.name, column: ctx.column, problem });

const ARITY: Record<MatcherName, readonly number[]> = {
  ...{ Host: [1], HostRegexp: [1], Path: [1], PathPrefix: [1], PathRegexp: [1], Method: [1], ClientIP: [1] },
  ...{ Header: [2], HeaderRegexp: [2], Query: [1, 2], QueryRegexp: [1, 2] },
};

/** Builds one matcher's predicate; all validation and compilation happens here, once. */
function leaf(a: readonly string[], ctx: Ctx): Matcher {
  const [first = '', second] = a;
  switch (ctx.name) {
    case 'Host':
      return hostMatcher(first, ctx);
    case 'HostRegexp': {
      if (!isAscii(first)) throw badArgs(ctx, `value "${first}" must be ASCII (write names in punycode)`);
      // Traefik: a case-sensitive Go regexp against the lower-cased host (without port).
      const re = regexp(first, ctx);
      return (r) => re.test(r.host);
    }
    case 'Path':
      return pathMatcher(first, ctx, false);
    case 'PathPrefix':
      return pathMatcher(first, ctx, true);
    case 'PathRegexp': {
      const re = regexp(first, ctx);
      return (r) => re.test(routingPath(r.path));
    }
    case 'Method': {
      const method = first.toUpperCase();
      return (r) => r.method === method;
    }
    case 'Header': {
      const key = first.toLowerCase();
      return (r) => r.headers[key] !== undefined && headerValues(r, key)?.includes(second!) === true;
    }
    case 'HeaderRegexp': {
      const key = first.toLowerCase();
      const re = regexp(second!, ctx);
      return (r) => r.headers[key] !== undefined && headerValues(r, key)?.some((x) => re.test(x)) === true;
    }
    case 'Query':
    case 'QueryRegexp': {
      // Traefik: a value-less Query(`k`) matches a key present with an empty value (`?k` or `?k=`).
      const re = ctx.name === 'QueryRegexp' && second !== undefined ? regexp(second, ctx) : undefined;
      const value = second ?? '';
      const test = re ? (v: string) => re.test(v) : (v: string) => v === value;
      return (r) => queryHas(r.rawQuery, first, test);
    }
    case 'ClientIP': {
      const contains = ipMatcher(first, ctx);
      return (r) => contains(r.clientIp);
    }
  }
}

/** Validates arguments (regexps compile, ClientIP is an IP or CIDR, arity) and builds a fast predicate. */
export function compileRule(ast: RuleAst, rule: string): RuleCompileResult {
  try {
    return { ok: true, matcher: build(ast, rule) };
  } catch (e) {
    if (e instanceof RuleCompileError) return { ok: false, code: e.code, message: e.message };
    throw e;
  }
}

/** A router's rule syntax: Traefik v3's (the default) or v2's (`ruleSyntax: v2`, rule-parser-v2.ts). */
export type RuleSyntax = 'v2' | 'v3';

/**
 * parse + compile in one call, in the given syntax. A v3 rule that fails but reads as a valid v2 rule
 * gets RULE_V2_SYNTAX, whose message shows the v3 rewrite (and the ruleSyntax alternative).
 */
export function compileRuleText(
  rule: string,
  syntax: RuleSyntax = 'v3',
): RuleCompileResult & { ast?: RuleAst } {
  const parsed = syntax === 'v2' ? parseRuleV2(rule) : parseRule(rule);
  const compiled = parsed.ok ? compileRule(parsed.ast, rule) : parsed;
  if (compiled.ok) return { ...compiled, ast: (parsed as Extract<RuleParseResult, { ok: true }>).ast };
  // Only where v3 refused a v2 construct (a v2 name, several arguments), not e.g. a bad regexp.
  if (syntax === 'v3' && (compiled.code === 'RULE_UNKNOWN_MATCHER' || compiled.code === 'RULE_ARGUMENTS')) {
    const rewrite = v2Rewrite(rule);
    if (rewrite !== undefined) {
      const problem = compiled.message.replace(`rule "${rule}": `, '');
      return {
        ok: false,
        code: 'RULE_V2_SYNTAX',
        message: formatError('RULE_V2_SYNTAX', { rule, problem, rewrite }),
      };
    }
  }
  return { ok: false, code: compiled.code, message: compiled.message };
}

/** A v2 placeholder, `{name}` or `{name:pattern}`: v3 reads it as literal text. */
const PLACEHOLDER = /\{[A-Za-z_][\w-]*(?::[^}]*)?\}/;

/**
 * For a valid v3 rule that reads like a Traefik v2 one (a `{name:regexp}` placeholder in Host, HostRegexp,
 * Path or PathPrefix, or Query(`k=v`)), what it means in v3 and its v3 rewrite; undefined otherwise.
 */
export function v2Lookalike(ast: RuleAst, rule: string): { what: string; rewrite: string } | undefined {
  const stack: RuleAst[] = [ast];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (n.type === 'not') stack.push(n.expr);
    else if (n.type !== 'matcher') stack.push(n.left, n.right);
    else {
      const [a = ''] = n.args;
      const placeholder =
        n.name !== 'Query' && n.name !== 'ClientIP' && n.args.some((x) => PLACEHOLDER.test(x));
      const pair = n.name === 'Query' && n.args.length === 1 && a.includes('=');
      if (!placeholder && !pair) continue;
      const rewrite = v2Rewrite(rule);
      if (rewrite === undefined || rewrite === rule) return undefined;
      const what = pair
        ? `Query(\`${a}\`) matches a parameter named "${a}"`
        : `${n.name}(\`${a}\`) matches the text {…} literally`;
      return { what, rewrite };
    }
  }
  return undefined;
}

/** The v3 text of a rule that is valid Traefik v2 syntax, or undefined. */
export function v2Rewrite(rule: string): string | undefined {
  const v2 = parseRuleV2(rule);
  if (!v2.ok || !compileRule(v2.ast, rule).ok) return undefined;
  return printRule(v2.ast);
}

function build(ast: RuleAst, rule: string): Matcher {
  if (ast.type === 'not') {
    const m = build(ast.expr, rule);
    return (req) => !m(req);
  }
  if (ast.type !== 'matcher') {
    const l = build(ast.left, rule);
    const r = build(ast.right, rule);
    return ast.type === 'and' ? (req) => l(req) && r(req) : (req) => l(req) || r(req);
  }
  const ctx: Ctx = { rule, name: ast.name, column: ast.column };
  const arity = ARITY[ast.name];
  if (!arity)
    throw new RuleCompileError('RULE_UNKNOWN_MATCHER', { rule, matcher: ast.name, column: ast.column });
  // The parser checks these too; checked again for syntax trees built by hand.
  if (!arity.includes(ast.args.length)) {
    throw badArgs(ctx, `takes ${arity.join(' or ')} argument(s) but got ${ast.args.length}`);
  }
  const empty = ast.args.indexOf('');
  if (empty >= 0) throw badArgs(ctx, `argument ${empty + 1} is empty`);
  return leaf(ast.args, ctx);
}

// --- Host ---

const DOT = 46;
const isAscii = (s: string) => /^\p{ASCII}*$/u.test(s);

function hostMatcher(value: string, ctx: Ctx): Matcher {
  if (!isAscii(value)) throw badArgs(ctx, `value "${value}" must be ASCII (write names in punycode)`);
  const lower = value.toLowerCase();
  if (lower === '*') return (r) => r.host !== '';
  // A trailing dot (fully qualified name) is equivalent to none, on either side, as in Traefik.
  const h = lower.charCodeAt(lower.length - 1) === DOT ? lower.slice(0, -1) : lower;
  if (!h.includes('*')) {
    return (r) => {
      const host = r.host;
      return (
        host === h ||
        (host.length === h.length + 1 && host.charCodeAt(h.length) === DOT && host.startsWith(h))
      );
    };
  }
  if (!h.startsWith('*.') || h.length < 3 || h.includes('*', 1)) {
    throw badArgs(
      ctx,
      `wildcard "${value}" is not supported: use * alone or as the first label, as in *.example.com`,
    );
  }
  const suffix = h.slice(2);
  return (r) => isOneLabelUnder(r.host, suffix);
}

/** Whether host is exactly one non-empty label followed by '.' and suffix (a trailing dot ignored). */
function isOneLabelUnder(host: string, suffix: string): boolean {
  const end = host.charCodeAt(host.length - 1) === DOT ? host.length - 1 : host.length;
  const dot = end - suffix.length - 1;
  return dot > 0 && host.indexOf('.') === dot && host.startsWith(suffix, dot + 1);
}

// --- Path ---

function pathMatcher(p: string, ctx: Ctx, prefix: boolean): Matcher {
  if (p.charCodeAt(0) !== 47) throw badArgs(ctx, `value "${p}" must start with "/"`);
  return prefix ? (r) => routingPath(r.path).startsWith(p) : (r) => routingPath(r.path) === p;
}

// --- ClientIP: the code base's one IP matcher (core/net/ip-matcher.ts), as Traefik uses its ip.Checker ---

/** Compiles a ClientIP argument (one IP or CIDR; no spaces, no zone); a bad one is RULE_BAD_IP. */
function ipMatcher(value: string, ctx: Ctx): IpMatcher {
  // Traefik passes the argument to its checker as written: spaces around it make it invalid.
  if (value.trim() === value) {
    try {
      return compileIpMatcher([value]);
    } catch {
      // reported below with the rule
    }
  }
  throw new RuleCompileError('RULE_BAD_IP', { rule: ctx.rule, value });
}

// --- regexps: Go's RE2 syntax, matched in linear time (core/regexp) ---

/** Compiles a matcher's regexp argument; RE2's refusal becomes the rule's RULE_BAD_REGEXP error. */
function regexp(source: string, ctx: Ctx): LinearRegexp {
  const r = compileLinearRegexp(source);
  if (r.ok) return r.regexp;
  throw new RuleCompileError('RULE_BAD_REGEXP', {
    rule: ctx.rule,
    pattern: `\`${source}\``,
    problem: r.problem,
  });
}
