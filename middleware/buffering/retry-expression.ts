import { compilePredicate, type ExpressionCall, parseExpression } from '../../config/expression-parser.ts';
import { compileCompare, predicateDialect } from '../../config/predicate-dialect.ts';

// buffering's retryExpression: oxy v2.2.0's buffer retry predicate (buffer/threshold.go), parsed there as
// a Go expression by vulcand/predicate, which Traefik v3.7 passes `retryExpression` to when it is not
// empty. Its functions: IsNetworkError() (a condition: the last attempt's status was 502 or 504),
// Attempts() and ResponseCode() (ints, compared with an int literal), RequestMethod() (a string, compared
// with == or != only). Joined by && and ||; no `!`. Checked against oxy's own parser: whatever it refuses
// is refused here, with a column.

/** What the predicate sees after an attempt. */
export interface RetryContext {
  /** The attempt that just ended, from 1. */
  readonly attempt: number;
  /** Its status (the status of the failure Wharf's proxy raised, 502 for an unreachable server). */
  readonly responseCode: number;
  /** The request method. */
  readonly method: string;
}

/** A compiled retryExpression: whether the request is tried again. */
export type RetryPredicate = (c: RetryContext) => boolean;

type Kind = 'condition' | 'int' | 'string';
const FUNCTIONS: Record<string, { kind: Kind; hint: string }> = {
  IsNetworkError: { kind: 'condition', hint: 'IsNetworkError() && Attempts() <= 2' },
  Attempts: { kind: 'int', hint: 'Attempts() <= 2' },
  ResponseCode: { kind: 'int', hint: 'ResponseCode() == 503' },
  RequestMethod: { kind: 'string', hint: 'RequestMethod() == "GET"' },
};
const NAMES = Object.keys(FUNCTIONS);

function checkCall(call: ExpressionCall): { problem: string; column: number } | undefined {
  const f = FUNCTIONS[call.name] as (typeof FUNCTIONS)[string];
  if (call.args.length > 0)
    return {
      problem: `${call.name} takes no arguments, got ${call.args.length}, e.g. ${f.hint}`,
      column: call.column,
    };
  const compare = call.compare;
  if (f.kind === 'condition')
    return compare
      ? {
          problem: `${call.name}() is a condition on its own and cannot be compared, e.g. ${f.hint}`,
          column: compare.column,
        }
      : undefined;
  if (!compare) {
    const what = f.kind === 'int' ? 'an integer' : 'a string with == or !=';
    return { problem: `${call.name}() must be compared with ${what}, e.g. ${f.hint}`, column: call.column };
  }
  if (f.kind === 'int' && compare.value.number !== 'int')
    return {
      problem: `${call.name}() must be compared with an integer such as 2, e.g. ${f.hint}`,
      column: compare.value.column,
    };
  if (f.kind === 'string') {
    if (compare.operator !== '==' && compare.operator !== '!=')
      return {
        problem: `${call.name}() can only be compared with == or !=, e.g. ${f.hint}`,
        column: compare.column,
      };
    if (compare.value.number !== undefined)
      return {
        problem: `${call.name}() must be compared with a string, e.g. ${f.hint}`,
        column: compare.value.column,
      };
  }
  return undefined;
}

const DIALECT = predicateDialect({
  functions: NAMES,
  expected: 'a function such as IsNetworkError()',
  checkCall,
  compareStrings: true,
});

/**
 * Parses and compiles a retryExpression; throws an Error naming the problem and its 1-based column. The
 * caller leaves an empty expression out (no retries: Traefik only sets the predicate when it is not
 * empty); a blank one is refused, as Go's parser refuses it.
 */
export function compileRetryExpression(expression: string): RetryPredicate {
  const parsed = parseExpression(expression, DIALECT);
  if (!parsed.ok)
    throw new Error(`retryExpression "${expression}": ${parsed.problem} at column ${parsed.column}`);
  if (!parsed.ast)
    throw new Error(
      'retryExpression is blank: give the condition to replay the request on, e.g. IsNetworkError() && Attempts() <= 2, or leave the key out',
    );
  return compilePredicate(parsed.ast, leaf);
}

function leaf(call: ExpressionCall): RetryPredicate {
  // oxy's IsNetworkError is about the status only: Traefik's proxy answers 502 or 504 when the server
  // could not be reached or timed out, and a server answering 502 itself counts the same.
  if (call.name === 'IsNetworkError') return (c) => c.responseCode === 502 || c.responseCode === 504;
  const compare = call.compare as NonNullable<ExpressionCall['compare']>;
  if (call.name === 'RequestMethod') {
    const want = compare.value.text;
    return compare.operator === '==' ? (c) => c.method === want : (c) => c.method !== want;
  }
  const get: (c: RetryContext) => number =
    call.name === 'Attempts' ? (c) => c.attempt : (c) => c.responseCode;
  return compileCompare(get, compare.operator, compare.value.value as number);
}
