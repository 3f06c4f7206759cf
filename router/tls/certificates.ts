import { createHash, createPrivateKey, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import type { ErrorCode } from '../../config/errors.ts';

/** A certificate with its key, checked and ready to build secure contexts from. */
export interface LoadedCertificate {
  /** Digest of the certificate and key PEM: equal content, equal id. */
  readonly id: string;
  /** PEM: the leaf certificate first, then any intermediates. */
  readonly cert: string;
  readonly key: string;
  /** Names it serves, lower case: DNS SANs (`*.example.com` included), IP SANs and the subject CN. */
  readonly names: readonly string[];
  /** Expiry, as X509Certificate.validTo gives it. */
  readonly notAfter: string;
}

/** Where a certificate comes from: file paths or, as in Traefik, the PEM text itself. */
export interface CertificateSource {
  readonly certFile: string;
  readonly keyFile: string;
}

/** Why a certificate could not be loaded: a catalog code and its parameters (without the item). */
export interface CertificateProblem {
  readonly code: Extract<ErrorCode, `TLS_${string}`>;
  readonly params: Record<string, string>;
}

/** Reads a certificate file; tests pass their own. */
export type ReadFile = (path: string) => Buffer;

const isPem = (value: string) => value.includes('-----BEGIN');

function readPem(
  value: string,
  field: 'certFile' | 'keyFile',
  readFile: ReadFile,
): string | CertificateProblem {
  if (isPem(value)) return value;
  try {
    return readFile(value).toString('utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return {
      code: 'TLS_CERT_UNREADABLE',
      params: { field, path: value, problem: e.code ?? e.message ?? String(err) },
    };
  }
}

const shown = (value: string) => (isPem(value) ? '(inline PEM)' : value);

/**
 * Loads and checks a certificate and its key: both readable, the certificate a PEM X.509 certificate, the key
 * a PEM private key that matches it. Returns the certificate or the problem; never throws.
 */
export function loadCertificate(
  source: CertificateSource,
  readFile: ReadFile,
): LoadedCertificate | CertificateProblem {
  const cert = readPem(source.certFile, 'certFile', readFile);
  if (typeof cert !== 'string') return cert;
  const key = readPem(source.keyFile, 'keyFile', readFile);
  if (typeof key !== 'string') return key;
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch (err) {
    return {
      code: 'TLS_CERT_INVALID',
      params: { field: 'certFile', path: shown(source.certFile), problem: (err as Error).message },
    };
  }
  let matches: boolean;
  try {
    matches = x509.checkPrivateKey(createPrivateKey(key));
  } catch (err) {
    return {
      code: 'TLS_CERT_INVALID',
      params: { field: 'keyFile', path: shown(source.keyFile), problem: (err as Error).message },
    };
  }
  if (!matches) {
    return {
      code: 'TLS_KEY_MISMATCH',
      params: { keyFile: shown(source.keyFile), certFile: shown(source.certFile) },
    };
  }
  return {
    id: createHash('sha256').update(cert).update('\0').update(key).digest('hex').slice(0, 32),
    cert,
    key,
    names: certificateNames(x509),
    notAfter: x509.validTo,
  };
}

/** True for a load result that is a problem. */
export function isProblem(r: LoadedCertificate | CertificateProblem): r is CertificateProblem {
  return 'code' in r;
}

/** An IP address as connections report it: Node prints IPv6 SANs in full (`0:0:0:0:0:0:0:1`), sockets `::1`. */
function canonicalIp(ip: string): string {
  if (!isIP(ip) || !ip.includes(':')) return ip;
  return new URL(`http://[${ip}]/`).hostname.slice(1, -1);
}

/**
 * The names a certificate serves, lower case and without duplicates: DNS and IP subject alternative names,
 * then the subject CN (Traefik also matches the CN).
 */
export function certificateNames(x509: X509Certificate): string[] {
  const names: string[] = [];
  const san = x509.subjectAltName ?? '';
  // Node writes `DNS:a.com, IP Address:10.0.0.1`; values with a comma or quote are JSON-quoted.
  for (const m of san.matchAll(/(?:^|, )(DNS|IP Address):("(?:[^"\\]|\\.)*"|[^,]*)/g)) {
    const raw = m[2] ?? '';
    const value = (raw.startsWith('"') ? (JSON.parse(raw) as string) : raw).trim().toLowerCase();
    names.push(m[1] === 'IP Address' ? canonicalIp(value) : value.replace(/\.$/, ''));
  }
  const cn = /(?:^|\n)CN=([^\n]*)/.exec(x509.subject)?.[1]?.trim().toLowerCase();
  // A CN that is not a host name (`WHARF DEFAULT CERT`) serves nothing.
  if (cn && !/\s/.test(cn)) names.push(cn);
  return [...new Set(names.filter((n) => n !== ''))];
}
