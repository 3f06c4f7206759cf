/** What the first TLS record of a connection says, read before any TLS state exists. */
export type ClientHelloPeek =
  /** More bytes are needed to hold the first record. */
  | { readonly kind: 'incomplete' }
  /**
   * A ClientHello; `serverName` is the SNI host name (lower case, no trailing dot), if it sent one, and `alpn`
   * the protocols its ALPN extension offers (TLS-ALPN-01 validators offer only `acme-tls/1`).
   */
  | { readonly kind: 'hello'; readonly serverName: string | undefined; readonly alpn?: readonly string[] }
  /** Not a ClientHello we can read: OpenSSL will answer it (usually with an alert). */
  | { readonly kind: 'other' };

/** The first byte of a TLS handshake record. */
export const TLS_HANDSHAKE_RECORD = 0x16;
/** The largest TLS plaintext record (2^14) plus its 5-byte header. */
export const MAX_FIRST_RECORD = 16384 + 5;

const INCOMPLETE: ClientHelloPeek = { kind: 'incomplete' };
const OTHER: ClientHelloPeek = { kind: 'other' };
const CLIENT_HELLO = 1;
const EXT_SERVER_NAME = 0;
const EXT_ALPN = 16;
const HOST_NAME = 0;

/**
 * Reads the SNI server name from the first TLS record of a connection, as Traefik peeks it to pick the TLS
 * options before the handshake: only the first record is read, so a ClientHello fragmented over several
 * records gives a hello without a name (the default options then apply; the certificate is still chosen by
 * OpenSSL's own SNI parsing). Pure; never throws.
 */
export function readClientHello(buf: Buffer): ClientHelloPeek {
  if (buf.length < 5) return INCOMPLETE;
  if (buf[0] !== TLS_HANDSHAKE_RECORD) return OTHER;
  const recordLength = buf.readUInt16BE(3);
  if (recordLength > 16384 || recordLength < 4) return OTHER;
  if (buf.length < 5 + recordLength) return INCOMPLETE;
  const end = 5 + recordLength;
  if (buf[5] !== CLIENT_HELLO) return OTHER;
  const helloLength = (buf[6]! << 16) | (buf[7]! << 8) | buf[8]!;
  if (9 + helloLength > end) return { kind: 'hello', serverName: undefined };
  const helloEnd = 9 + helloLength;
  // client_version (2) + random (32), then session_id, cipher_suites and compression_methods.
  let p = 9 + 2 + 32;
  if (p + 1 > helloEnd) return OTHER;
  p += 1 + buf[p]!;
  if (p + 2 > helloEnd) return OTHER;
  p += 2 + buf.readUInt16BE(p);
  if (p + 1 > helloEnd) return OTHER;
  p += 1 + buf[p]!;
  if (p === helloEnd) return { kind: 'hello', serverName: undefined };
  if (p + 2 > helloEnd) return OTHER;
  const extensionsEnd = p + 2 + buf.readUInt16BE(p);
  if (extensionsEnd > helloEnd) return OTHER;
  p += 2;
  let name: string | undefined;
  let alpn: string[] | undefined;
  while (p + 4 <= extensionsEnd) {
    const type = buf.readUInt16BE(p);
    const length = buf.readUInt16BE(p + 2);
    const dataEnd = p + 4 + length;
    if (dataEnd > extensionsEnd) return OTHER;
    if (type === EXT_SERVER_NAME) name = serverName(buf, p + 4, dataEnd);
    else if (type === EXT_ALPN) alpn = protocolNames(buf, p + 4, dataEnd);
    p = dataEnd;
  }
  if (p !== extensionsEnd) return OTHER;
  return alpn ? { kind: 'hello', serverName: name, alpn } : { kind: 'hello', serverName: name };
}

/** The protocol names of an ALPN extension body; an empty list when malformed. */
function protocolNames(buf: Buffer, start: number, end: number): string[] {
  if (start + 2 > end) return [];
  const listEnd = start + 2 + buf.readUInt16BE(start);
  if (listEnd > end) return [];
  const out: string[] = [];
  for (let p = start + 2; p < listEnd; ) {
    const length = buf[p]!;
    if (p + 1 + length > listEnd) return [];
    out.push(buf.toString('latin1', p + 1, p + 1 + length));
    p += 1 + length;
  }
  return out;
}

/** The host_name entry of a server_name extension body, normalized; undefined when malformed or absent. */
function serverName(buf: Buffer, start: number, end: number): string | undefined {
  if (start + 2 > end) return undefined;
  const listEnd = start + 2 + buf.readUInt16BE(start);
  if (listEnd > end) return undefined;
  let p = start + 2;
  while (p + 3 <= listEnd) {
    const type = buf[p]!;
    const length = buf.readUInt16BE(p + 1);
    if (p + 3 + length > listEnd) return undefined;
    if (type === HOST_NAME) {
      const name = buf.toString('latin1', p + 3, p + 3 + length).toLowerCase();
      const trimmed = name.endsWith('.') ? name.slice(0, -1) : name;
      return trimmed === '' ? undefined : trimmed;
    }
    p += 3 + length;
  }
  return undefined;
}
