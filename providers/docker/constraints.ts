import { formatError } from '../../config/errors.ts';
import { didYouMean } from '../../config/suggest.ts';

// `providers.docker.constraints`: which containers the provider considers, by their labels. Traefik's
// language: Label(`k`,`v`), LabelRegex(`k`,`re`), &&, ||, !, parentheses; strings in backticks or quotes.

/** A parsed constraints expression. */
export type ConstraintExpr =
  | { type: 'and' | 'or'; left: ConstraintExpr; right: ConstraintExpr }
  | { type: 'not'; expr: ConstraintExpr }
  | { type: 'label'; key: string; value: string }
  | { type: 'labelRegex'; key: string; pattern: RegExp };

/** The outcome of parsing: the expression (undefined when empty: every container matches) or an error. */
export type ConstraintParseResult =
  | { ok: true; expr: ConstraintExpr | undefined }
  | { ok: false; message: string; problem: string; column: number };

const FUNCTIONS = ['Label', 'LabelRegex'] as const;
const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', n: '\n', t: '\t', r: '\r' };

class ParseError extends Error {
  readonly column: number;
  constructor(problem: string, column: number) {
    super(problem);
    this.column = column;
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

/** Go regexps (RE2) as JavaScript: leading `(?i)`/`(?s)` flags and `(?P<name>` groups are translated. */
export function goRegExp(source: string): RegExp {
  let flags = '';
  let body = source;
  const lead = /^\(\?([is]+)\)/.exec(body);
  if (lead) {
    flags = [...new Set(lead[1])].join('');
    body = body.slice(lead[0].length);
  }
  return new RegExp(body.replaceAll('(?P<', '(?<'), flags);
}

/** Parses a constraints expression; the error carries a 1-based column. */
export function parseConstraints(text: string): ConstraintParseResult {
  let pos = 0;
  const fail = (column: number, problem: string): never => {
    throw new ParseError(problem, column);
  };
  const skip = () => {
    while (pos < text.length && /\s/.test(text[pos] as string)) pos++;
  };
  const found = (): string => {
    const c = text[pos];
    if (c === undefined) return 'the end';
    const word = /^[A-Za-z_]\w*/.exec(text.slice(pos));
    if (word) return `'${word[0]}'`;
    if (c === '`' || c === '"') return 'a string';
    return `'${c}'`;
  };
  const loneOperator = () => {
    const c = text[pos];
    if ((c === '&' || c === '|') && text[pos + 1] !== c)
      fail(pos + 1, `'${c}' is not an operator, use '${c}${c}'`);
  };

  const parseOr = (): ConstraintExpr => {
    let left = parseAnd();
    for (;;) {
      skip();
      loneOperator();
      if (!text.startsWith('||', pos)) return left;
      pos += 2;
      left = { type: 'or', left, right: parseAnd() };
    }
  };
  const parseAnd = (): ConstraintExpr => {
    let left = parseUnary();
    for (;;) {
      skip();
      loneOperator();
      if (!text.startsWith('&&', pos)) return left;
      pos += 2;
      left = { type: 'and', left, right: parseUnary() };
    }
  };
  const parseUnary = (): ConstraintExpr => {
    skip();
    if (text[pos] === '!') {
      pos++;
      return { type: 'not', expr: parseUnary() };
    }
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
  const parseCall = (): ConstraintExpr => {
    const column = pos + 1;
    const word = /^[A-Za-z_]\w*/.exec(text.slice(pos));
    if (!word) return fail(column, `expected Label(...) or LabelRegex(...) but found ${found()}`);
    const name = word[0];
    pos += name.length;
    if (!(FUNCTIONS as readonly string[]).includes(name))
      fail(column, `unknown function ${name}${nameHint(name, FUNCTIONS)}`);
    skip();
    if (text[pos] !== '(') fail(pos + 1, `expected '(' after ${name} but found ${found()}`);
    const open = pos + 1;
    pos++;
    const args: Array<{ text: string; column: number }> = [];
    for (;;) {
      skip();
      if (text[pos] === ')' && args.length === 0) break;
      args.push({ column: pos + 1, text: parseString() });
      skip();
      if (text[pos] === ',') {
        pos++;
        continue;
      }
      if (text[pos] === ')') break;
      if (pos >= text.length) fail(open, `'(' of ${name} is never closed`);
      fail(pos + 1, `expected ',' or ')' but found ${found()}`);
    }
    pos++;
    if (args.length !== 2)
      fail(column, `${name} takes 2 arguments (label name, value) but got ${args.length}`);
    const [key, value] = args as [{ text: string; column: number }, { text: string; column: number }];
    if (name === 'Label') return { type: 'label', key: key.text, value: value.text };
    try {
      return { type: 'labelRegex', key: key.text, pattern: goRegExp(value.text) };
    } catch (e) {
      return fail(value.column, `invalid regular expression: ${(e as Error).message}`);
    }
  };
  const parseString = (): string => {
    const open = pos;
    const quote = text[pos];
    if (quote === '`') {
      const end = text.indexOf('`', pos + 1);
      if (end < 0) fail(open + 1, 'unterminated string');
      pos = end + 1;
      return text.slice(open + 1, end);
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
          fail(pos + 1, `unknown escape sequence ${text.slice(pos, pos + 2)} (use backticks)`);
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
    if (pos >= text.length) return { ok: true, expr: undefined };
    const expr = parseOr();
    skip();
    if (pos < text.length) {
      if (text[pos] === ')') fail(pos + 1, "')' has no matching '('");
      fail(pos + 1, `expected '&&' or '||' but found ${found()}`);
    }
    return { ok: true, expr };
  } catch (e) {
    if (!(e instanceof ParseError)) throw e;
    const message = formatError('DOCKER_CONSTRAINTS', {
      expression: text,
      problem: e.message,
      column: e.column,
    });
    return { ok: false, message, problem: e.message, column: e.column };
  }
}

/**
 * Whether a container's labels satisfy an expression: Label needs the label with exactly that value,
 * LabelRegex matches anywhere in the value (an absent label reads as ""), as in Traefik.
 */
export function matchConstraints(
  expr: ConstraintExpr | undefined,
  labels: Readonly<Record<string, string>>,
): boolean {
  if (expr === undefined) return true;
  switch (expr.type) {
    case 'and':
      return matchConstraints(expr.left, labels) && matchConstraints(expr.right, labels);
    case 'or':
      return matchConstraints(expr.left, labels) || matchConstraints(expr.right, labels);
    case 'not':
      return !matchConstraints(expr.expr, labels);
    case 'label':
      return Object.hasOwn(labels, expr.key) && labels[expr.key] === expr.value;
    case 'labelRegex':
      return expr.pattern.test(labels[expr.key] ?? '');
  }
}
