import { X509Certificate } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { type ConnectionOptions, createSecureContext } from 'node:tls';
import type { ForwardAuthOptions } from '../../config/middlewares/forward-auth.ts';

// Traefik's ClientTLS.CreateTLSConfig: `ca` is read from the file when one exists at that path, else taken
// as PEM text; `cert` and `key` are tried as PEM text first, then as files. Everything is read and checked
// when the middleware is built, so a bad file disables it with a message instead of failing each request.

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** How an option is named in messages: the path for a file, never the text itself (a key is a secret). */
function describe(option: string, value: string): string {
  return value.includes('-----BEGIN') ? `tls.${option} (inline PEM)` : `tls.${option} "${value}"`;
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    // Not a file we can see: Traefik then takes the value as PEM text, which is checked next.
    return false;
  }
}

function readText(option: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`${describe(option, path)}: cannot read the file: ${(err as Error).message}`);
  }
}

/** The CA certificates of `tls.ca` (file or PEM text); throws naming the option when none parses. */
function loadCa(value: string): string[] {
  const file = isFile(value);
  const text = file ? readText('ca', value) : value;
  const certs: string[] = [];
  for (const pem of text.match(PEM_CERT) ?? []) {
    try {
      new X509Certificate(pem);
      certs.push(pem);
    } catch {
      // Go's AppendCertsFromPEM skips blocks it cannot parse and fails only when none is left.
    }
  }
  if (certs.length === 0) {
    const problem = file
      ? 'the file holds no PEM certificate'
      : 'no such file, and not PEM certificates either';
    throw new Error(`${describe('ca', value)}: ${problem}`);
  }
  return certs;
}

/** cert or key: PEM text when it looks like PEM, else a file that must exist. */
function loadPem(option: 'cert' | 'key', value: string): string {
  if (value.includes('-----BEGIN')) return value;
  if (!isFile(value)) throw new Error(`${describe(option, value)}: file does not exist`);
  return readText(option, value);
}

/**
 * The undici `connect` options for the auth server, from forwardAuth's `tls`: CA, client certificate and
 * insecureSkipVerify. Throws, naming the option at fault, when a file is missing or unreadable, a CA holds
 * no certificate, only one of cert and key is given, or they do not form a key pair.
 */
export function clientTls(tls: ForwardAuthOptions['tls']): ConnectionOptions {
  if (tls === undefined) return {};
  const out: ConnectionOptions = {};
  if (tls.ca !== undefined) out.ca = loadCa(tls.ca);
  if ((tls.cert === undefined) !== (tls.key === undefined)) {
    throw new Error('tls: both cert and key must be given for a client certificate');
  }
  if (tls.cert !== undefined && tls.key !== undefined) {
    const cert = loadPem('cert', tls.cert);
    const key = loadPem('key', tls.key);
    try {
      createSecureContext({ cert, key });
    } catch (err) {
      throw new Error(
        `${describe('cert', tls.cert)} and ${describe('key', tls.key)}: not a valid certificate and key pair: ${(err as Error).message}`,
      );
    }
    out.cert = cert;
    out.key = key;
  }
  if (tls.insecureSkipVerify === true) out.rejectUnauthorized = false;
  return out;
}
