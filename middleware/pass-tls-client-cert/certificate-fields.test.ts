import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certificateFields, type NameAttribute } from './certificate-fields.ts';

// Edge cases of the DER → Go model mapping, on certificates made by the openssl CLI: attribute order,
// multi-valued RDNs, RFC 4514 special characters, control characters, non-ASCII text in each string type,
// and SANs Go formats or skips.

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'wharf-cert-fields-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A self-signed certificate from `openssl req -x509` with extra arguments; a config text goes in a file. */
function makeCert(name: string, args: string[], config?: string): X509Certificate {
  const f = (ext: string) => join(dir, `${name}.${ext}`);
  if (config !== undefined) writeFileSync(f('cnf'), config);
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      ...['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', f('key')],
      ...['-out', f('pem'), '-set_serial', '7', ...(config !== undefined ? ['-config', f('cnf')] : [])],
      ...args,
    ],
    { stdio: 'pipe' },
  );
  return new X509Certificate(readFileSync(f('pem')));
}

const CN = '2.5.4.3';
const C = '2.5.4.6';
const O = '2.5.4.10';
const OU = '2.5.4.11';
const DC = '0.9.2342.19200300.100.1.25';
const EMAIL = '1.2.840.113549.1.9.1';
const at = (oid: string, value: string): NameAttribute => ({ oid, value });
/** An openssl req config with a fixed subject (prompt=no) and a string mask choosing the string types. */
const subjectConfig = (mask: string, lines: string[]) =>
  [
    '[req]',
    'prompt=no',
    'distinguished_name=dn',
    `string_mask=${mask}`,
    'utf8=yes',
    '[dn]',
    ...lines,
    '',
  ].join('\n');

describe('certificateFields: names', () => {
  const cases: Array<{ name: string; args: string[]; config?: string; want: NameAttribute[] }> = [
    {
      name: 'certificate order kept, multi-valued RDNs flattened in DER order',
      args: ['-multivalue-rdn', '-subj', '/CN=first/C=US/DC=x+DC=y/O=o+OU=u/CN=second'],
      want: [
        at(CN, 'first'),
        at(C, 'US'),
        at(DC, 'x'),
        at(DC, 'y'),
        at(O, 'o'),
        at(OU, 'u'),
        at(CN, 'second'),
      ],
    },
    {
      name: 'special and control characters, non-ASCII UTF8String',
      args: [
        '-utf8',
        '-multivalue-rdn',
        '-subj',
        '/O=a, b/O=a\\+b/O=say "hi"/O=back\\\\slash/O=semi;<>/O=#hash/O= lead/O=trail /O=k=v/O=tab\ttab/O=Zürich 日本 😀/CN=line1\nline2',
      ],
      want: [
        ...[
          'a, b',
          'a+b',
          'say "hi"',
          'back\\slash',
          'semi;<>',
          '#hash',
          ' lead',
          'trail ',
          'k=v',
          'tab\ttab',
        ].map((v) => at(O, v)),
        at(O, 'Zürich 日本 😀'),
        at(CN, 'line1\nline2'),
      ],
    },
    {
      name: 'T61String as Latin-1, BMPString, PrintableString',
      args: [],
      config: subjectConfig('default', ['O=café', 'OU=€uro', 'CN=plain']),
      want: [at(O, 'café'), at(OU, '€uro'), at(CN, 'plain')],
    },
    {
      name: 'BMPString outside Latin-1, IA5String domain component and e-mail',
      args: [],
      config: subjectConfig('pkix', ['O=café', 'CN=日本', 'DC=dc.example', 'emailAddress=x@y']),
      want: [at(O, 'café'), at(CN, '日本'), at(DC, 'dc.example'), at(EMAIL, 'x@y')],
    },
  ];
  it.each(cases)('$name', ({ name, args, config, want }) => {
    const cert = makeCert(name.replace(/\W+/g, '-'), ['-days', '1', ...args], config);
    const fields = certificateFields(cert.raw);
    expect(fields.subject).toEqual(want);
    expect(fields.issuer).toEqual(want); // self-signed
    expect(fields.serialNumber).toBe(7n);
  });
});

describe('certificateFields: SANs and validity', () => {
  it('formats IPs as Go, lower-cases the URI scheme, skips kinds Go does not read; GeneralizedTime', () => {
    const sans = [
      'DNS:b.example',
      'IP:::ffff:10.0.0.1',
      'IP:2001:db8:0:0:1::',
      'URI:HTTPS://Ex.COM/P',
      'email:me@example.com',
      'otherName:1.2.3.4;UTF8:other',
      'RID:1.2.3.4.5',
      'DNS:a.example',
      'IP:10.0.0.1',
    ];
    // 20000 days ends after 2049: notAfter is a GeneralizedTime.
    const cert = makeCert('sans', ['-days', '20000', '-subj', '/CN=s', '-addext', `subjectAltName=${sans}`]);
    expect(certificateFields(cert.raw)).toMatchObject({
      notBefore: cert.validFromDate.getTime() / 1000,
      notAfter: cert.validToDate.getTime() / 1000,
      dnsNames: ['b.example', 'a.example'],
      emailAddresses: ['me@example.com'],
      ipAddresses: ['10.0.0.1', '2001:db8:0:0:1::', '10.0.0.1'],
      uris: ['https://Ex.COM/P'],
    });
    expect(cert.validToDate.getUTCFullYear()).toBeGreaterThan(2049);
  });
});
