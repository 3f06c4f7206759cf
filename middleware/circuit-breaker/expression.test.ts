import { describe, expect, it } from 'vitest';
import { compileCondition } from './expression.ts';
import type { BreakerMetrics } from './metrics.ts';

/** Fixed metrics: a network error ratio, a 5xx/all ratio, a median latency and a total. */
function metrics(net: number, fiveXx: number, p50: number, total: number): BreakerMetrics {
  return {
    networkErrorRatio: () => net,
    responseCodeRatio: (from, to, byFrom, byTo) =>
      from === 500 && to === 600 && byFrom === 0 && byTo === 600 ? fiveXx : Number.NaN,
    latencyAtQuantileMs: (q) => (q === 50 ? p50 : Number.NaN),
    totalCount: () => total,
  };
}

describe('compileCondition: evaluation', () => {
  const cases: Array<[string, BreakerMetrics, boolean]> = [
    ['NetworkErrorRatio() > 0.30', metrics(0.31, 0, 0, 0), true],
    ['NetworkErrorRatio() > 0.30', metrics(0.3, 0, 0, 0), false],
    ['NetworkErrorRatio() >= 0.30', metrics(0.3, 0, 0, 0), true],
    ['NetworkErrorRatio() < 0.5', metrics(0.1, 0, 0, 0), true],
    ['NetworkErrorRatio() <= 0.1', metrics(0.1, 0, 0, 0), true],
    ['NetworkErrorRatio() == 0.0', metrics(0, 0, 0, 0), true],
    ['NetworkErrorRatio() != 0.0', metrics(0, 0, 0, 0), false],
    ['ResponseCodeRatio(500, 600, 0, 600) > 0.25', metrics(0, 0.3, 0, 0), true],
    ['LatencyAtQuantileMS(50.0) > 100', metrics(0, 0, 101, 0), true],
    ['LatencyAtQuantileMS(50.0) > 100', metrics(0, 0, 100, 0), false],
    ['RequestThreshold() >= 20', metrics(0, 0, 0, 20), true],
    ['ResponseCodeRatio(500, 600, 0, 600) > 0.30 && RequestThreshold() >= 20', metrics(0, 0.5, 0, 19), false],
    ['ResponseCodeRatio(500, 600, 0, 600) > 0.30 && RequestThreshold() >= 20', metrics(0, 0.5, 0, 20), true],
    ['NetworkErrorRatio() > 0.5 || LatencyAtQuantileMS(50.0) > 100', metrics(0, 0, 200, 0), true],
    ['NetworkErrorRatio() > 0.5 || LatencyAtQuantileMS(50.0) > 100', metrics(0, 0, 50, 0), false],
    // && binds tighter than ||, as in Go; parentheses group.
    [
      'NetworkErrorRatio() > 0.5 || RequestThreshold() > 1 && LatencyAtQuantileMS(50.0) > 1',
      metrics(0.9, 0, 0, 0),
      true,
    ],
    [
      '(NetworkErrorRatio() > 0.5 || RequestThreshold() > 1) && LatencyAtQuantileMS(50.0) > 1',
      metrics(0.9, 0, 0, 0),
      false,
    ],
    ['NetworkErrorRatio()>0.5&&RequestThreshold()>1', metrics(0.9, 0, 0, 2), true],
    // Go float literals as Traefik reads them (strconv.ParseFloat): exponents, hexadecimal, separators.
    ['NetworkErrorRatio() > 0x1p-2', metrics(0.26, 0, 0, 0), true],
    ['NetworkErrorRatio() > 0x1p-2', metrics(0.25, 0, 0, 0), false],
    ['NetworkErrorRatio() > 25e-2', metrics(0.25, 0, 0, 0), false],
    ['LatencyAtQuantileMS(5_0.0) > 100', metrics(0, 0, 101, 0), true],
    ['LatencyAtQuantileMS(.5e2) > 100', metrics(0, 0, 101, 0), true],
    ['ResponseCodeRatio(500, 600, 0, 600) > .25', metrics(0, 0.3, 0, 0), true],
    // strconv.Atoi reads a leading zero as decimal: 017 is 17, not Go's octal 15.
    ['RequestThreshold() > 017', metrics(0, 0, 0, 17), false],
    ['RequestThreshold() > 017', metrics(0, 0, 0, 18), true],
  ];
  for (const [text, m, want] of cases)
    it(`${text} → ${want}`, () => expect(compileCondition(text)(m)).toBe(want));
});

describe('compileCondition: problems name the column (Traefik refuses the same expressions)', () => {
  const cases: Array<[string, string]> = [
    ['', 'expression is empty'],
    [
      'NetworkErrorRatio()',
      'NetworkErrorRatio() must be compared with a number, e.g. NetworkErrorRatio() > 0.5 at column 1',
    ],
    [
      'NetworkErrorRatio() > 1',
      'must be compared with a decimal number such as 0.5, e.g. NetworkErrorRatio() > 0.5 at column 23',
    ],
    [
      'LatencyAtQuantileMS(50) > 100',
      'argument 1 of LatencyAtQuantileMS must be a decimal number such as 0.5, e.g. LatencyAtQuantileMS(50.0) > 100 at column 21',
    ],
    [
      'LatencyAtQuantileMS(50.0) > 100.0',
      'must be compared with an integer such as 100, e.g. LatencyAtQuantileMS(50.0) > 100 at column 29',
    ],
    ['ResponseCodeRatio(500, 600) > 0.5', 'ResponseCodeRatio takes 4 arguments, got 2'],
    ['NetworkErrorRatio(`x`) > 0.5', 'NetworkErrorRatio takes 0 arguments, got 1'],
    ['NetworkErorRatio() > 0.5', 'unknown function NetworkErorRatio; did you mean "NetworkErrorRatio"?'],
    ['NetworkErrorRatio() > 0.5 &', "'&' is not an operator, use '&&' at column 27"],
    ['NetworkErrorRatio() > 0.5 && ', 'at column 30'],
    [
      '!(NetworkErrorRatio() > 0.5)',
      "'!' is not supported: write the opposite comparison instead at column 1",
    ],
    [
      '0.5 < NetworkErrorRatio()',
      "expected a function such as NetworkErrorRatio() but found '0' at column 1",
    ],
    ['NetworkErrorRatio() > 0.5 > 0.1', "expected '&&' or '||' but found '>' at column 27"],
    ['(NetworkErrorRatio() > 0.5', "'(' is never closed at column 1"],
    // Int literals other than plain decimal digits are refused by Traefik (strconv.Atoi).
    [
      'LatencyAtQuantileMS(50.0) > 1_000',
      "1_000 is refused by Traefik's expression parser, which reads integers as plain decimal digits: write 1000 at column 29",
    ],
    ['RequestThreshold() > 0x10', 'write 16 at column 22'],
    ['RequestThreshold() > 08', "invalid digit '8' in octal literal at column 23"],
    ['NetworkErrorRatio() > 1e400', '1e400 is out of range: it does not fit in a 64-bit float at column 23'],
    ['NetworkErrorRatio() > 0x1.8', "hexadecimal mantissa requires a 'p' exponent at column 28"],
  ];
  for (const [text, want] of cases)
    it(JSON.stringify(text), () => expect(() => compileCondition(text)).toThrow(want));
});
