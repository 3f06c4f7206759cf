import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PkiCert } from './client-pki.ts';

/** Files for servers-transport tests, made with the openssl CLI: a private CA and what it signed. */
export interface BackendPki {
  readonly dir: string;
  /** The private CA (`rootCAs`). */
  readonly ca: string;
  /** Signed by `ca` for IP:127.0.0.1, DNS:backend.test and URI:spiffe://wharf.test/backend. */
  readonly server: PkiCert;
  /** Signed by `ca` for DNS:named.test only (serverName tests). */
  readonly named: PkiCert;
  /** Self-signed for IP:127.0.0.1 (insecureSkipVerify tests). */
  readonly selfSigned: PkiCert;
  /** A client certificate signed by `ca`, CN "wharf-client" (mutual TLS to servers). */
  readonly client: PkiCert;
  remove(): void;
}

/** The URI SAN of `server` (peerCertURI tests). */
export const BACKEND_URI = 'spiffe://wharf.test/backend';

/** Generates the files in a new temp folder. */
export function makeBackendPki(): BackendPki {
  const dir = mkdtempSync(join(tmpdir(), 'wharf-backend-pki-'));
  const f = (n: string) => join(dir, n);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  ssl(
    'req',
    '-x509',
    ...ec,
    '-days',
    '2',
    '-subj',
    '/CN=Wharf Backend CA',
    '-keyout',
    f('ca.key'),
    '-out',
    f('ca.pem'),
  );
  writeFileSync(f('self.ext'), 'subjectAltName=IP:127.0.0.1\n');
  ssl(
    'req',
    '-x509',
    ...ec,
    '-days',
    '2',
    '-subj',
    '/CN=127.0.0.1',
    '-addext',
    'subjectAltName=IP:127.0.0.1',
    '-keyout',
    f('self.key'),
    '-out',
    f('self.pem'),
  );
  const signed = (name: string, subject: string, ext: string, serial: string) => {
    writeFileSync(f(`${name}.ext`), ext);
    ssl('req', ...ec, '-subj', subject, '-keyout', f(`${name}.key`), '-out', f(`${name}.csr`));
    ssl(
      'x509',
      '-req',
      '-in',
      f(`${name}.csr`),
      '-CA',
      f('ca.pem'),
      '-CAkey',
      f('ca.key'),
      '-set_serial',
      serial,
      '-days',
      '2',
      '-extfile',
      f(`${name}.ext`),
      '-out',
      f(`${name}.pem`),
    );
    return { cert: f(`${name}.pem`), key: f(`${name}.key`) };
  };
  const server = signed(
    'server',
    '/CN=backend.test',
    `extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:backend.test,URI:${BACKEND_URI}\n`,
    '10',
  );
  const named = signed(
    'named',
    '/CN=named.test',
    'extendedKeyUsage=serverAuth\nsubjectAltName=DNS:named.test\n',
    '11',
  );
  const client = signed('client', '/CN=wharf-client', 'extendedKeyUsage=clientAuth\n', '12');
  return {
    dir,
    ca: f('ca.pem'),
    server,
    named,
    selfSigned: { cert: f('self.pem'), key: f('self.key') },
    client,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
