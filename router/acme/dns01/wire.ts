// DNS messages on the wire (RFC 1035 §4, RFC 2136 §2): only what DNS-01 needs. Queries for SOA, NS,
// CNAME and TXT, dynamic updates that add and delete TXT records, and TSIG (tsig.ts), which signs the exact
// bytes. Written here rather than taken from `dns-packet`: that library has no class NONE (RFC 2136's
// "delete one RR"), cannot write a TSIG record, and TSIG needs the bytes as sent anyway.

/** Record types used here. */
export const TYPE = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  TXT: 16,
  AAAA: 28,
  OPT: 41,
  TSIG: 250,
  ANY: 255,
} as const;
/** Record classes used here (NONE and ANY carry RFC 2136's deletions). */
export const CLASS = { IN: 1, NONE: 254, ANY: 255 } as const;
/** Opcodes used here. */
export const OPCODE = { QUERY: 0, UPDATE: 5 } as const;
/** Response codes by number, for messages. */
export const RCODE_NAMES: Record<number, string> = {
  0: 'NOERROR',
  1: 'FORMERR',
  2: 'SERVFAIL',
  3: 'NXDOMAIN',
  4: 'NOTIMP',
  5: 'REFUSED',
  6: 'YXDOMAIN',
  7: 'YXRRSET',
  8: 'NXRRSET',
  9: 'NOTAUTH',
  10: 'NOTZONE',
  16: 'BADSIG',
  17: 'BADKEY',
  18: 'BADTIME',
};

/** One resource record; `data` is its RDATA as on the wire (names in it uncompressed when written). */
export interface DnsRecord {
  readonly name: string;
  readonly type: number;
  readonly class: number;
  readonly ttl: number;
  readonly data: Buffer;
  /** Decoded RDATA of NS, CNAME (a name), TXT (its strings) and SOA (its names), when read. */
  readonly value?: string | string[] | { mname: string; rname: string };
  /** Where the record starts in the message it was read from. */
  readonly offset?: number;
}

/** A question (or, in an update, the zone). */
export interface DnsQuestion {
  readonly name: string;
  readonly type: number;
  readonly class: number;
}

/** A whole message. Sections keep their query names; in an update they are zone, prerequisite, update. */
export interface DnsMessage {
  readonly id: number;
  readonly opcode: number;
  readonly rcode: number;
  readonly flags: { qr?: boolean; aa?: boolean; tc?: boolean; rd?: boolean; ra?: boolean };
  readonly questions: readonly DnsQuestion[];
  readonly answers: readonly DnsRecord[];
  readonly authorities: readonly DnsRecord[];
  readonly additionals: readonly DnsRecord[];
}

/** A name with a trailing dot, as DNS tools show it (`example.test.`; the root is `.`). */
export const fqdn = (name: string) => (name.endsWith('.') ? name : `${name}.`);

/** A name in wire form, uncompressed; `lower` gives the canonical form TSIG signs (RFC 4034 §6.2). */
export function encodeName(name: string, lower = false): Buffer {
  const labels = fqdn(lower ? name.toLowerCase() : name)
    .split('.')
    .filter((l) => l !== '');
  const parts: Buffer[] = [];
  for (const label of labels) {
    const bytes = Buffer.from(label, 'utf8');
    if (bytes.length > 63) throw new Error(`DNS label "${label}" is longer than 63 bytes`);
    parts.push(Buffer.from([bytes.length]), bytes);
  }
  parts.push(Buffer.from([0]));
  const out = Buffer.concat(parts);
  if (out.length > 255) throw new Error(`DNS name "${name}" is longer than 255 bytes`);
  return out;
}

/** TXT RDATA: each string as a length byte and up to 255 bytes (longer values are split, as lego does). */
export function txtData(value: string): Buffer {
  const bytes = Buffer.from(value, 'utf8');
  const count = Math.max(1, Math.ceil(bytes.length / 255));
  const chunks = Array.from({ length: count }, (_, i) => bytes.subarray(i * 255, i * 255 + 255));
  return Buffer.concat(chunks.flatMap((c) => [Buffer.from([c.length]), c]));
}

const u16 = (n: number) => {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
};

function encodeRecord(r: DnsRecord): Buffer {
  const head = Buffer.alloc(10);
  head.writeUInt16BE(r.type, 0);
  head.writeUInt16BE(r.class, 2);
  head.writeUInt32BE(r.ttl >>> 0, 4);
  head.writeUInt16BE(r.data.length, 8);
  return Buffer.concat([encodeName(r.name), head, r.data]);
}

/** A message as bytes (no name compression). */
export function encodeMessage(m: DnsMessage): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(m.id, 0);
  const f = m.flags;
  const flags =
    (f.qr ? 0x8000 : 0) |
    ((m.opcode & 0xf) << 11) |
    (f.aa ? 0x400 : 0) |
    (f.tc ? 0x200 : 0) |
    (f.rd ? 0x100 : 0) |
    (f.ra ? 0x80 : 0) |
    (m.rcode & 0xf);
  header.writeUInt16BE(flags, 2);
  header.writeUInt16BE(m.questions.length, 4);
  header.writeUInt16BE(m.answers.length, 6);
  header.writeUInt16BE(m.authorities.length, 8);
  header.writeUInt16BE(m.additionals.length, 10);
  const questions = m.questions.map((q) => Buffer.concat([encodeName(q.name), u16(q.type), u16(q.class)]));
  return Buffer.concat([
    header,
    ...questions,
    ...m.answers.map(encodeRecord),
    ...m.authorities.map(encodeRecord),
    ...m.additionals.map(encodeRecord),
  ]);
}

/** Reads a (possibly compressed) name at `at`; returns it and the offset after it in the record. */
export function readName(buf: Buffer, at: number): { name: string; next: number } {
  const labels: string[] = [];
  let pos = at;
  let next = -1;
  for (let hops = 0; ; hops++) {
    if (hops > 127 || pos >= buf.length) throw new Error('malformed DNS name');
    const len = buf.readUInt8(pos);
    if (len === 0) {
      if (next < 0) next = pos + 1;
      break;
    }
    if ((len & 0xc0) === 0xc0) {
      if (next < 0) next = pos + 2;
      pos = buf.readUInt16BE(pos) & 0x3fff;
      continue;
    }
    if (pos + 1 + len > buf.length) throw new Error('malformed DNS name');
    labels.push(buf.toString('utf8', pos + 1, pos + 1 + len));
    pos += 1 + len;
  }
  return { name: labels.length === 0 ? '.' : `${labels.join('.')}.`, next };
}

function readTxt(data: Buffer): string[] {
  const out: string[] = [];
  for (let at = 0; at < data.length; ) {
    const len = data.readUInt8(at);
    out.push(data.toString('utf8', at + 1, at + 1 + len));
    at += 1 + len;
  }
  return out;
}

function readRecords(buf: Buffer, at: number, count: number): { records: DnsRecord[]; next: number } {
  const records: DnsRecord[] = [];
  let pos = at;
  for (let i = 0; i < count; i++) {
    const offset = pos;
    const { name, next } = readName(buf, pos);
    if (next + 10 > buf.length) throw new Error('truncated DNS record');
    const type = buf.readUInt16BE(next);
    const klass = buf.readUInt16BE(next + 2);
    const ttl = buf.readUInt32BE(next + 4);
    const len = buf.readUInt16BE(next + 8);
    const start = next + 10;
    if (start + len > buf.length) throw new Error('truncated DNS record data');
    const data = buf.subarray(start, start + len);
    let value: DnsRecord['value'];
    if (len > 0 && (type === TYPE.NS || type === TYPE.CNAME)) value = readName(buf, start).name;
    else if (type === TYPE.TXT) value = readTxt(data);
    else if (len > 0 && type === TYPE.SOA) {
      const mname = readName(buf, start);
      value = { mname: mname.name, rname: readName(buf, mname.next).name };
    }
    records.push({ name, type, class: klass, ttl, data, offset, ...(value !== undefined ? { value } : {}) });
    pos = start + len;
  }
  return { records, next: pos };
}

/** Reads a message; throws on malformed input. */
export function decodeMessage(buf: Buffer): DnsMessage {
  if (buf.length < 12) throw new Error('DNS message shorter than its header');
  const flags = buf.readUInt16BE(2);
  let pos = 12;
  const questions: DnsQuestion[] = [];
  for (let i = 0; i < buf.readUInt16BE(4); i++) {
    const { name, next } = readName(buf, pos);
    questions.push({ name, type: buf.readUInt16BE(next), class: buf.readUInt16BE(next + 2) });
    pos = next + 4;
  }
  const answers = readRecords(buf, pos, buf.readUInt16BE(6));
  const authorities = readRecords(buf, answers.next, buf.readUInt16BE(8));
  const additionals = readRecords(buf, authorities.next, buf.readUInt16BE(10));
  return {
    id: buf.readUInt16BE(0),
    opcode: (flags >> 11) & 0xf,
    rcode: flags & 0xf,
    flags: {
      qr: !!(flags & 0x8000),
      aa: !!(flags & 0x400),
      tc: !!(flags & 0x200),
      rd: !!(flags & 0x100),
      ra: !!(flags & 0x80),
    },
    questions,
    answers: answers.records,
    authorities: authorities.records,
    additionals: additionals.records,
  };
}

/** The name of a response code, for messages (`NXDOMAIN`, `REFUSED`, …). */
export const rcodeName = (rcode: number) => RCODE_NAMES[rcode] ?? `RCODE${rcode}`;
