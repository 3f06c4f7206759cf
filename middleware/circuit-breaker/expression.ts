import { compilePredicate, type ExpressionCall, parseExpression } from '../../config/expression-parser.ts';
import { compileCompare, predicateDialect } from '../../config/predicate-dialect.ts';
import type { BreakerMetrics } from './metrics.ts';

// Traefik's circuit breaker expressions (oxy v2.2.0's cbreaker predicates, parsed there as Go expressions
// by vulcand/predicate): metric functions compared with a number literal, joined by && and ||. Go's types
// are kept: a ratio compares with a float literal (0.5, 1.0, 5e-1, 0x1p-1), a latency or count with an int
// literal, and LatencyAtQuantileMS takes a float, so an expression Traefik refuses is refused here too,
// with a column; literals are read as predicate reads them (config/go-number.ts: 1_000 or 0x64 as an int
// is refused, 017 is 17).

/** A compiled expression: whether the breaker should trip given the metrics. */
export type BreakerCondition = (m: BreakerMetrics) => boolean;

/** Each function: its parameters' Go types and the Go type of its value. */
const FUNCTIONS: Record<string, { params: Array<'int' | 'float'>; returns: 'int' | 'float'; hint: string }> =
  {
    NetworkErrorRatio: { params: [], returns: 'float', hint: 'NetworkErrorRatio() > 0.5' },
    ResponseCodeRatio: {
      params: ['int', 'int', 'int', 'int'],
      returns: 'float',
      hint: 'ResponseCodeRatio(500, 600, 0, 600) > 0.25',
    },
    LatencyAtQuantileMS: { params: ['float'], returns: 'int', hint: 'LatencyAtQuantileMS(50.0) > 100' },
    RequestThreshold: { params: [], returns: 'int', hint: 'RequestThreshold() > 10' },
  };
const NAMES = Object.keys(FUNCTIONS);

const literal = (t: 'int' | 'float') =>
  t === 'int' ? 'an integer such as 100' : 'a decimal number such as 0.5';

function checkCall(call: ExpressionCall): { problem: string; column: number } | undefined {
  const f = FUNCTIONS[call.name] as (typeof FUNCTIONS)[string];
  if (call.args.length !== f.params.length)
    return {
      problem: `${call.name} takes ${f.params.length} argument${f.params.length === 1 ? '' : 's'}, got ${call.args.length}, e.g. ${f.hint}`,
      column: call.column,
    };
  for (const [i, a] of call.args.entries()) {
    const want = f.params[i] as 'int' | 'float';
    if (a.number !== want)
      return {
        problem: `argument ${i + 1} of ${call.name} must be ${literal(want)}, e.g. ${f.hint}`,
        column: a.column,
      };
  }
  if (!call.compare)
    return { problem: `${call.name}() must be compared with a number, e.g. ${f.hint}`, column: call.column };
  if (call.compare.value.number !== f.returns)
    return {
      problem: `${call.name}() must be compared with ${literal(f.returns)}, e.g. ${f.hint}`,
      column: call.compare.value.column,
    };
  return undefined;
}

const DIALECT = predicateDialect({
  functions: NAMES,
  expected: 'a function such as NetworkErrorRatio()',
  checkCall,
});

/** Parses and compiles an expression; throws an Error naming the problem and its 1-based column. */
export function compileCondition(expression: string): BreakerCondition {
  const parsed = parseExpression(expression, DIALECT);
  if (!parsed.ok) throw new Error(`expression "${expression}": ${parsed.problem} at column ${parsed.column}`);
  if (!parsed.ast)
    throw new Error(
      'expression is empty: give the condition that trips the breaker, e.g. NetworkErrorRatio() > 0.5',
    );
  return compilePredicate(parsed.ast, leaf);
}

function leaf(call: ExpressionCall): BreakerCondition {
  const n = call.args.map((a) => a.value as number);
  const metric: (m: BreakerMetrics) => number =
    call.name === 'NetworkErrorRatio'
      ? (m) => m.networkErrorRatio()
      : call.name === 'ResponseCodeRatio'
        ? (m) => m.responseCodeRatio(n[0] as number, n[1] as number, n[2] as number, n[3] as number)
        : call.name === 'LatencyAtQuantileMS'
          ? (m) => m.latencyAtQuantileMs(n[0] as number)
          : (m) => m.totalCount();
  const compare = call.compare as NonNullable<ExpressionCall['compare']>;
  return compileCompare(metric, compare.operator, compare.value.value as number);
}
