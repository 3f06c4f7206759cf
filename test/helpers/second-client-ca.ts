import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PkiCert } from './client-pki.ts';

/** A second CA and a client certificate it signed, beside a BackendPki (several client certificates). */
export interface SecondClientCa {
  /** The second CA (a server that trusts only it accepts only `client`). */
  readonly ca: string;
  /** Signed by the second CA, CN "wharf-client-2". */
  readonly client: PkiCert;
}

/** Makes the files with the openssl CLI in `dir` (the BackendPki's folder, removed with it). */
export function makeSecondClientCa(dir: string): SecondClientCa {
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
    '/CN=Wharf Second Client CA',
    '-keyout',
    f('ca2.key'),
    '-out',
    f('ca2.pem'),
  );
  writeFileSync(f('client2.ext'), 'extendedKeyUsage=clientAuth\n');
  ssl('req', ...ec, '-subj', '/CN=wharf-client-2', '-keyout', f('client2.key'), '-out', f('client2.csr'));
  ssl(
    'x509',
    '-req',
    '-in',
    f('client2.csr'),
    '-CA',
    f('ca2.pem'),
    '-CAkey',
    f('ca2.key'),
    '-set_serial',
    '20',
    '-days',
    '2',
    '-extfile',
    f('client2.ext'),
    '-out',
    f('client2.pem'),
  );
  return { ca: f('ca2.pem'), client: { cert: f('client2.pem'), key: f('client2.key') } };
}
