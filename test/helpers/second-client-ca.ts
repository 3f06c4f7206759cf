import { newCa, signCert } from './backend-pki.ts';
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
  const ca = newCa(dir, 'ca2', 'Wharf Second Client CA');
  const client = signCert(dir, ca, 'client2', '/CN=wharf-client-2', 'extendedKeyUsage=clientAuth\n', '20');
  return { ca: ca.cert, client };
}
