import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A certificate and key file made by openssl. */
export interface PkiCert {
  readonly cert: string;
  readonly key: string;
}

/** Files for mutual-TLS tests: a CA, a client certificate it signed, one from another CA, a server pair. */
export interface ClientPki {
  readonly dir: string;
  /** The trusted CA (`clientAuth.caFiles`); subject `/DC=org/DC=example/C=FR/ST=Ile-de-France/L=Paris/O=Wharf CA/CN=Wharf Test Root`. */
  readonly ca: string;
  /** Signed by `ca`, serial 0x2A (42), with a rich subject and every SAN kind (see CLIENT_SUBJECT, CLIENT_SANS). */
  readonly client: PkiCert;
  /** The same subject, signed by an unrelated CA (`CN=Other CA`). */
  readonly stranger: PkiCert;
  /** Server certificate for `*.mtls.test`, signed by `ca`. */
  readonly server: PkiCert;
  remove(): void;
}

/** The client certificate's subject, in openssl's -subj syntax (two C, two O, two OU, two DC). */
export const CLIENT_SUBJECT =
  '/DC=com/DC=acme/C=US/C=CA/ST=California/L=San Francisco/O=Cheese/O=Cheese 2/OU=Simple Unit/OU=Unit\\, two/serialNumber=SN-77/CN=client one';
/** The client certificate's SANs, in an order Go regroups (DNS, e-mail, IP, URI). */
export const CLIENT_SANS =
  'URI:spiffe://acme.com/client,IP:10.0.0.1,DNS:b.example,email:me@example.com,DNS:a.example,IP:::1';
/** The CA's subject. */
export const CA_SUBJECT = '/DC=org/DC=example/C=FR/ST=Ile-de-France/L=Paris/O=Wharf CA/CN=Wharf Test Root';

/** Generates the files with the openssl CLI in a new temp folder. */
export function makeClientPki(): ClientPki {
  const dir = mkdtempSync(join(tmpdir(), 'wharf-mtls-'));
  const f = (n: string) => join(dir, n);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  ssl('req', '-x509', ...ec, '-days', '2', '-subj', CA_SUBJECT, '-keyout', f('ca.key'), '-out', f('ca.pem'));
  ssl(
    'req',
    '-x509',
    ...ec,
    '-days',
    '2',
    '-subj',
    '/CN=Other CA',
    '-keyout',
    f('other.key'),
    '-out',
    f('other.pem'),
  );
  writeFileSync(f('client.ext'), `extendedKeyUsage=clientAuth\nsubjectAltName=${CLIENT_SANS}\n`);
  writeFileSync(f('server.ext'), 'extendedKeyUsage=serverAuth\nsubjectAltName=DNS:*.mtls.test\n');
  ssl('req', ...ec, '-subj', CLIENT_SUBJECT, '-keyout', f('client.key'), '-out', f('client.csr'));
  ssl('req', ...ec, '-subj', '/CN=*.mtls.test', '-keyout', f('server.key'), '-out', f('server.csr'));
  const sign = (csr: string, ca: string, serial: string, ext: string, out: string) =>
    ssl(
      'x509',
      '-req',
      '-in',
      f(csr),
      '-CA',
      f(`${ca}.pem`),
      '-CAkey',
      f(`${ca}.key`),
      '-set_serial',
      serial,
      '-days',
      '2',
      '-extfile',
      f(ext),
      '-out',
      f(out),
    );
  sign('client.csr', 'ca', '42', 'client.ext', 'client.pem');
  sign('client.csr', 'other', '43', 'client.ext', 'stranger.pem');
  sign('server.csr', 'ca', '44', 'server.ext', 'server.pem');
  return {
    dir,
    ca: f('ca.pem'),
    client: { cert: f('client.pem'), key: f('client.key') },
    stranger: { cert: f('stranger.pem'), key: f('client.key') },
    server: { cert: f('server.pem'), key: f('server.key') },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
