// Small re-creations of the Go standard-library behaviour Consul's HTTP API leaks into its answers:
// time.ParseDuration / Duration.String, strconv.ParseUint, url.Values.Encode, go-memdb's UUID check,
// and encoding/json's output for uint64 (exact, never rounded through a float).

const UNIT_NS: Readonly<Record<string, number>> = {
  ns: 1,
  us: 1e3,
  µs: 1e3,
  μs: 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/** Parses a Go duration ("10s", "1m30s", "500ms", "0") into nanoseconds, with time.ParseDuration's error text. */
export function parseGoDuration(input: string): { ns: number } | { error: string } {
  const quoted = JSON.stringify(input);
  let s = input;
  let negative = false;
  if (s.startsWith('-') || s.startsWith('+')) {
    negative = s.startsWith('-');
    s = s.slice(1);
  }
  if (s === '0') return { ns: 0 };
  if (s === '') return { error: `time: invalid duration ${quoted}` };
  let total = 0;
  while (s !== '') {
    const num = /^(\d*)(?:\.(\d*))?/.exec(s)?.[0] ?? '';
    if (num === '' || num === '.') return { error: `time: invalid duration ${quoted}` };
    s = s.slice(num.length);
    const unit = /^[^\d.]*/.exec(s)?.[0] ?? '';
    if (unit === '') return { error: `time: missing unit in duration ${quoted}` };
    const factor = UNIT_NS[unit];
    if (factor === undefined)
      return { error: `time: unknown unit ${JSON.stringify(unit)} in duration ${quoted}` };
    s = s.slice(unit.length);
    total += Number(num.startsWith('.') ? `0${num}` : num) * factor;
  }
  return { ns: negative ? -total : total };
}

function trimNumber(n: number): string {
  return String(Number(n.toFixed(9)));
}

/** Formats nanoseconds the way Go's time.Duration.String() does ("10s", "24h0m0s", "1.5s", "250ms"). */
export function formatGoDuration(ns: number): string {
  if (ns === 0) return '0s';
  const sign = ns < 0 ? '-' : '';
  let rest = Math.abs(ns);
  if (rest < 1e3) return `${sign}${rest}ns`;
  if (rest < 1e6) return `${sign}${trimNumber(rest / 1e3)}µs`;
  if (rest < 1e9) return `${sign}${trimNumber(rest / 1e6)}ms`;
  const hours = Math.floor(rest / 3600e9);
  rest -= hours * 3600e9;
  const minutes = Math.floor(rest / 60e9);
  rest -= minutes * 60e9;
  const h = hours > 0 ? `${hours}h` : '';
  const m = hours > 0 || minutes > 0 ? `${minutes}m` : '';
  return `${sign}${h}${m}${trimNumber(rest / 1e9)}s`;
}

const UINT64_MAX = (1n << 64n) - 1n;

/** Parses a base-10 uint64 like strconv.ParseUint(s, 10, 64), with its error text. */
export function parseUint64(s: string): { value: bigint } | { error: string } {
  if (!/^\d+$/.test(s)) return { error: `strconv.ParseUint: parsing ${JSON.stringify(s)}: invalid syntax` };
  const value = BigInt(s);
  if (value > UINT64_MAX)
    return { error: `strconv.ParseUint: parsing ${JSON.stringify(s)}: value out of range` };
  return { value };
}

/** True for a JSON number literal Go would decode into a uint64 (no sign, fraction or exponent, in range). */
export function isUint64Literal(source: string): boolean {
  return /^\d+$/.test(source) && BigInt(source) <= UINT64_MAX;
}

/** An index as a JS number; indexes beyond 2^53 cannot occur here, so larger inputs saturate. */
export function indexNumber(value: bigint): number {
  return value > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(value);
}

function queryEscape(s: string): string {
  return encodeURIComponent(s)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}

/** Encodes query parameters like Go's url.Values.Encode(): keys sorted, values in order, QueryEscape'd. */
export function encodeGoQuery(params: URLSearchParams): string {
  const keys = [...new Set(params.keys())].sort();
  const parts: string[] = [];
  for (const key of keys) {
    for (const value of params.getAll(key)) parts.push(`${queryEscape(key)}=${queryEscape(value)}`);
  }
  return parts.join('&');
}

/** The error go-memdb's UUID index gives for a malformed session ID, or undefined when it is well formed. */
export function uuidError(id: string): string | undefined {
  if (id.length !== 36) return 'UUID must be 36 characters';
  if (!/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/.test(id)) {
    return 'Invalid UUID: encoding/hex: invalid byte';
  }
  return undefined;
}

/** Orders keys by their UTF-8 bytes, as Consul's radix tree does. */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

const BIG = '\u0000uint64:';

/** JSON-encodes like encoding/json: bigint values are written as exact integers, `pretty` indents by 4 and adds a newline. */
export function encodeJson(value: unknown, pretty = false): string {
  const text = JSON.stringify(
    value,
    (_key, v: unknown) => (typeof v === 'bigint' ? `${BIG}${v.toString()}` : v),
    pretty ? 4 : undefined,
  );
  const out = (text ?? 'null').replace(/"\\u0000uint64:(\d+)"/g, '$1');
  return pretty ? `${out}\n` : out;
}
