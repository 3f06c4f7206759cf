import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { type ConnectionOptions, checkServerIdentity, type PeerCertificate } from 'node:tls';
import { type ClientCert, ClientCertChoice } from './client-cert-choice.ts';

/** The TLS part of a servers transport, as configured (files not read yet). */
export interface TransportTls {
  readonly serverName?: string | undefined;
  readonly insecureSkipVerify?: boolean | undefined;
  readonly rootCAs?: readonly string[] | undefined;
  readonly certificates?: ReadonlyArray<{ readonly certFile: string; readonly keyFile: string }> | undefined;
  readonly peerCertURI?: string | undefined;
  readonly minVersion?: string | undefined;
  readonly maxVersion?: string | undefined;
}

const VERSIONS: Readonly<Record<string, ConnectionOptions['minVersion']>> = {
  VersionTLS10: 'TLSv1',
  VersionTLS11: 'TLSv1.1',
  VersionTLS12: 'TLSv1.2',
  VersionTLS13: 'TLSv1.3',
};

/**
 * Traefik's FileOrContent: PEM text is taken as it is, anything else names a file. (Traefik takes a
 * value as a file when such a file exists; Wharf names the missing file instead of failing on "PEM".)
 */
export function fileOrContent(value: string, what: string): string {
  if (value.trimStart().startsWith('-----BEGIN')) return value;
  try {
    return readFileSync(value, 'utf8');
  } catch (err) {
    const code = (err as { code?: string }).code ?? String(err);
    throw new Error(`${what} "${value}" cannot be read (${code}); give a PEM file or the PEM text`);
  }
}

/** The SAN URIs of a certificate (`subjectaltname` as Node renders it: `URI:x, DNS:y, ...`). */
function sanUris(cert: PeerCertificate): string[] {
  const san = cert.subjectaltname ?? '';
  return san
    .split(/,\s*/)
    .filter((s) => s.startsWith('URI:'))
    .map((s) => s.slice(4));
}

/**
 * The server name TLS uses for a server (SNI and certificate check): `serverName`, else the server URL's
 * host; null for an IP address, which is checked against the certificate's IP SANs and sends no SNI (as
 * Go does). Never the client's Host header.
 */
export function tlsServerName(hostname: string, tls: TransportTls | undefined): string | null {
  if (tls?.serverName) return tls.serverName;
  const bare = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
  return isIP(bare) === 0 ? bare : null;
}

/**
 * Node TLS options for a servers transport: CAs, client certificate, versions and the checks Traefik
 * makes. Reads the files named (throws a message naming the key and the file when one cannot be read).
 * With `peerCertURI` the chain is always verified (also with insecureSkipVerify, as Traefik's
 * VerifyPeerCertificate does) and the certificate must list that URI; the host name is then checked only
 * without insecureSkipVerify.
 */
export function tlsConnectOptions(tls: TransportTls | undefined): ConnectionOptions {
  const out: ConnectionOptions = {};
  if (!tls) return out;
  if (tls.rootCAs && tls.rootCAs.length > 0)
    out.ca = tls.rootCAs.map((ca, i) => fileOrContent(ca, `rootCAs[${i}]`));
  const first = tls.certificates?.[0];
  if (first) {
    out.cert = fileOrContent(first.certFile, 'certificates[0].certFile');
    out.key = fileOrContent(first.keyFile, 'certificates[0].keyFile');
  }
  if (tls.minVersion) out.minVersion = VERSIONS[tls.minVersion];
  if (tls.maxVersion) out.maxVersion = VERSIONS[tls.maxVersion];
  if (out.minVersion && out.maxVersion && out.minVersion > out.maxVersion)
    throw new Error(`TLS minVersion ${tls.minVersion} is above maxVersion ${tls.maxVersion}`);
  const uri = tls.peerCertURI;
  const skip = tls.insecureSkipVerify === true;
  if (uri) {
    out.rejectUnauthorized = true;
    out.checkServerIdentity = (host, cert) => {
      if (!skip) {
        const err = checkServerIdentity(host, cert);
        if (err) return err;
      }
      if (sanUris(cert).includes(uri)) return undefined;
      return new Error(`the server certificate has no SAN URI "${uri}" (peerCertURI)`);
    };
  } else if (skip) {
    out.rejectUnauthorized = false;
  }
  return out;
}

const choices = new WeakMap<TransportTls, ClientCertChoice>();

/**
 * With several `certificates`, the chooser that picks one per server as Go does (client-cert-choice.ts),
 * shared by everything that uses the same transport (pools, HTTP/2 sessions, health checks); undefined
 * with one certificate or none (tlsConnectOptions has it).
 */
export function clientCertChoice(tls: TransportTls | undefined): ClientCertChoice | undefined {
  if (!tls?.certificates || tls.certificates.length < 2) return undefined;
  let choice = choices.get(tls);
  if (!choice) {
    const certs = tls.certificates.map((c, i) => ({
      cert: fileOrContent(c.certFile, `certificates[${i}].certFile`),
      key: fileOrContent(c.keyFile, `certificates[${i}].keyFile`),
    }));
    choice = new ClientCertChoice(certs, tlsConnectOptions(tls));
    choices.set(tls, choice);
  }
  return choice;
}

/** TLS options with the chosen client certificate (null: none, as Go sends none when none fits). */
export function withClientCert(options: ConnectionOptions, chosen: ClientCert | null): ConnectionOptions {
  const { cert: _c, key: _k, ...rest } = options;
  return chosen ? { ...rest, cert: chosen.cert, key: chosen.key } : rest;
}
