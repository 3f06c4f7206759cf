import { type ErrorCode, formatError } from '../../config/errors.ts';
import { didYouMean } from '../../config/suggest.ts';

/** A parsed router rule: matchers combined with &&, || and !. */
export type RuleAst =
  | { type: 'and' | 'or'; left: RuleAst; right: RuleAst }
  | { type: 'not'; expr: RuleAst }
  | { type: 'matcher'; name: MatcherName; args: string[]; column: number };

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

class RuleSyntaxError extends Error {
  readonly code: ErrorCode;
  readonly column: number;
  constructor(code: ErrorCode, message: string, column: number) {
    super(message);
    this.code = code;
    this.column = column;
  }
}

const isSpace = (c: string | undefined) => c === ' ' || c === '\t' || c === '\n' || c === '\r';
const isIdentStart = (c: string | undefined) => c !== undefined && /[A-Za-z_]/.test(c);
const isIdentPart = (c: string | undefined) => c !== undefined && /[A-Za-z0-9_]/.test(c);
const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', n: '\n', t: '\t', r: '\r' };

/** didYouMean misses swapped letters (`Hots`); a matcher spelled with the same letters is a likely typo. */
function anagramHint(word: string): string {
  const key = (w: string) => [...w.toLowerCase()].sort().join('');
  const match = NAMES.find((n) => key(n) === key(word));
  return match ? `; did you mean "${match}"?` : '';
}

/** Parses a Traefik v3 rule into a syntax tree, checking matcher names, argument counts and empty values. */
export function parseRule(rule: string): RuleParseResult {
  let pos = 0;

  function fail(column: number, problem: string): never {
    throw new RuleSyntaxError('RULE_SYNTAX', formatError('RULE_SYNTAX', { rule, problem, column }), column);
  }
  const skip = () => {
    while (isSpace(rule[pos])) pos++;
  };
  /** Names what sits at `at`, for "but found ..." messages. */
  const found = (at: number): string => {
    const c = rule[at];
    if (c === undefined) return 'the end of the rule';
    if (isIdentStart(c)) {
      let end = at;
      while (isIdentPart(rule[end])) end++;
      return `'${rule.slice(at, end)}'`;
    }
    if (c === '`' || c === '"') return 'a string';
    const two = rule.slice(at, at + 2);
    return two === '&&' || two === '||' ? `'${two}'` : `'${c}'`;
  };
  /** Rejects a lone '&' or '|' where an operator may stand. */
  const checkLoneOperator = () => {
    const c = rule[pos];
    if ((c === '&' || c === '|') && rule[pos + 1] !== c)
      fail(pos + 1, `'${c}' is not an operator, use '${c}${c}'`);
  };

  const parseOr = (): RuleAst => {
    let left = parseAnd();
    for (;;) {
      skip();
      checkLoneOperator();
      if (!rule.startsWith('||', pos)) return left;
      const op = pos + 1;
      pos += 2;
      left = { type: 'or', left, right: parseAnd(op, '||') };
    }
  };

  const parseAnd = (opColumn?: number, op?: string): RuleAst => {
    let left = parseUnary(opColumn, op);
    for (;;) {
      skip();
      checkLoneOperator();
      if (!rule.startsWith('&&', pos)) return left;
      const column = pos + 1;
      pos += 2;
      left = { type: 'and', left, right: parseUnary(column, '&&') };
    }
  };

  const parseUnary = (opColumn?: number, op?: string): RuleAst => {
    skip();
    if (rule[pos] === '!') {
      const column = pos + 1;
      pos++;
      return { type: 'not', expr: parseUnary(column, '!') };
    }
    return parsePrimary(opColumn, op);
  };

  const parsePrimary = (opColumn?: number, op?: string): RuleAst => {
    const c = rule[pos];
    if (c === undefined && opColumn !== undefined)
      fail(opColumn, `expected a matcher after '${op}' but the rule ends`);
    if (c === '(') {
      const open = pos + 1;
      pos++;
      const inner = parseOr();
      skip();
      if (rule[pos] === ')') {
        pos++;
        return inner;
      }
      if (pos >= rule.length) fail(open, "'(' is never closed");
      return fail(pos + 1, `expected '&&', '||' or ')' but found ${found(pos)}`);
    }
    if (isIdentStart(c)) return parseMatcher();
    return fail(pos + 1, `expected a matcher but found ${found(pos)}`);
  };

  const parseMatcher = (): RuleAst => {
    const column = pos + 1;
    const start = pos;
    while (isIdentPart(rule[pos])) pos++;
    const written = rule.slice(start, pos);
    const name = SPELLINGS.get(written);
    if (name === undefined) {
      const hint = RETIRED[written.toLowerCase()] ?? (didYouMean(written, NAMES) || anagramHint(written));
      const message = formatError('RULE_UNKNOWN_MATCHER', { rule, matcher: written, column, hint });
      throw new RuleSyntaxError('RULE_UNKNOWN_MATCHER', message, column);
    }
    skip();
    if (rule[pos] !== '(') fail(pos + 1, `expected '(' after ${written} but found ${found(pos)}`);
    const open = pos + 1;
    pos++;
    const args: string[] = [];
    const argColumns: number[] = [];
    skip();
    while (rule[pos] !== ')') {
      argColumns.push(pos + 1);
      args.push(parseString());
      skip();
      if (rule[pos] === ',') {
        pos++;
        skip();
        continue;
      }
      if (rule[pos] === ')') break;
      if (pos >= rule.length) fail(open, `'(' of ${written} is never closed`);
      fail(pos + 1, `expected ',' or ')' but found ${found(pos)}`);
    }
    pos++;
    const arity = ARITY[name];
    if (!arity.includes(args.length)) {
      const want = arity.length === 1 ? `exactly ${arity[0]}` : `${arity.join(' or ')}`;
      const problem = `takes ${want} argument${arity[arity.length - 1] === 1 ? '' : 's'} but got ${args.length}`;
      const message = formatError('RULE_ARGUMENTS', { rule, matcher: name, problem, column });
      throw new RuleSyntaxError('RULE_ARGUMENTS', message, column);
    }
    const empty = args.indexOf('');
    if (empty >= 0) {
      const at = argColumns[empty]!;
      const problem = `argument ${empty + 1} is empty`;
      throw new RuleSyntaxError(
        'RULE_ARGUMENTS',
        formatError('RULE_ARGUMENTS', { rule, matcher: name, problem, column: at }),
        at,
      );
    }
    return { type: 'matcher', name, args, column };
  };

  const parseString = (): string => {
    const open = pos;
    const quote = rule[pos];
    if (quote === '`') {
      const end = rule.indexOf('`', pos + 1);
      if (end < 0) fail(open + 1, 'unterminated string');
      pos = end + 1;
      return rule.slice(open + 1, end);
    }
    if (quote === '"') {
      let out = '';
      pos++;
      for (;;) {
        const c = rule[pos];
        if (c === undefined) return fail(open + 1, 'unterminated string');
        if (c === '"') break;
        if (c === '\\') {
          const e = ESCAPES[rule[pos + 1] ?? ''];
          if (e === undefined) {
            const seq = rule.slice(pos, pos + 2);
            fail(
              pos + 1,
              `unknown escape sequence ${seq} in a double-quoted string (use backticks for regexps)`,
            );
          }
          out += e;
          pos += 2;
        } else {
          out += c;
          pos++;
        }
      }
      pos++;
      return out;
    }
    if (quote === "'") fail(pos + 1, 'single quotes are not allowed, use backticks or double quotes');
    return fail(pos + 1, `expected a string in backticks or double quotes but found ${found(pos)}`);
  };

  try {
    skip();
    if (pos >= rule.length) fail(1, 'empty rule');
    const ast = parseOr();
    skip();
    if (pos < rule.length) {
      if (rule[pos] === ')') fail(pos + 1, "')' has no matching '('");
      fail(pos + 1, `expected '&&' or '||' but found ${found(pos)}`);
    }
    return { ok: true, ast };
  } catch (e) {
    if (e instanceof RuleSyntaxError)
      return { ok: false, code: e.code, message: e.message, column: e.column };
    throw e;
  }
}
