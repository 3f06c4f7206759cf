import {
  type ComparisonOperator,
  type ExpressionCall,
  type ExpressionDialect,
  type ExpressionProblem,
  nameHint,
} from './expression-parser.ts';

// The language of vulcand/predicate as oxy v2.2.0 uses it, which Traefik v3.7 passes buffering's
// retryExpression and circuitBreaker's expression to: Go syntax, calls of known functions compared with a
// Go number literal (`Attempts() <= 2`, `NetworkErrorRatio() > 0.5`), joined by && and ||, no `!`. The two
// callers keep their own functions and checks; the dialect and the comparison are shared here, beside
// config/expression-parser.ts (which is at the size limit).

/** What sets one vulcand/predicate language apart from another. */
export interface PredicateLanguage {
  /** Its function names. */
  functions: readonly string[];
  /** What a call is called in "expected … but found" messages, e.g. `a function such as F()`. */
  expected: string;
  /** Checks a complete call (arguments, comparison) before parsing goes on; undefined when fine. */
  checkCall: (call: ExpressionCall) => ExpressionProblem | undefined;
  /** Whether a call may also be compared with a string (`F() == "GET"`); default false. */
  compareStrings?: boolean;
}

/** The expression-parser dialect of a vulcand/predicate language (Go number literals, a trailing comma). */
export function predicateDialect(language: PredicateLanguage): ExpressionDialect {
  const names = language.functions;
  return {
    expected: language.expected,
    name: (written) =>
      names.includes(written)
        ? written
        : { problem: `unknown function ${written}${nameHint(written, names)}; use ${names.join(', ')}` },
    checkCall: language.checkCall,
    numbers: true,
    comparisons: true,
    compareStrings: language.compareStrings === true,
    trailingComma: true,
    noNegation: "'!' is not supported: write the opposite comparison instead",
  };
}

/**
 * Compiles `get(context) operator value` into a predicate, with JavaScript's comparisons: a NaN that
 * `get` returns compares false with every operator but `!=`, as Go's float comparisons do.
 */
export function compileCompare<C>(
  get: (context: C) => number,
  operator: ComparisonOperator,
  value: number,
): (context: C) => boolean {
  // A closure per operator, chosen once at compile time: the predicate runs per request (or per attempt).
  switch (operator) {
    case '==':
      return (c) => get(c) === value;
    case '!=':
      return (c) => get(c) !== value;
    case '<':
      return (c) => get(c) < value;
    case '<=':
      return (c) => get(c) <= value;
    case '>':
      return (c) => get(c) > value;
    default:
      return (c) => get(c) >= value;
  }
}
