import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { isProblem, type LoadedCertificate, loadCertificate } from './certificates.ts';

/** The subject CN of the generated default certificate (Traefik's is `TRAEFIK DEFAULT CERT`). */
export const DEFAULT_CERT_CN = 'WHARF DEFAULT CERT';

// Node can sign but cannot build certificates. A library that can (@peculiar/x509) costs every router
// about 20 MiB of memory for this one certificate at start, so the few DER structures of a self-signed
// ECDSA certificate (RFC 5280) are written here; Node's X509Certificate parses the result back and
// loadCertificate checks it against its key.

/** A DER TLV: tag, definite length, content. */
function der(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  const n = body.length;
  const length =
    n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), length, body]);
}
const seq = (...c: Buffer[]) => der(0x30, ...c);
const set = (...c: Buffer[]) => der(0x31, ...c);
const explicit = (n: number, ...c: Buffer[]) => der(0xa0 + n, ...c);
const bool = (v: boolean) => der(0x01, Buffer.from([v ? 0xff : 0]));
const octets = (c: Buffer) => der(0x04, c);
/** A BIT STRING with no unused bits. */
const bits = (c: Buffer) => der(0x03, Buffer.from([0]), c);
const utf8 = (s: string) => der(0x0c, Buffer.from(s, 'utf8'));

function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split('.').map(Number) as [number, number, ...number[]];
  const out = [40 * a + b];
  for (const v of rest) {
    const chunk = [v & 0x7f];
    for (let x = v >>> 7; x > 0; x >>>= 7) chunk.unshift((x & 0x7f) | 0x80);
    out.push(...chunk);
  }
  return der(0x06, Buffer.from(out));
}

/** A positive INTEGER from unsigned big-endian bytes. */
function integer(bytes: Buffer): Buffer {
  const first = bytes[0] ?? 0;
  return der(0x02, first & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes);
}

/** UTCTime (until 2049) or GeneralizedTime, as RFC 5280 §4.1.2.5 requires. */
function time(d: Date): Buffer {
  const iso = d.toISOString().replace(/[-:T]/g, '').slice(0, 14); // YYYYMMDDHHMMSS
  return d.getUTCFullYear() < 2050
    ? der(0x17, Buffer.from(`${iso.slice(2)}Z`))
    : der(0x18, Buffer.from(`${iso}Z`));
}

const extension = (id: string, critical: boolean, value: Buffer) =>
  seq(oid(id), ...(critical ? [bool(true)] : []), octets(value));

/**
 * Generates the self-signed certificate served when no configured certificate serves a server name and no
 * `tls.stores.default.defaultCertificate` is set, as Traefik generates its own at start: ECDSA P-256,
 * SHA-256, valid one year, CN `WHARF DEFAULT CERT`, one random name `<hex>.<hex>.wharf.default` (no client
 * trusts it, on purpose), key usage digitalSignature for serverAuth.
 */
export async function generateDefaultCertificate(): Promise<LoadedCertificate> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const now = Date.now();
  const dnsName = `${randomBytes(16).toString('hex')}.${randomBytes(16).toString('hex')}.wharf.default`;
  const ecdsaWithSha256 = seq(oid('1.2.840.10045.4.3.2'));
  const name = seq(set(seq(oid('2.5.4.3'), utf8(DEFAULT_CERT_CN))));
  const tbs = seq(
    explicit(0, der(0x02, Buffer.from([2]))), // v3
    integer(Buffer.concat([Buffer.from([0x01]), randomBytes(15)])),
    ecdsaWithSha256,
    name,
    seq(time(new Date(now - 60_000)), time(new Date(now + 365 * 24 * 3600_000))),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
    explicit(
      3,
      seq(
        extension('2.5.29.19', true, seq()), // basicConstraints: not a CA
        extension('2.5.29.15', true, der(0x03, Buffer.from([7, 0x80]))), // keyUsage: digitalSignature
        extension('2.5.29.37', false, seq(oid('1.3.6.1.5.5.7.3.1'))), // extKeyUsage: serverAuth
        extension('2.5.29.17', false, seq(der(0x82, Buffer.from(dnsName)))), // subjectAltName: dNSName
      ),
    ),
  );
  const signature = sign('sha256', tbs, { key: privateKey, dsaEncoding: 'der' });
  const cert = seq(tbs, ecdsaWithSha256, bits(signature));
  const pem = `-----BEGIN CERTIFICATE-----\n${cert
    .toString('base64')
    .replace(/.{1,64}/g, '$&\n')}-----END CERTIFICATE-----\n`;
  const key = privateKey.export({ type: 'pkcs8', format: 'pem' });
  const loaded = loadCertificate({ certFile: pem, keyFile: String(key) }, () => {
    throw new Error('inline PEM is never read from a file');
  });
  if (isProblem(loaded)) throw new Error(`the generated default certificate is unusable: ${loaded.code}`);
  return loaded;
}
