import { didYouMean } from './suggest.ts';

// The expression grammar shared by router rules (`Host(`a`) && !Method(`GET`)`) and Docker constraints
// (`Label(`k`,`v`) || LabelRegex(`k`,`re`)`): calls with string arguments in backticks (raw) or double
// quotes (with \" \\ \n \t \r escapes), combined with `!`, `&&` (binds tighter) and `||`, and grouped by
// parentheses. What differs between the two languages (function names, wording, checks) is a dialect.

/** One string argument of a call, with the 1-based column of its opening quote. */
export interface ExpressionArg {
  text: string;
  column: number;
}

/** A call: a function name (as the dialect resolved it), its arguments and its 1-based column. */
export interface ExpressionCall {
  type: 'call';
  name: string;
  args: ExpressionArg[];
  column: number;
}

/** Leaves combined with &&, || and !; the callers' own syntax trees have their own leaves. */
export type ExpressionTree<Leaf> =
  | { type: 'and' | 'or'; left: ExpressionTree<Leaf>; right: ExpressionTree<Leaf> }
  | { type: 'not'; expr: ExpressionTree<Leaf> }
  | Leaf;

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
 * `name`, as written for `name` and as resolved for `call`).
 */
export type ExpressionParseResult =
  | { ok: true; ast: ExpressionNode | undefined }
  | { ok: false; kind: 'syntax' | 'name' | 'call'; problem: string; column: number; name?: string };

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
}

const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', n: '\n', t: '\t', r: '\r' };
const WORD = /^[A-Za-z_]\w*/;

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

/** Parses an expression in a dialect of the grammar; never throws for bad input. */
export function parseExpression(text: string, dialect: ExpressionDialect): ExpressionParseResult {
  const end = dialect.end ?? 'the end';
  const space = dialect.space ?? /\s/;
  let pos = 0;

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

  const parseOr = (): ExpressionNode => {
    let left = parseAnd();
    for (;;) {
      skip();
      loneOperator();
      if (!text.startsWith('||', pos)) return left;
      const column = pos + 1;
      pos += 2;
      left = { type: 'or', left, right: parseAnd(column, '||') };
    }
  };
  /** `column` and `operator` name the operator just read, if any, for the "ends after" problem. */
  const parseAnd = (column?: number, operator?: string): ExpressionNode => {
    let left = parseUnary(column, operator);
    for (;;) {
      skip();
      loneOperator();
      if (!text.startsWith('&&', pos)) return left;
      const at = pos + 1;
      pos += 2;
      left = { type: 'and', left, right: parseUnary(at, '&&') };
    }
  };
  const parseUnary = (column?: number, operator?: string): ExpressionNode => {
    skip();
    if (text[pos] === '!') {
      const at = pos + 1;
      pos++;
      return { type: 'not', expr: parseUnary(at, '!') };
    }
    if (pos >= text.length && column !== undefined && operator !== undefined && dialect.afterOperator)
      fail(column, dialect.afterOperator(operator));
    if (text[pos] === '(') {
      const open = pos + 1;
      pos++;
      const inner = parseOr();
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
      args.push({ column: pos + 1, text: parseString() });
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
    const bad = dialect.checkCall?.(call);
    if (bad) throw new Stop({ ok: false, kind: 'call', name, ...bad });
    return call;
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
