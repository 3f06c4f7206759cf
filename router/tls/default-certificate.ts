import { KeyObject, randomBytes, webcrypto } from 'node:crypto';
import {
  BasicConstraintsExtension,
  ExtendedKeyUsage,
  ExtendedKeyUsageExtension,
  KeyUsageFlags,
  KeyUsagesExtension,
  SubjectAlternativeNameExtension,
  X509CertificateGenerator,
} from '@peculiar/x509';
import { isProblem, type LoadedCertificate, loadCertificate } from './certificates.ts';

/** The subject CN of the generated default certificate (Traefik's is `TRAEFIK DEFAULT CERT`). */
export const DEFAULT_CERT_CN = 'WHARF DEFAULT CERT';

/**
 * Generates the self-signed certificate served when no configured certificate serves a server name and no
 * `tls.stores.default.defaultCertificate` is set, as Traefik generates its own at start: ECDSA P-256,
 * valid one year, CN `WHARF DEFAULT CERT`, one random name `<hex>.<hex>.wharf.default` (no client trusts it,
 * on purpose). Node has no API to create certificates, hence @peculiar/x509 (on WebCrypto).
 */
export async function generateDefaultCertificate(): Promise<LoadedCertificate> {
  const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = (await webcrypto.subtle.generateKey(algorithm, true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
  const now = Date.now();
  const name = `${randomBytes(16).toString('hex')}.${randomBytes(16).toString('hex')}.wharf.default`;
  const cert = await X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: `01${randomBytes(15).toString('hex')}`,
      name: `CN=${DEFAULT_CERT_CN}`,
      notBefore: new Date(now - 60_000),
      notAfter: new Date(now + 365 * 24 * 3600_000),
      signingAlgorithm: algorithm,
      keys: keys as unknown as Parameters<typeof X509CertificateGenerator.createSelfSigned>[0]['keys'],
      extensions: [
        new BasicConstraintsExtension(false, undefined, true),
        new KeyUsagesExtension(KeyUsageFlags.digitalSignature | KeyUsageFlags.keyEncipherment, true),
        new ExtendedKeyUsageExtension([ExtendedKeyUsage.serverAuth]),
        new SubjectAlternativeNameExtension([{ type: 'dns', value: name }]),
      ],
    },
    webcrypto as unknown as Parameters<typeof X509CertificateGenerator.createSelfSigned>[1],
  );
  const key = KeyObject.from(keys.privateKey as webcrypto.CryptoKey).export({ type: 'pkcs8', format: 'pem' });
  const loaded = loadCertificate({ certFile: cert.toString('pem'), keyFile: String(key) }, () => {
    throw new Error('inline PEM is never read from a file');
  });
  if (isProblem(loaded)) throw new Error(`the generated default certificate is unusable: ${loaded.code}`);
  return loaded;
}
