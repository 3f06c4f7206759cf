import { createHmac, timingSafeEqual } from 'node:crypto';
import { CLASS, type DnsMessage, decodeMessage, encodeName, fqdn, readName, TYPE } from './wire.ts';

// TSIG (RFC 8945): an HMAC over the message and a few variables, carried as the last record of the
// additional section. Signs updates and checks the server's signed answer, as lego (miekg/dns) does.

/** The algorithms lego's rfc2136 provider accepts (it defaults to hmac-sha1), by their DNS names. */
const ALGORITHMS: Record<string, string> = {
  'hmac-sha1.': 'sha1',
  'hmac-sha224.': 'sha224',
  'hmac-sha256.': 'sha256',
  'hmac-sha384.': 'sha384',
  'hmac-sha512.': 'sha512',
};

/** A TSIG key: its name, algorithm (a DNS name such as `hmac-sha256.`) and secret. */
export interface TsigKey {
  readonly name: string;
  readonly algorithm: string;
  readonly secret: Buffer;
}

/** The key, checked: a known algorithm and a base64 secret. Throws with what is wrong. */
export function tsigKey(name: string, algorithm: string, secretBase64: string): TsigKey {
  const alg = fqdn(algorithm.toLowerCase());
  if (!ALGORITHMS[alg])
    throw new Error(
      `unsupported TSIG algorithm: ${algorithm} (use one of ${Object.keys(ALGORITHMS).join(', ')})`,
    );
  const secret = Buffer.from(secretBase64, 'base64');
  if (secret.length === 0) throw new Error('the TSIG secret is empty or not base64');
  return { name: fqdn(name.toLowerCase()), algorithm: alg, secret };
}

const FUDGE = 300;

/** The time fields and error of one TSIG record. */
interface TsigFields {
  readonly timeSigned: number;
  readonly fudge: number;
  readonly error: number;
  readonly other: Buffer;
}

function timeBytes(seconds: number): Buffer {
  const b = Buffer.alloc(6);
  b.writeUIntBE(seconds, 0, 6);
  return b;
}

/** The TSIG variables of RFC 8945 §4.3.3, which the MAC covers after the message. */
function variables(key: TsigKey, f: TsigFields): Buffer {
  const tail = Buffer.alloc(6);
  tail.writeUInt16BE(f.fudge, 0);
  tail.writeUInt16BE(f.error, 2);
  tail.writeUInt16BE(f.other.length, 4);
  const klass = Buffer.alloc(6);
  klass.writeUInt16BE(CLASS.ANY, 0); // class ANY, then a TTL of 0
  return Buffer.concat([
    encodeName(key.name, true),
    klass,
    encodeName(key.algorithm, true),
    timeBytes(f.timeSigned),
    tail,
    f.other,
  ]);
}

function mac(key: TsigKey, parts: readonly Buffer[]): Buffer {
  const h = createHmac(ALGORITHMS[key.algorithm] as string, key.secret);
  for (const p of parts) h.update(p);
  return h.digest();
}

/** Appends a TSIG record to an encoded message; returns the signed message and its MAC (for the answer). */
export function signMessage(
  wire: Buffer,
  key: TsigKey,
  now = Math.floor(Date.now() / 1000),
): { wire: Buffer; mac: Buffer } {
  const fields: TsigFields = { timeSigned: now, fudge: FUDGE, error: 0, other: Buffer.alloc(0) };
  const digest = mac(key, [wire, variables(key, fields)]);
  const id = wire.readUInt16BE(0);
  const rdataTail = Buffer.alloc(6);
  rdataTail.writeUInt16BE(id, 0);
  rdataTail.writeUInt16BE(0, 2);
  rdataTail.writeUInt16BE(0, 4);
  const fudge = Buffer.alloc(4);
  fudge.writeUInt16BE(FUDGE, 0);
  fudge.writeUInt16BE(digest.length, 2);
  const rdata = Buffer.concat([encodeName(key.algorithm, true), timeBytes(now), fudge, digest, rdataTail]);
  const head = Buffer.alloc(10);
  head.writeUInt16BE(TYPE.TSIG, 0);
  head.writeUInt16BE(CLASS.ANY, 2);
  head.writeUInt32BE(0, 4);
  head.writeUInt16BE(rdata.length, 8);
  const signed = Buffer.concat([wire, encodeName(key.name, true), head, rdata]);
  signed.writeUInt16BE(wire.readUInt16BE(10) + 1, 10);
  return { wire: signed, mac: digest };
}

/**
 * Checks the TSIG record of an answer to a signed request (RFC 8945 §5.3): present, made with the same key,
 * a valid MAC over the request's MAC and the answer, and a time within the fudge. Returns the answer, or
 * throws with what failed (an unsigned error answer such as NOTAUTH/BADKEY says the server refused the key).
 */
export function verifyAnswer(
  answer: Buffer,
  key: TsigKey,
  requestMac: Buffer,
  now = Math.floor(Date.now() / 1000),
): DnsMessage {
  const msg = decodeMessage(answer);
  const tsig = msg.additionals.at(-1);
  if (!tsig || tsig.type !== TYPE.TSIG || tsig.offset === undefined)
    throw new Error('the answer is not signed (no TSIG record)');
  if (fqdn(tsig.name.toLowerCase()) !== key.name)
    throw new Error(`the answer is signed with another key (${tsig.name})`);
  const d = tsig.data;
  // The algorithm name is never compressed (RFC 8945 §4.2), so it reads from the RDATA alone.
  const { name: alg, next: algLen } = readName(d, 0);
  const timeSigned = d.readUIntBE(algLen, 6);
  const fudge = d.readUInt16BE(algLen + 6);
  const macLen = d.readUInt16BE(algLen + 8);
  const theirMac = d.subarray(algLen + 10, algLen + 10 + macLen);
  let at = algLen + 10 + macLen;
  const originalId = d.readUInt16BE(at);
  const error = d.readUInt16BE(at + 2);
  const otherLen = d.readUInt16BE(at + 4);
  at += 6;
  const other = d.subarray(at, at + otherLen);
  if (error !== 0 && macLen === 0)
    throw new Error(`the server refused the TSIG signature (TSIG error ${error})`);
  if (alg.toLowerCase() !== key.algorithm)
    throw new Error(`the answer is signed with another algorithm (${alg})`);
  const body = Buffer.from(answer.subarray(0, tsig.offset));
  body.writeUInt16BE(originalId, 0);
  body.writeUInt16BE(body.readUInt16BE(10) - 1, 10);
  const macSize = Buffer.alloc(2);
  macSize.writeUInt16BE(requestMac.length);
  const expected = mac(key, [macSize, requestMac, body, variables(key, { timeSigned, fudge, error, other })]);
  if (expected.length !== theirMac.length || !timingSafeEqual(expected, theirMac))
    throw new Error('the TSIG signature of the answer does not match (wrong secret?)');
  if (Math.abs(now - timeSigned) > fudge)
    throw new Error('the TSIG time of the answer is outside the fudge (clocks differ)');
  return msg;
}
