import { describe, expect, it } from 'vitest';
import type { TlsOptions } from '../../config/dynamic.ts';
import { compileTlsOptions } from './options.ts';

const TLS13 = 'TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256';

describe('compileTlsOptions', () => {
  const ok: Array<{ name: string; input: TlsOptions; secure: object; alpn: string[]; sniStrict: boolean }> = [
    {
      name: 'empty options: TLS 1.2-1.3, h2 then http/1.1 (acme-tls/1 not served yet)',
      input: {},
      secure: { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3' },
      alpn: ['h2', 'http/1.1'],
      sniStrict: false,
    },
    {
      name: "Traefik's names mapped to OpenSSL's; TLS 1.3 suites stay on",
      input: {
        minVersion: 'VersionTLS12',
        maxVersion: 'VersionTLS12',
        cipherSuites: ['TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384'],
        curvePreferences: ['X25519', 'CurveP256'],
        alpnProtocols: ['http/1.1'],
        sniStrict: true,
      },
      secure: {
        minVersion: 'TLSv1.2',
        maxVersion: 'TLSv1.2',
        ciphers: `ECDHE-ECDSA-AES128-GCM-SHA256:${TLS13}`,
        ecdhCurve: 'X25519:P-256',
      },
      alpn: ['http/1.1'],
      sniStrict: true,
    },
  ];
  for (const c of ok) {
    it(c.name, () => {
      const got = compileTlsOptions('o@file', c.input);
      expect(got.ok).toBe(true);
      if (got.ok)
        expect(got.options).toMatchObject({
          name: 'o@file',
          secure: c.secure,
          alpn: c.alpn,
          sniStrict: c.sniStrict,
        });
    });
  }

  const bad: Array<{ name: string; input: TlsOptions; problems: string[] }> = [
    {
      name: 'unknown version, cipher, curve and protocol: every problem at once',
      input: {
        minVersion: 'TLS1.3',
        cipherSuites: ['RC5'],
        curvePreferences: ['P-256'],
        alpnProtocols: ['spdy/3'],
      },
      problems: [
        'minVersion "TLS1.3" is not one of VersionTLS10, VersionTLS11, VersionTLS12, VersionTLS13',
        'cipherSuites: "RC5" is not a cipher suite name Wharf knows (Go\'s names, e.g. TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256)',
        'curvePreferences: "P-256" is not one of CurveP256, CurveP384, CurveP521, X25519, X25519MLKEM768',
        'alpnProtocols: "spdy/3" is not a protocol Wharf serves (h2, http/1.1, acme-tls/1)',
      ],
    },
    {
      name: 'minVersion above maxVersion',
      input: { minVersion: 'VersionTLS13', maxVersion: 'VersionTLS12' },
      problems: ['minVersion VersionTLS13 is above maxVersion VersionTLS12'],
    },
  ];
  for (const c of bad)
    it(c.name, () => expect(compileTlsOptions('o', c.input)).toEqual({ ok: false, problems: c.problems }));

  it('equal settings give equal keys', () => {
    const a = compileTlsOptions('a@file', { minVersion: 'VersionTLS13' });
    const b = compileTlsOptions('b@docker', { minVersion: 'VersionTLS13' });
    expect(a.ok && b.ok && a.options.key === b.options.key).toBe(true);
  });
});
