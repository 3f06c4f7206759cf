import { predicateNumber, scanGoNumber } from './go-number.ts';
import { didYouMean } from './suggest.ts';

// The expression grammar shared by router rules (`Host(`a`) && !Method(`GET`)`) and Docker constraints
// (`Label(`k`,`v`) || LabelRegex(`k`,`re`)`): calls with string arguments in backticks (raw) or double
// quotes (with \" \\ \n \t \r escapes), combined with `!`, `&&` (binds tighter) and `||`, and grouped by
// parentheses. What differs between the two languages (function names, wording, checks) is a dialect.

/**
 * One argument of a call, with the 1-based column of its opening quote (or first digit): a string, or in a
 * dialect with `numbers` a Go number literal as written, `number` saying whether Go reads it as an int or
 * a float (`50` is an int, `50.0` a float: Go-typed languages tell them apart) and `value` its value as
 * vulcand/predicate reads it (config/go-number.ts: `0x1p-2` is 0.25, `1_000.5` is 1000.5).
 */
export interface ExpressionArg {
  text: string;
  column: number;
  number?: 'int' | 'float';
  value?: number;
}

/** A comparison operator a dialect with `comparisons` accepts after a call. */
export type ComparisonOperator = '==' | '!=' | '<' | '<=' | '>' | '>=';

/**
 * A call: a function name (as the dialect resolved it), its arguments and its 1-based column; in a dialect
 * with `comparisons`, the number (or with `compareStrings`, the string) it is compared with, if any.
 */
export interface ExpressionCall {
  type: 'call';
  name: string;
  args: ExpressionArg[];
  column: number;
  compare?: { operator: ComparisonOperator; column: number; value: ExpressionArg };
}

/** Leaves combined with &&, || and !; the callers' own syntax trees have their own leaves. */
export type ExpressionTree<Leaf> =
  | { type: 'and' | 'or'; left: ExpressionTree<Leaf>; right: ExpressionTree<Leaf> }
  | { type: 'not'; expr: ExpressionTree<Leaf> }
  | Leaf;

/** The deepest nesting of parentheses and `!` an expression may have (a deeper one is a `limit` problem). */
export const MAX_EXPRESSION_DEPTH = 100;

/** The longest expression, in characters (a longer one is a `limit` problem). */
export const MAX_EXPRESSION_LENGTH = 65_536;

/** A parsed expression: calls combined with &&, || and !. */
export type ExpressionNode = ExpressionTree<ExpressionCall>;

/** A problem a dialect's callback reports, at a 1-based column. */
export interface ExpressionProblem {
  problem: string;
  column: number;
}

/**
 * The outcome of parsing: the tree (undefined when the input is blank), or the first problem with its
 * 1-based column; `kind` says who found it (`name` and `call`: the dialect's callbacks, which also set
 * `name`, as written for `name` and as resolved for `call`; `limit`: the expression is longer or nests
 * deeper than MAX_EXPRESSION_LENGTH or MAX_EXPRESSION_DEPTH).
 */
export type ExpressionParseResult =
  | { ok: true; ast: ExpressionNode | undefined }
  | { ok: false; kind: 'syntax' | 'name' | 'call' | 'limit'; problem: string; column: number; name?: string };

/** What sets one language of the grammar apart from another. */
export interface ExpressionDialect {
  /** What a call is called in "expected … but found" messages, e.g. `a matcher`. */
  expected: string;
  /** The name a written function name stands for, or the problem with it (reported at the name). */
  name: (written: string) => string | { problem: string };
  /** Checks a complete call (arity, empty arguments, …) before parsing goes on; undefined when fine. */
  checkCall?: (call: ExpressionCall) => ExpressionProblem | undefined;
  /** What the end of the input is called in "but found …" messages; default `the end`. */
  end?: string;
  /** Matches one whitespace character; default `/\s/`. */
  space?: RegExp;
  /** Said after "unknown escape sequence \q"; default nothing. */
  escapeAdvice?: string;
  /** Whether "but found" names `&&` and `||` whole instead of by their first character; default false. */
  pairOperators?: boolean;
  /** Whether a comma may follow the last argument, as in Go; default false. */
  trailingComma?: boolean;
  /** The problem when the input ends right after an operator, reported at the operator; default none. */
  afterOperator?: (operator: string) => string;
  /**
   * Whether arguments may be Go number literals (`50`, `0.5`, `1e3`, `0x1p-2`) besides strings, read as
   * vulcand/predicate reads them (Go's scanner, then strconv: config/go-number.ts); default false.
   */
  numbers?: boolean;
  /** Whether a call may be compared with a number (`F() >= 0.5`, Go's ==, !=, <, <=, >, >=); default false. */
  comparisons?: boolean;
  /** Whether a call may also be compared with a string (`F() == "GET"`); default false. */
  compareStrings?: boolean;
  /** The problem with `!`, reported at it, when the dialect has no negation; default: `!` negates. */
  noNegation?: string;
}

const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', n: '\n', t: '\t', r: '\r' };
const WORD = /^[A-Za-z_]\w*/;
const COMPARISON = /^(?:==|!=|<=|>=|<|>)/;

/** Carries the first problem out of the recursive descent; never leaves parseExpression. */
class Stop extends Error {
  readonly failure: Extract<ExpressionParseResult, { ok: false }>;
  constructor(failure: Extract<ExpressionParseResult, { ok: false }>) {
    super(failure.problem);
    this.failure = failure;
  }
}

/** `; did you mean "x"?` for a near miss, including swapped letters (`Lable`), or the empty string. */
export function nameHint(word: string, candidates: readonly string[]): string {
  const hint = didYouMean(word, candidates);
  if (hint !== '') return hint;
  const key = (w: string) => [...w.toLowerCase()].sort().join('');
  const match = candidates.find((c) => key(c) === key(word));
  return match === undefined ? '' : `; did you mean "${match}"?`;
}

/** Rebuilds a parsed expression with each call replaced by `leaf(call)`. */
export function mapCalls<Leaf>(
  node: ExpressionNode,
  leaf: (call: ExpressionCall) => Leaf,
): ExpressionTree<Leaf> {
  switch (node.type) {
    case 'and':
    case 'or':
      return { type: node.type, left: mapCalls(node.left, leaf), right: mapCalls(node.right, leaf) };
    case 'not':
      return { type: 'not', expr: mapCalls(node.expr, leaf) };
    default:
      return leaf(node);
  }
}

/**
 * Joins the operands of a chain of one operator (`a || b || c`) into a balanced tree. && and || are
 * associative and the in-order sequence is kept, so short-circuit evaluation is unchanged; the tree of n
 * operands is log2(n) deep instead of n, and whoever walks it recursively (mapCalls, the rule compiler,
 * the compiled matcher at request time) stays far from the stack's limit however long the chain is.
 */
function balanced(
  type: 'and' | 'or',
  operands: readonly ExpressionNode[],
  from = 0,
  to = operands.length,
): ExpressionNode {
  if (to - from === 1) return operands[from]!;
  const mid = (from + to + 1) >>> 1; // rounded up: three operands stay left-associative, (a op b) op c
  return { type, left: balanced(type, operands, from, mid), right: balanced(type, operands, mid, to) };
}

/**
 * Parses an expression in a dialect of the grammar; never throws for bad input. The recursion goes one
 * level deeper per parenthesis or `!` only, and MAX_EXPRESSION_DEPTH bounds that, so a hostile label
 * (10,000 parentheses) is a problem of its item instead of a stack overflow that stops every reload.
 */
export function parseExpression(text: string, dialect: ExpressionDialect): ExpressionParseResult {
  const end = dialect.end ?? 'the end';
  const space = dialect.space ?? /\s/;
  let pos = 0;
  /** Parentheses and `!` open around the current position. */
  let depth = 0;

  const fail = (column: number, problem: string): never => {
    throw new Stop({ ok: false, kind: 'syntax', problem, column });
  };
  const skip = () => {
    while (pos < text.length && space.test(text[pos] as string)) pos++;
  };
  /** Names what sits at `pos`, for "but found …" messages. */
  const found = (): string => {
    const c = text[pos];
    if (c === undefined) return end;
    const word = WORD.exec(text.slice(pos));
    if (word) return `'${word[0]}'`;
    if (c === '`' || c === '"') return 'a string';
    const two = text.slice(pos, pos + 2);
    return dialect.pairOperators && (two === '&&' || two === '||') ? `'${two}'` : `'${c}'`;
  };
  /** Rejects a lone '&' or '|' where an operator may stand. */
  const loneOperator = () => {
    const c = text[pos];
    if ((c === '&' || c === '|') && text[pos + 1] !== c)
      fail(pos + 1, `'${c}' is not an operator, use '${c}${c}'`);
  };

  /** Enters one more level of parentheses or `!` at a 1-based column, within MAX_EXPRESSION_DEPTH. */
  const enter = (column: number) => {
    if (++depth > MAX_EXPRESSION_DEPTH) {
      const problem = `parentheses and '!' nest deeper than ${MAX_EXPRESSION_DEPTH} levels`;
      throw new Stop({ ok: false, kind: 'limit', problem, column });
    }
  };

  const parseOr = (): ExpressionNode => {
    const operands = [parseAnd()];
    for (;;) {
      skip();
      loneOperator();
      if (!text.startsWith('||', pos)) return balanced('or', operands);
      const column = pos + 1;
      pos += 2;
      operands.push(parseAnd(column, '||'));
    }
  };
  /** `column` and `operator` name the operator just read, if any, for the "ends after" problem. */
  const parseAnd = (column?: number, operator?: string): ExpressionNode => {
    const operands = [parseUnary(column, operator)];
    for (;;) {
      skip();
      loneOperator();
      if (!text.startsWith('&&', pos)) return balanced('and', operands);
      const at = pos + 1;
      pos += 2;
      operands.push(parseUnary(at, '&&'));
    }
  };
  const parseUnary = (column?: number, operator?: string): ExpressionNode => {
    skip();
    if (text[pos] === '!' && !(dialect.comparisons && text[pos + 1] === '=')) {
      const at = pos + 1;
      if (dialect.noNegation !== undefined) fail(at, dialect.noNegation);
      pos++;
      enter(at);
      const expr = parseUnary(at, '!');
      depth--;
      return { type: 'not', expr };
    }
    if (pos >= text.length && column !== undefined && operator !== undefined && dialect.afterOperator)
      fail(column, dialect.afterOperator(operator));
    if (text[pos] === '(') {
      const open = pos + 1;
      pos++;
      enter(open);
      const inner = parseOr();
      depth--;
      skip();
      if (text[pos] === ')') {
        pos++;
        return inner;
      }
      if (pos >= text.length) fail(open, "'(' is never closed");
      return fail(pos + 1, `expected '&&', '||' or ')' but found ${found()}`);
    }
    return parseCall();
  };
  const parseCall = (): ExpressionNode => {
    const column = pos + 1;
    const word = WORD.exec(text.slice(pos));
    if (!word) return fail(column, `expected ${dialect.expected} but found ${found()}`);
    const written = word[0];
    pos += written.length;
    const name = dialect.name(written);
    if (typeof name !== 'string') throw new Stop({ ok: false, kind: 'name', name: written, column, ...name });
    skip();
    if (text[pos] !== '(') fail(pos + 1, `expected '(' after ${written} but found ${found()}`);
    const open = pos + 1;
    pos++;
    const args: ExpressionArg[] = [];
    skip();
    while (text[pos] !== ')') {
      const number = dialect.numbers ? parseNumber() : undefined;
      args.push(number ?? { column: pos + 1, text: parseString() });
      skip();
      if (text[pos] === ')') break;
      if (text[pos] !== ',') {
        if (pos >= text.length) fail(open, `'(' of ${written} is never closed`);
        fail(pos + 1, `expected ',' or ')' but found ${found()}`);
      }
      pos++;
      skip();
      // Without trailing commas, a ')' here fails as "expected a string … but found ')'".
      if (!dialect.trailingComma && text[pos] === ')') parseString();
    }
    pos++;
    const call: ExpressionCall = { type: 'call', name, args, column };
    if (dialect.comparisons) {
      skip();
      const operator = COMPARISON.exec(text.slice(pos))?.[0] as ComparisonOperator | undefined;
      if (operator !== undefined) {
        const at = pos + 1;
        pos += operator.length;
        skip();
        const quoted = text[pos] === '`' || text[pos] === '"';
        const value =
          dialect.compareStrings && quoted ? { column: pos + 1, text: parseString() } : parseNumber();
        if (!value) {
          const what = dialect.compareStrings ? 'a number or a string' : 'a number';
          fail(pos + 1, `expected ${what} after '${operator}' but found ${found()}`);
        }
        call.compare = { operator, column: at, value: value as ExpressionArg };
      }
    }
    const bad = dialect.checkCall?.(call);
    if (bad) throw new Stop({ ok: false, kind: 'call', name, ...bad });
    return call;
  };
  /**
   * A number literal at `pos`, consumed; undefined (nothing consumed) when there is none. A literal Go
   * refuses, or one predicate cannot read (`0x1F`, `1e400`), fails where the problem is.
   */
  const parseNumber = (): ExpressionArg | undefined => {
    const scan = scanGoNumber(text, pos);
    if (scan === undefined) return undefined;
    if (!scan.ok) return fail(scan.offset + 1, scan.problem);
    const column = pos + 1;
    const read = predicateNumber(scan.literal);
    if ('problem' in read) return fail(column, read.problem);
    pos = scan.end;
    const number = scan.literal.kind === 'int' ? 'int' : 'float';
    return { text: scan.literal.text, column, number, value: read.value };
  };
  const parseString = (): string => {
    const open = pos;
    const quote = text[pos];
    if (quote === '`') {
      const close = text.indexOf('`', pos + 1);
      if (close < 0) fail(open + 1, 'unterminated string');
      pos = close + 1;
      return text.slice(open + 1, close);
    }
    if (quote !== '"') {
      if (quote === "'") fail(pos + 1, 'single quotes are not allowed, use backticks or double quotes');
      return fail(pos + 1, `expected a string in backticks or double quotes but found ${found()}`);
    }
    let out = '';
    pos++;
    for (;;) {
      const c = text[pos];
      if (c === undefined) return fail(open + 1, 'unterminated string');
      if (c === '"') break;
      if (c === '\\') {
        const e = ESCAPES[text[pos + 1] ?? ''];
        if (e === undefined)
          fail(pos + 1, `unknown escape sequence ${text.slice(pos, pos + 2)}${dialect.escapeAdvice ?? ''}`);
        out += e;
        pos += 2;
      } else {
        out += c;
        pos++;
      }
    }
    pos++;
    return out;
  };

  if (text.length > MAX_EXPRESSION_LENGTH) {
    const problem = `too long: ${text.length} characters, the maximum is ${MAX_EXPRESSION_LENGTH}`;
    return { ok: false, kind: 'limit', problem, column: MAX_EXPRESSION_LENGTH + 1 };
  }
  try {
    skip();
    if (pos >= text.length) return { ok: true, ast: undefined };
    const ast = parseOr();
    skip();
    if (pos < text.length) {
      if (text[pos] === ')') fail(pos + 1, "')' has no matching '('");
      fail(pos + 1, `expected '&&' or '||' but found ${found()}`);
    }
    return { ok: true, ast };
  } catch (e) {
    if (e instanceof Stop) return e.failure;
    throw e;
  }
}

/**
 * Turns a parsed tree into one predicate: `&&`, `||` and `!` combine what `leaf` makes of each call
 * (circuitBreaker's condition, buffering's retryExpression), evaluated left to right with short-circuit.
 */
export function compilePredicate<C>(
  node: ExpressionNode,
  leaf: (call: ExpressionCall) => (context: C) => boolean,
): (context: C) => boolean {
  switch (node.type) {
    case 'and': {
      const l = compilePredicate(node.left, leaf);
      const r = compilePredicate(node.right, leaf);
      return (c) => l(c) && r(c);
    }
    case 'or': {
      const l = compilePredicate(node.left, leaf);
      const r = compilePredicate(node.right, leaf);
      return (c) => l(c) || r(c);
    }
    case 'not': {
      const e = compilePredicate(node.expr, leaf);
      return (c) => !e(c);
    }
    default:
      return leaf(node);
  }
}
