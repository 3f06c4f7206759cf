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

const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

/** A self-signed P-256 CA, `<name>.pem` and `<name>.key` in `dir`, valid 2 days. */
export function newCa(dir: string, name: string, commonName: string): PkiCert {
  const f = (n: string) => join(dir, n);
  ssl(
    'req',
    '-x509',
    ...EC,
    '-days',
    '2',
    '-subj',
    `/CN=${commonName}`,
    '-keyout',
    f(`${name}.key`),
    '-out',
    f(`${name}.pem`),
  );
  return { cert: f(`${name}.pem`), key: f(`${name}.key`) };
}

/** A P-256 certificate `<name>.pem`/`<name>.key` in `dir`, signed by `ca`, with the given extensions (openssl extfile text). */
export function signCert(
  dir: string,
  ca: PkiCert,
  name: string,
  subject: string,
  ext: string,
  serial: string,
): PkiCert {
  const f = (n: string) => join(dir, n);
  writeFileSync(f(`${name}.ext`), ext);
  ssl('req', ...EC, '-subj', subject, '-keyout', f(`${name}.key`), '-out', f(`${name}.csr`));
  ssl(
    'x509',
    '-req',
    '-in',
    f(`${name}.csr`),
    '-CA',
    ca.cert,
    '-CAkey',
    ca.key,
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
}

/** Generates the files in a new temp folder. */
export function makeBackendPki(): BackendPki {
  const dir = mkdtempSync(join(tmpdir(), 'wharf-backend-pki-'));
  const f = (n: string) => join(dir, n);
  const ca = newCa(dir, 'ca', 'Wharf Backend CA');
  ssl(
    'req',
    '-x509',
    ...EC,
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
  const server = signCert(
    dir,
    ca,
    'server',
    '/CN=backend.test',
    `extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:backend.test,URI:${BACKEND_URI}\n`,
    '10',
  );
  const named = signCert(
    dir,
    ca,
    'named',
    '/CN=named.test',
    'extendedKeyUsage=serverAuth\nsubjectAltName=DNS:named.test\n',
    '11',
  );
  const client = signCert(dir, ca, 'client', '/CN=wharf-client', 'extendedKeyUsage=clientAuth\n', '12');
  return {
    dir,
    ca: ca.cert,
    server,
    named,
    selfSigned: { cert: f('self.pem'), key: f('self.key') },
    client,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
