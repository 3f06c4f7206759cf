import { describe, expect, it } from 'vitest';
import { predicateNumber, scanGoNumber } from './go-number.ts';

// Each expectation was produced by Go 1.19: go/parser.ParseExpr on the literal (its kind, or its error
// with the 1-based column), then strconv.Atoi (int) or strconv.ParseFloat (float), as vulcand/predicate
// v1.3.0 (Traefik v3.7, through oxy v2.2.0) reads literals.

/** What Traefik makes of a literal: its value, Go's scanner error at a column, or a refusal. */
function traefik(text: string): number | string {
  const scan = scanGoNumber(text, 0);
  if (scan === undefined) return 'not a number';
  if (!scan.ok) return `${scan.offset + 1}: ${scan.problem}`;
  if (scan.end !== text.length) return `ends at ${scan.end}`;
  const read = predicateNumber(scan.literal);
  return 'value' in read ? read.value : `refused (${scan.literal.kind})`;
}

describe('Go number literals as Traefik reads them', () => {
  it.each([
    // ints: strconv.Atoi takes plain decimal digits only, leading zeros included (017 is 17, not octal)
    ['31', 31],
    ['017', 17],
    ['00', 0],
    ['0', 0],
    ['9223372036854775807', 2 ** 63],
    ['9223372036854775808', 'refused (int)'],
    ['99999999999999999999', 'refused (int)'],
    ['0x1F', 'refused (int)'],
    ['0X1f', 'refused (int)'],
    ['0x1e2', 'refused (int)'],
    ['1_000', 'refused (int)'],
    ['1_0', 'refused (int)'],
    ['0_7', 'refused (int)'],
    ['0o17', 'refused (int)'],
    ['0b101', 'refused (int)'],
    // floats: strconv.ParseFloat, decimal or hexadecimal, with separators
    ['1e3', 1000],
    ['1E+3', 1000],
    ['1_000.5', 1000.5],
    ['1_000e2', 100000],
    ['1_000_000.0', 1000000],
    ['0x1p4', 16],
    ['0x1P+2', 4],
    ['0x1.8p1', 3],
    ['0X1.fp1', 3.875],
    ['0x_1p0', 1],
    ['0x1p-1074', 5e-324],
    ['0x1p-1080', 0],
    ['1e-400', 0],
    ['4.9e-324', 5e-324],
    ['.5', 0.5],
    ['5.', 5],
    ['0.', 0],
    ['08.5', 8.5],
    ['09.5e1', 95],
    ['0755.0', 755],
    ['00.5', 0.5],
    ['1.e5', 100000],
    ['0e0', 0],
    ['0e+0', 0],
    ['1e400', 'refused (float)'],
    // imaginary numbers parse in Go; predicate has no use for them
    ['1i', 'refused (imag)'],
    ['1.5i', 'refused (imag)'],
    ['08i', 'refused (imag)'],
    ['0x1p1i', 'refused (imag)'],
    // Go's scanner errors, at Go's columns
    ['08', "2: invalid digit '8' in octal literal"],
    ['0b102', "5: invalid digit '2' in binary literal"],
    ['0o8', "3: invalid digit '8' in octal literal"],
    ['0x1.8', "6: hexadecimal mantissa requires a 'p' exponent"],
    ['1__0.0', "3: '_' must separate successive digits"],
    ['1_.5', "2: '_' must separate successive digits"],
    ['1_e2', "2: '_' must separate successive digits"],
    ['1e_2', "3: '_' must separate successive digits"],
    ['1e+_2', "4: '_' must separate successive digits"],
    ['0x1p_2', "5: '_' must separate successive digits"],
    ['0x1_p2', "4: '_' must separate successive digits"],
    ['0x_p2', "3: '_' must separate successive digits"],
    ['0._5', "3: '_' must separate successive digits"],
    ['0x', '3: hexadecimal literal has no digits'],
    ['1e', '3: exponent has no digits'],
    ['0P1', "2: 'P' exponent requires hexadecimal mantissa"],
    ['0b1.0', '4: invalid radix point in binary literal'],
    ['0o1e2', "4: 'e' exponent requires decimal mantissa"],
    ['0b1e2', "4: 'e' exponent requires decimal mantissa"],
    // where a literal stops, and what is not one
    ['1e1e1', 'ends at 3'],
    ['._5', 'not a number'],
    ['x1', 'not a number'],
  ] as const)('%s → %s', (text, want) => {
    expect(traefik(text)).toBe(want);
  });

  it('scans from the given position', () => {
    expect(scanGoNumber('F() > 0x1p-2 && x', 6)).toEqual({
      ok: true,
      literal: { text: '0x1p-2', kind: 'float' },
      end: 12,
    });
  });

  it.each([
    ['0x1F', 'write 31'],
    ['1_000', 'write 1000'],
    ['0o17', 'write 15'],
    ['0b101', 'write 5'],
    ['0_17', 'write 15'],
  ])('a refused int says which decimal to write: %s', (text, advice) => {
    const scan = scanGoNumber(text, 0);
    if (!scan?.ok) throw new Error('expected a literal');
    expect(predicateNumber(scan.literal)).toEqual({ problem: expect.stringContaining(advice) });
  });
});
