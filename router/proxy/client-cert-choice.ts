import { X509Certificate } from 'node:crypto';
import { connect as netConnect } from 'node:net';
import { Duplex } from 'node:stream';
import { type ConnectionOptions, connect as tlsConnect } from 'node:tls';

// Several `certificates` in a servers transport: Go's client (Traefik) presents the first one the
// server's CertificateRequest accepts, judged by its list of acceptable CAs (the issuer of a certificate
// of the chain must be on it; an empty list accepts any). OpenSSL, under Node, offers no callback at that
// point of the handshake, so Wharf learns the list beforehand: one probe handshake per server, capped at
// TLS 1.2 where the CertificateRequest travels in clear, read and then dropped (nothing is sent but the
// ClientHello). The choice is kept per server for the life of the transport. A server the probe cannot
// read (TLS 1.3 only, unreachable) gets the first certificate, as before.

/** A client certificate (PEM chain) and its key (PEM). */
export interface ClientCert {
  readonly cert: string;
  readonly key: string;
}

/** One DER element: where its content starts and where it ends. */
function derElement(der: Buffer, at: number): { start: number; end: number } {
  const first = der[at + 1] as number;
  if (first < 0x80) return { start: at + 2, end: at + 2 + first };
  const n = first & 0x7f;
  let length = 0;
  for (let i = 0; i < n; i++) length = length * 256 + (der[at + 2 + i] as number);
  return { start: at + 2 + n, end: at + 2 + n + length };
}

/** The DER of a certificate's issuer Name (Go's RawIssuer): the 4th field of tbsCertificate, after the optional version. */
export function rawIssuer(der: Buffer): Buffer {
  const cert = derElement(der, 0);
  const tbs = derElement(der, cert.start);
  let at = tbs.start;
  if (der[at] === 0xa0) at = derElement(der, at).end; // [0] version
  at = derElement(der, at).end; // serialNumber
  at = derElement(der, at).end; // signature AlgorithmIdentifier
  return der.subarray(at, derElement(der, at).end);
}

/** The issuer names of every certificate of a PEM chain. */
export function chainIssuers(pem: string): Buffer[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((b) => rawIssuer(new X509Certificate(b).raw));
}

/**
 * Go's choice among client certificates (crypto/tls getClientCertificate, without its signature-scheme
 * check): the first whose chain has a certificate issued by an acceptable CA; with no CA list, the
 * first; -1 when none fits (Go then sends no certificate).
 */
export function chooseClientCert(
  issuers: ReadonlyArray<readonly Buffer[]>,
  acceptable: readonly Buffer[],
): number {
  if (acceptable.length === 0) return issuers.length > 0 ? 0 : -1;
  return issuers.findIndex((chain) => chain.some((i) => acceptable.some((ca) => ca.equals(i))));
}

/** What a server's first flight (TLS 1.2, in clear) says about client certificates, so far. */
export type CertificateRequestScan =
  | { readonly kind: 'request'; readonly cas: Buffer[] }
  | { readonly kind: 'none' }
  | { readonly kind: 'incomplete' };

/**
 * Scans the bytes a TLS 1.2 server sent for its CertificateRequest (handshake type 13) and returns the
 * acceptable CA names it lists; 'none' once ServerHelloDone (14) came without one, or on anything that
 * is not a plain handshake record (an alert, a TLS 1.3 answer).
 */
export function scanCertificateRequest(data: Buffer): CertificateRequestScan {
  // Handshake messages may span records: join the handshake records' fragments first.
  const fragments: Buffer[] = [];
  let at = 0;
  while (data.length - at >= 5) {
    const length = data.readUInt16BE(at + 3);
    if (data[at] !== 22) return { kind: 'none' };
    if (data.length - at < 5 + length) break;
    fragments.push(data.subarray(at + 5, at + 5 + length));
    at += 5 + length;
  }
  const hs = Buffer.concat(fragments);
  for (let i = 0; hs.length - i >= 4; ) {
    const type = hs[i] as number;
    const length = hs.readUIntBE(i + 1, 3);
    if (hs.length - i < 4 + length) break;
    const body = hs.subarray(i + 4, i + 4 + length);
    if (type === 13) return { kind: 'request', cas: certificateAuthorities(body) };
    if (type === 14) return { kind: 'none' };
    i += 4 + length;
  }
  return { kind: 'incomplete' };
}

/** The DistinguishedName list of a TLS 1.2 CertificateRequest body (types, signature algorithms, CAs). */
function certificateAuthorities(body: Buffer): Buffer[] {
  let at = 1 + (body[0] ?? 0); // certificate_types
  at += 2 + body.readUInt16BE(at); // supported_signature_algorithms
  const end = Math.min(body.length, at + 2 + body.readUInt16BE(at));
  const cas: Buffer[] = [];
  for (at += 2; at + 2 <= end; ) {
    const length = body.readUInt16BE(at);
    cas.push(body.subarray(at + 2, at + 2 + length));
    at += 2 + length;
  }
  return cas;
}

/** Where the probe connects, and with which TLS options (the transport's, without a certificate). */
interface ProbeTarget {
  readonly host: string;
  readonly port: number;
  readonly servername: string | undefined;
  readonly timeoutMs: number;
}

/** One TLS 1.2 handshake that stops at the server's first flight: the CertificateRequest's CA list, or undefined. */
function probeAcceptableCAs(
  target: ProbeTarget,
  tls: ConnectionOptions,
): Promise<Buffer[] | null | undefined> {
  return new Promise((resolve) => {
    const raw = netConnect({ host: target.host, port: target.port });
    let seen: Buffer = Buffer.alloc(0);
    // The TLS stack reads the server through this pipe, so the test can see the bytes it gets.
    const pipe = new Duplex({
      read() {},
      write(chunk, _enc, done) {
        raw.write(chunk, done);
      },
    });
    const socket = tlsConnect({
      ...tls,
      cert: undefined,
      key: undefined,
      socket: pipe,
      maxVersion: 'TLSv1.2',
      minVersion: 'TLSv1.2',
      // Only the server's first flight is read; the real connection makes the checks.
      rejectUnauthorized: false,
      checkServerIdentity: () => undefined,
      ...(target.servername ? { servername: target.servername } : {}),
    });
    const finish = (cas: Buffer[] | null | undefined) => {
      clearTimeout(timer);
      raw.destroy();
      socket.destroy();
      resolve(cas);
    };
    const timer = setTimeout(() => finish(undefined), target.timeoutMs > 0 ? target.timeoutMs : 5_000);
    socket.on('error', () => finish(undefined));
    socket.on('secureConnect', () => finish(null));
    raw.on('error', () => finish(undefined));
    raw.on('close', () => finish(undefined));
    raw.on('data', (chunk: Buffer) => {
      seen = Buffer.concat([seen, chunk]);
      const scan = scanCertificateRequest(seen);
      if (scan.kind === 'request') finish(scan.cas);
      else if (scan.kind === 'none') finish(null);
      else pipe.push(chunk);
    });
  });
}

/**
 * The client certificate to present to each server of a transport with several `certificates`, chosen
 * as Go does from the server's acceptable CAs (learnt by a probe handshake, once per server).
 */
export class ClientCertChoice {
  readonly #certs: readonly ClientCert[];
  readonly #issuers: ReadonlyArray<readonly Buffer[]>;
  readonly #tls: ConnectionOptions;
  readonly #chosen = new Map<string, Promise<ClientCert | null>>();

  constructor(certs: readonly ClientCert[], tls: ConnectionOptions) {
    this.#certs = certs;
    this.#issuers = certs.map((c) => chainIssuers(c.cert));
    this.#tls = tls;
  }

  /** The certificate for a server; null: none fits the server's list (Go then sends none). */
  choose(target: ProbeTarget): Promise<ClientCert | null> {
    const key = `${target.host} ${target.port} ${target.servername ?? ''}`;
    let choice = this.#chosen.get(key);
    if (!choice) {
      choice = probeAcceptableCAs(target, this.#tls).then((cas) => {
        // Unreadable (TLS 1.3 only, unreachable): the first certificate, and the next connection asks again.
        if (cas === undefined) {
          this.#chosen.delete(key);
          return this.#certs[0] ?? null;
        }
        const i = chooseClientCert(this.#issuers, cas ?? []);
        return i === -1 ? null : (this.#certs[i] as ClientCert);
      });
      this.#chosen.set(key, choice);
    }
    return choice;
  }
}
