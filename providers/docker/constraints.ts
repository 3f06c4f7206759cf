import { formatError } from '../../config/errors.ts';
import type { ExpressionCall, ExpressionDialect, ExpressionTree } from '../../config/expression-parser.ts';
import { mapCalls, nameHint, parseExpression } from '../../config/expression-parser.ts';
import { compileLinearRegexp, type LinearRegexp } from '../../core/regexp/linear-regexp.ts';

// `providers.docker.constraints`: which containers the provider considers, by their labels. Traefik's
// language: Label(`k`,`v`), LabelRegex(`k`,`re`), &&, ||, !, parentheses; strings in backticks or quotes.

/** A parsed constraints expression. */
export type ConstraintExpr = ExpressionTree<
  { type: 'label'; key: string; value: string } | { type: 'labelRegex'; key: string; pattern: LinearRegexp }
>;

/** The outcome of parsing: the expression (undefined when empty: every container matches) or an error. */
export type ConstraintParseResult =
  | { ok: true; expr: ConstraintExpr | undefined }
  | { ok: false; message: string; problem: string; column: number };

const FUNCTIONS = ['Label', 'LabelRegex'] as const;

/** The constraints language as a dialect of the shared expression grammar. */
const DIALECT: ExpressionDialect = {
  expected: 'Label(...) or LabelRegex(...)',
  escapeAdvice: ' (use backticks)',
  name: (written) =>
    (FUNCTIONS as readonly string[]).includes(written)
      ? written
      : { problem: `unknown function ${written}${nameHint(written, FUNCTIONS)}` },
  checkCall: ({ name, args, column }) => {
    if (args.length !== 2)
      return { problem: `${name} takes 2 arguments (label name, value) but got ${args.length}`, column };
    const value = args[1]!;
    const re = name === 'LabelRegex' ? compileLinearRegexp(value.text) : undefined;
    if (re?.ok === false)
      return { problem: `invalid regular expression: ${re.problem}`, column: value.column };
    return undefined;
  },
};

/** `; did you mean "x"?` for a near miss, including swapped letters (`Lable`), or the empty string. */
export { nameHint };

/** A call of the (checked) constraints language as its leaf of the tree. */
function toLeaf({ name, args }: ExpressionCall): ConstraintExpr {
  const [key, value] = args.map((a) => a.text) as [string, string];
  return name === 'Label'
    ? { type: 'label', key, value }
    : { type: 'labelRegex', key, pattern: labelRegex(value) };
}

/** A LabelRegex pattern, already checked by the dialect: RE2 syntax, matched in linear time. */
function labelRegex(source: string): LinearRegexp {
  const r = compileLinearRegexp(source);
  if (!r.ok) throw new Error(`LabelRegex \`${source}\` passed the check but does not compile: ${r.problem}`);
  return r.regexp;
}

/** Parses a constraints expression; the error carries a 1-based column. */
export function parseConstraints(text: string): ConstraintParseResult {
  const r = parseExpression(text, DIALECT);
  if (r.ok) return { ok: true, expr: r.ast && mapCalls(r.ast, toLeaf) };
  const { problem, column } = r;
  const message = formatError('DOCKER_CONSTRAINTS', { expression: text, problem, column });
  return { ok: false, message, problem, column };
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
