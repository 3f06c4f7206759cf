import type { PassTlsClientCert } from '../../config/middlewares/pass-tls-client-cert.ts';
import type { CertificateFields, NameAttribute } from './certificate-fields.ts';

type Info = NonNullable<PassTlsClientCert['info']>;
type SubjectOptions = NonNullable<Info['subject']>;

const DOMAIN_COMPONENT = '0.9.2342.19200300.100.1.25';

/** Name parts in Traefik's output order after the domain components: option, OID, label, several values. */
const PARTS: ReadonlyArray<{ option: keyof SubjectOptions; oid: string; label: string; many: boolean }> = [
  { option: 'country', oid: '2.5.4.6', label: 'C', many: true },
  { option: 'province', oid: '2.5.4.8', label: 'ST', many: true },
  { option: 'locality', oid: '2.5.4.7', label: 'L', many: true },
  { option: 'organization', oid: '2.5.4.10', label: 'O', many: true },
  { option: 'organizationalUnit', oid: '2.5.4.11', label: 'OU', many: true },
  // Go's pkix.Name keeps one serialNumber and one commonName: the last of each.
  { option: 'serialNumber', oid: '2.5.4.5', label: 'SN', many: false },
  { option: 'commonName', oid: '2.5.4.3', label: 'CN', many: false },
];

/**
 * The selected parts of a distinguished name as Traefik writes them: `DC=` for each domain component (empty
 * ones too), then C, ST, L, O, OU (each value), SN and CN (the last value), skipping empty values, joined by
 * `,`. Empty when nothing is selected or present.
 */
export function formatName(attributes: readonly NameAttribute[], options: SubjectOptions): string {
  const out: string[] = [];
  if (options.domainComponent)
    for (const a of attributes) if (a.oid === DOMAIN_COMPONENT) out.push(`DC=${a.value}`);
  for (const part of PARTS) {
    if (!options[part.option]) continue;
    const values = attributes.filter((a) => a.oid === part.oid).map((a) => a.value);
    const chosen = part.many ? values : values.slice(-1);
    for (const v of chosen) if (v !== '') out.push(`${part.label}=${v}`);
  }
  return out.join(',');
}

/** Go stores validity as time and prints uint64(Unix()): dates before 1970 wrap around. */
const unixSeconds = (s: number) => BigInt.asUintN(64, BigInt(s)).toString();

/**
 * One certificate's X-Forwarded-Tls-Client-Cert-Info entry (before URL encoding): the selected fields as
 * `Subject="..."`, `Issuer="..."`, `SerialNumber="..."`, `NB="..."`, `NA="..."`, `SAN="..."` in that order,
 * joined by `;`; a field with nothing to say is left out.
 */
export function formatCertificateInfo(cert: CertificateFields, info: Info): string {
  const values: string[] = [];
  const subject = info.subject ? formatName(cert.subject, info.subject) : '';
  if (subject !== '') values.push(`Subject="${subject}"`);
  const issuer = info.issuer ? formatName(cert.issuer, info.issuer) : '';
  if (issuer !== '') values.push(`Issuer="${issuer}"`);
  if (info.serialNumber) values.push(`SerialNumber="${cert.serialNumber.toString()}"`);
  if (info.notBefore) values.push(`NB="${unixSeconds(cert.notBefore)}"`);
  if (info.notAfter) values.push(`NA="${unixSeconds(cert.notAfter)}"`);
  if (info.sans) {
    const sans = [...cert.dnsNames, ...cert.emailAddresses, ...cert.ipAddresses, ...cert.uris];
    if (sans.length > 0) values.push(`SAN="${sans.join(',')}"`);
  }
  return values.join(';');
}

/** The X-Forwarded-Tls-Client-Cert-Info value: each certificate's entry, joined by `,`, URL-encoded. */
export function formatInfoHeader(certs: readonly CertificateFields[], info: Info): string {
  return queryEscape(certs.map((c) => formatCertificateInfo(c, info)).join(','));
}

/** The X-Forwarded-Tls-Client-Cert value: each certificate's PEM without armour and line breaks, joined by `,`. */
export function formatPemHeader(ders: readonly Buffer[]): string {
  return ders.map((der) => der.toString('base64')).join(',');
}

const UNRESERVED = /[A-Za-z0-9\-_.~]/;

/** Go's url.QueryEscape: UTF-8 bytes, unreserved characters kept, space as `+`, the rest as `%XX`. */
export function queryEscape(s: string): string {
  let out = '';
  for (const byte of Buffer.from(s, 'utf8')) {
    const ch = String.fromCharCode(byte);
    if (byte < 0x80 && UNRESERVED.test(ch)) out += ch;
    else if (byte === 0x20) out += '+';
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}
