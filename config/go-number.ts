// Go number literals as Traefik's expression languages read them (circuitBreaker's expression, buffering's
// retryExpression): vulcand/predicate parses the text with Go's go/parser, so a literal is first scanned
// with Go's rules (what is an int, a float or an imaginary number, and Go's own errors: "invalid digit '8'
// in octal literal", "'_' must separate successive digits", ...), then turned into a value with strconv:
// an int with strconv.Atoi (plain decimal digits only: 0x1F, 0o17, 0b101 and 1_000 are refused, and a
// leading zero is not octal, 017 is 17), a float with strconv.ParseFloat (decimal or hexadecimal, with
// underscores, 1_000.5 and 0x1p-2 are fine; an overflow is refused). Checked against Go 1.19's go/parser and
// strconv, whose behaviour for these literals has not changed since Go 1.13.

/** A number literal Go's scanner read: its text and Go's token kind. */
export interface GoNumberLiteral {
  readonly text: string;
  readonly kind: 'int' | 'float' | 'imag';
}

/** The outcome of scanning: a literal, or Go's scanner error at a 0-based offset into the text. */
export type GoNumberScan =
  | { ok: true; literal: GoNumberLiteral; end: number }
  | { ok: false; problem: string; offset: number };

const isDecimal = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const isHex = (c: string | undefined): boolean =>
  isDecimal(c) || (c !== undefined && ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')));

/** Go's name of a literal by its prefix ('' decimal, '0' legacy octal, x, o, b). */
function literalName(prefix: string): string {
  if (prefix === 'x') return 'hexadecimal literal';
  if (prefix === 'o' || prefix === '0') return 'octal literal';
  if (prefix === 'b') return 'binary literal';
  return 'decimal literal';
}

/**
 * Offset of the first misplaced '_' in a literal, or -1: a separator must sit between two digits, a base
 * prefix counting as a digit (0x_1F is fine, 1__0, 1_.5 and 1e_2 are not).
 */
function misplacedSeparator(lit: string): number {
  const prefix = lit.length >= 2 && lit[0] === '0' ? (lit[1] as string).toLowerCase() : '';
  const hex = prefix === 'x';
  let i = 0;
  /** What the previous character was: a digit, a separator, or anything else. */
  let previous: 'digit' | '_' | 'other' = 'other';
  if (prefix === 'x' || prefix === 'o' || prefix === 'b') {
    i = 2;
    previous = 'digit';
  }
  for (; i < lit.length; i++) {
    const c = lit[i] as string;
    if (c === '_') {
      if (previous !== 'digit') return i;
      previous = '_';
    } else if (isDecimal(c) || (hex && isHex(c))) previous = 'digit';
    else {
      if (previous === '_') return i - 1;
      previous = 'other';
    }
  }
  return previous === '_' ? lit.length - 1 : -1;
}

/**
 * Scans the Go number literal starting at `start` (a digit, or '.' before a digit); undefined when none
 * starts there. A literal Go's scanner reports an error for gives its first problem (by position).
 */
export function scanGoNumber(text: string, start: number): GoNumberScan | undefined {
  const first = text[start];
  if (!isDecimal(first) && !(first === '.' && isDecimal(text[start + 1]))) return undefined;
  const problems: Array<{ problem: string; offset: number }> = [];
  let i = start;
  let base = 10;
  let prefix = '';
  let kind: GoNumberLiteral['kind'] = 'int';
  let invalid = -1;
  let digits = 0;
  let separators = false;
  /** Reads digits of `base` (every decimal digit for bases up to 10, marking those too big) and '_'. */
  const readDigits = (b: number, track: boolean) => {
    let n = 0;
    for (;;) {
      const c = text[i];
      if (c === '_') separators = true;
      else if (b === 16 ? isHex(c) : isDecimal(c)) {
        if (track && b < 10 && Number(c) >= b && invalid < 0) invalid = i;
        n++;
      } else return n;
      i++;
    }
  };
  if (first !== '.') {
    if (first === '0') {
      i++;
      const p = text[i]?.toLowerCase();
      if (p === 'x' || p === 'o' || p === 'b') {
        prefix = p;
        base = p === 'x' ? 16 : p === 'o' ? 8 : 2;
        i++;
      } else {
        prefix = '0';
        base = 8;
        digits = 1;
      }
    }
    digits += readDigits(base, true);
  }
  if (text[i] === '.') {
    kind = 'float';
    if (prefix === 'o' || prefix === 'b')
      problems.push({ problem: `invalid radix point in ${literalName(prefix)}`, offset: i });
    i++;
    digits += readDigits(base, true);
  }
  if (digits === 0) problems.push({ problem: `${literalName(prefix)} has no digits`, offset: i });
  const e = text[i]?.toLowerCase();
  if (e === 'e' || e === 'p') {
    if (e === 'e' && prefix !== '' && prefix !== '0')
      problems.push({ problem: `'${text[i]}' exponent requires decimal mantissa`, offset: i });
    else if (e === 'p' && prefix !== 'x')
      problems.push({ problem: `'${text[i]}' exponent requires hexadecimal mantissa`, offset: i });
    i++;
    kind = 'float';
    if (text[i] === '+' || text[i] === '-') i++;
    if (readDigits(10, false) === 0) problems.push({ problem: 'exponent has no digits', offset: i });
  } else if (prefix === 'x' && kind === 'float')
    problems.push({ problem: "hexadecimal mantissa requires a 'p' exponent", offset: i });
  if (text[i] === 'i') {
    kind = 'imag';
    i++;
  }
  const lit = text.slice(start, i);
  if (kind === 'int' && invalid >= 0)
    problems.push({ problem: `invalid digit '${text[invalid]}' in ${literalName(prefix)}`, offset: invalid });
  if (separators) {
    const at = misplacedSeparator(lit);
    if (at >= 0) problems.push({ problem: "'_' must separate successive digits", offset: start + at });
  }
  if (problems.length > 0) {
    const earliest = problems.reduce((a, b) => (b.offset < a.offset ? b : a));
    return { ok: false, ...earliest };
  }
  return { ok: true, literal: { text: lit, kind }, end: i };
}

const MAX_INT64 = 2n ** 63n - 1n;

/** The value of a hexadecimal float literal (0x1.8p1 is 3), underscores removed. */
function hexFloat(clean: string): number {
  const p = clean.toLowerCase().indexOf('p');
  const mantissa = clean.slice(2, p);
  const dot = mantissa.indexOf('.');
  const whole = dot < 0 ? mantissa : mantissa.slice(0, dot) + mantissa.slice(dot + 1);
  const fraction = dot < 0 ? 0 : mantissa.length - dot - 1;
  const exponent = Number(clean.slice(p + 1)) - 4 * fraction;
  return Number(BigInt(`0x${whole === '' ? '0' : whole}`)) * 2 ** exponent;
}

/** The integer a Go int literal stands for (0x1F is 31, 017 and 0o17 are 15), as text, for advice. */
function goIntValue(clean: string): string {
  if (/^0[xob]/i.test(clean)) return String(BigInt(clean.toLowerCase()));
  if (clean.length > 1 && clean[0] === '0') return String(BigInt(`0o${clean.slice(1)}`));
  return String(BigInt(clean));
}

/**
 * The number vulcand/predicate makes of a literal (Atoi for an int, ParseFloat for a float), or why it
 * refuses it; `value` of an int above 2^53 is the nearest double (only comparisons use it).
 */
export function predicateNumber(literal: GoNumberLiteral): { value: number } | { problem: string } {
  const clean = literal.text.replaceAll('_', '');
  if (literal.kind === 'imag')
    return { problem: `${literal.text} is an imaginary number, which Traefik's expressions do not take` };
  if (literal.kind === 'int') {
    if (!/^\d+$/.test(literal.text))
      return {
        problem: `${literal.text} is refused by Traefik's expression parser, which reads integers as plain decimal digits: write ${goIntValue(clean)}`,
      };
    if (BigInt(literal.text) > MAX_INT64)
      return { problem: `${literal.text} is out of range: integers are at most ${MAX_INT64}` };
    return { value: Number(literal.text) };
  }
  const value = /^0x/i.test(clean) ? hexFloat(clean) : Number(clean);
  if (!Number.isFinite(value))
    return { problem: `${literal.text} is out of range: it does not fit in a 64-bit float` };
  return { value };
}
