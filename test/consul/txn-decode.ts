// Decoding a /v1/txn body the way Go's encoding/json + Consul's fixups do: field names match
// case-insensitively, Flags/Index must be uint64 literals (kept exact), Value is strict standard base64.
import { isUint64Literal } from './go.ts';
import { field, HttpError } from './http-util.ts';

/** One decoded KV operation. */
export interface TxnKvOp {
  verb: string;
  key: string;
  value: Buffer | null;
  flags: bigint;
  index: number;
  session: string;
}

/** The decoded body: the KV operations and how many operations the array held in all. */
export interface DecodedTxn {
  kv: TxnKvOp[];
  count: number;
}

/** A JSON number with its source text, so uint64 values survive parsing exactly. */
class NumberLiteral {
  readonly source: string;
  constructor(source: string) {
    this.source = source;
  }
}

type Reviver = (this: unknown, key: string, value: unknown, context?: { source?: string }) => unknown;

function parseJson(text: string): unknown {
  const reviver: Reviver = (_key, value, context) =>
    typeof value === 'number' ? new NumberLiteral(context?.source ?? String(value)) : value;
  return JSON.parse(text, reviver as (key: string, value: unknown) => unknown);
}

function fail(message: string): HttpError {
  return new HttpError(400, `Failed to parse body: ${message}`);
}

function jsonType(v: unknown): string {
  if (v instanceof NumberLiteral) return 'number';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'object') return 'object';
  return typeof v === 'boolean' ? 'bool' : typeof v;
}

function typeError(v: unknown, name: string, goType: string): HttpError {
  return fail(
    `json: cannot unmarshal ${jsonType(v)} into Go struct field KVTxnOp.KV.${name} of type ${goType}`,
  );
}

function str(kv: Record<string, unknown>, name: string): string {
  const v = field(kv, name);
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw typeError(v, name, 'string');
  return v;
}

function uint(kv: Record<string, unknown>, name: string): bigint {
  const v = field(kv, name);
  if (v === undefined || v === null) return 0n;
  if (v instanceof NumberLiteral && isUint64Literal(v.source)) return BigInt(v.source);
  if (v instanceof NumberLiteral) {
    throw fail(
      `json: cannot unmarshal number ${v.source} into Go struct field KVTxnOp.KV.${name} of type uint64`,
    );
  }
  throw typeError(v, name, 'uint64');
}

/** Go's base64.StdEncoding.DecodeString: padded, standard alphabet, CR/LF ignored. */
function decodeBase64(s: string): Buffer {
  const clean = s.replace(/[\r\n]/g, '');
  const bad = clean.search(/[^A-Za-z0-9+/=]/);
  const pad = clean.indexOf('=');
  const illegal = (at: number): HttpError =>
    fail(`failed to decode value: illegal base64 data at input byte ${at}`);
  if (bad >= 0 && (pad < 0 || bad < pad)) throw illegal(bad);
  if (pad >= 0 && (!/^=+$/.test(clean.slice(pad)) || clean.length - pad > 2)) throw illegal(pad);
  if (clean.length % 4 !== 0) throw illegal(clean.length - (clean.length % 4));
  return Buffer.from(clean, 'base64');
}

/** Decodes and validates the body of PUT /v1/txn. */
export function decodeTxnOps(body: Buffer): DecodedTxn {
  let raw: unknown;
  try {
    raw = parseJson(body.toString('utf8'));
  } catch (error) {
    throw fail((error as Error).message);
  }
  if (raw === null) return { kv: [], count: 0 };
  if (!Array.isArray(raw))
    throw fail(`json: cannot unmarshal ${jsonType(raw)} into Go value of type api.TxnOps`);
  const kv: TxnKvOp[] = [];
  for (const item of raw) {
    if (item === null) continue;
    if (typeof item !== 'object' || Array.isArray(item) || item instanceof NumberLiteral) {
      throw fail(`json: cannot unmarshal ${jsonType(item)} into Go value of type api.TxnOp`);
    }
    const op = item as Record<string, unknown>;
    const inner = field(op, 'KV');
    if (inner === undefined || inner === null) {
      for (const other of ['Node', 'Service', 'Check', 'Session']) {
        const v = field(op, other);
        if (v !== undefined && v !== null) {
          throw new HttpError(400, `${other} operations are not supported by the Consul test server`);
        }
      }
      continue;
    }
    if (typeof inner !== 'object' || Array.isArray(inner) || inner instanceof NumberLiteral) {
      throw fail(
        `json: cannot unmarshal ${jsonType(inner)} into Go struct field TxnOp.KV of type api.KVTxnOp`,
      );
    }
    const fields = inner as Record<string, unknown>;
    const value = field(fields, 'Value');
    if (value !== undefined && value !== null && typeof value !== 'string')
      throw typeError(value, 'Value', '[]uint8');
    const index = uint(fields, 'Index');
    kv.push({
      verb: str(fields, 'Verb'),
      key: str(fields, 'Key'),
      value: typeof value === 'string' ? decodeBase64(value) : null,
      flags: uint(fields, 'Flags'),
      index: index > BigInt(Number.MAX_SAFE_INTEGER) ? -1 : Number(index),
      session: str(fields, 'Session'),
    });
  }
  return { kv, count: raw.length };
}
