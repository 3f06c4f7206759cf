import type { ComparisonOperator } from './expression-parser.ts';

// One place for the numeric comparison a call of an expression is tested with (`Attempts() <= 2`,
// `NetworkErrorRatio() > 0.5`): buffering's retryExpression and circuitBreaker's condition both compile
// their leaves through it. It lives beside config/expression-parser.ts, which is at the size limit.

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
