import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientAuth } from '../../config/tls-client-auth.ts';
import { type ClientPki, makeClientPki } from '../../test/helpers/client-pki.ts';
import { buildTls } from './build-tls.ts';
import {
  type ClientAuthType,
  clientAuthServerOptions,
  clientCertRefusal,
  compileClientAuth,
} from './client-auth.ts';
import { compileTlsOptions } from './options.ts';

let pki: ClientPki;
beforeAll(() => {
  pki = makeClientPki();
});
afterAll(() => pki?.remove());

describe('compileClientAuth (Traefik buildTLSConfig rules)', () => {
  const cases: Array<{
    name: string;
    auth: () => ClientAuth | undefined;
    want: ClientAuthType | string[] | (() => string[]);
  }> = [
    { name: 'absent: no client certificate', auth: () => undefined, want: 'NoClientCert' },
    {
      name: 'caFiles alone means RequireAndVerifyClientCert',
      auth: () => ({ caFiles: [pki.ca] }),
      want: 'RequireAndVerifyClientCert',
    },
    {
      name: 'inline PEM',
      auth: () => ({ caFiles: [readFileSync(pki.ca, 'utf8')], clientAuthType: 'VerifyClientCertIfGiven' }),
      want: 'VerifyClientCertIfGiven',
    },
    {
      name: 'RequestClientCert needs no CA',
      auth: () => ({ clientAuthType: 'RequestClientCert' }),
      want: 'RequestClientCert',
    },
    {
      name: 'RequireAnyClientCert needs no CA',
      auth: () => ({ clientAuthType: 'RequireAnyClientCert' }),
      want: 'RequireAnyClientCert',
    },
    {
      name: 'explicit NoClientCert with caFiles',
      auth: () => ({ caFiles: [pki.ca], clientAuthType: 'NoClientCert' }),
      want: 'NoClientCert',
    },
    { name: 'empty type is the default', auth: () => ({ clientAuthType: '' }), want: 'NoClientCert' },
    {
      name: 'an unreadable file is named',
      auth: () => ({ caFiles: ['/nonexistent/ca.pem'] }),
      want: ['clientAuth.caFiles: cannot read /nonexistent/ca.pem: ENOENT'],
    },
    {
      name: 'a file without a certificate is named',
      auth: () => ({ caFiles: [pki.client.key] }),
      want: () => [`clientAuth.caFiles: ${pki.client.key} holds no PEM certificate`],
    },
    {
      name: 'inline text that is not a certificate',
      auth: () => ({ caFiles: ['-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----'] }),
      want: ['clientAuth.caFiles: (inline PEM) holds no PEM certificate'],
    },
    {
      name: 'an unknown type lists the valid ones',
      auth: () => ({ clientAuthType: 'RequireClientCert' }),
      want: [
        'clientAuth.clientAuthType "RequireClientCert" is not one of NoClientCert, RequestClientCert, RequireAnyClientCert, VerifyClientCertIfGiven, RequireAndVerifyClientCert',
      ],
    },
    {
      name: 'verifying types need caFiles',
      auth: () => ({ clientAuthType: 'VerifyClientCertIfGiven' }),
      want: [
        'clientAuth.clientAuthType VerifyClientCertIfGiven needs clientAuth.caFiles (the CAs to verify against)',
      ],
    },
    {
      name: 'RequireAndVerifyClientCert needs caFiles',
      auth: () => ({ clientAuthType: 'RequireAndVerifyClientCert' }),
      want: [
        'clientAuth.clientAuthType RequireAndVerifyClientCert needs clientAuth.caFiles (the CAs to verify against)',
      ],
    },
  ];
  it.each(cases)('$name', ({ auth, want }) => {
    const r = compileClientAuth(auth(), readFileSync);
    expect(r.ok ? r.clientAuth.type : r.problems).toEqual(typeof want === 'function' ? want() : want);
  });

  it('keeps the CA certificates, and equal CAs give equal ids', () => {
    const a = compileClientAuth({ caFiles: [pki.ca] }, readFileSync);
    const b = compileClientAuth({ caFiles: [readFileSync(pki.ca, 'utf8')] }, readFileSync);
    if (!a.ok || !b.ok) throw new Error('expected valid');
    expect(a.clientAuth.ca).toContain('-----BEGIN CERTIFICATE-----');
    expect(a.clientAuth.caId).toBe(b.clientAuth.caId);
  });
});

describe('clientAuthServerOptions and clientCertRefusal', () => {
  it.each([
    ['NoClientCert', { requestCert: false, rejectUnauthorized: false }],
    ['RequestClientCert', { requestCert: true, rejectUnauthorized: false }],
    ['RequireAnyClientCert', { requestCert: true, rejectUnauthorized: false }],
    ['VerifyClientCertIfGiven', { requestCert: true, rejectUnauthorized: false }],
    ['RequireAndVerifyClientCert', { requestCert: true, rejectUnauthorized: true }],
  ] as const)('%s asks node:tls for %o', (type, want) => {
    expect(clientAuthServerOptions(type)).toEqual(want);
  });

  const cert = {} as never;
  const socket = (present: boolean, authorized: boolean) => ({
    getPeerX509Certificate: () => (present ? cert : undefined),
    authorized,
    authorizationError: authorized ? (null as never) : new Error('UNABLE_TO_VERIFY_LEAF_SIGNATURE'),
  });
  it.each([
    ['RequireAnyClientCert', false, false, 'no client certificate'],
    ['RequireAnyClientCert', true, false, undefined],
    ['VerifyClientCertIfGiven', false, false, undefined],
    ['VerifyClientCertIfGiven', true, true, undefined],
    [
      'VerifyClientCertIfGiven',
      true,
      false,
      'client certificate not verified: Error: UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    ],
    ['RequestClientCert', true, false, undefined],
    ['NoClientCert', false, false, undefined],
  ] as const)('%s, certificate %s, verified %s: %s', (type, present, authorized, want) => {
    expect(clientCertRefusal(type, socket(present, authorized))).toBe(want);
  });
});

describe('TLS options with clientAuth', () => {
  it('clientAuth changes the options key, so such connections get TLS servers of their own', () => {
    const plain = compileTlsOptions('a', {});
    const mtls = compileTlsOptions('a', { clientAuth: { caFiles: [pki.ca] } });
    const any = compileTlsOptions('a', { clientAuth: { clientAuthType: 'RequireAnyClientCert' } });
    if (!plain.ok || !mtls.ok || !any.ok) throw new Error('expected valid');
    expect(new Set([plain.options.key, mtls.options.key, any.options.key]).size).toBe(3);
  });

  it('an unreadable caFiles makes that option invalid with a diagnostic naming the file; others serve', () => {
    const { state, diagnostics } = buildTls(
      [
        {
          provider: 'file',
          config: {
            options: {
              mtls: { clientAuth: { caFiles: ['/nonexistent/clients-ca.pem'] } },
              good: { clientAuth: { caFiles: [pki.ca] } },
            },
          },
        },
      ],
      {},
    );
    expect([...state.options.keys()].sort()).toEqual(['default', 'good@file']);
    expect(diagnostics).toEqual([
      {
        source: 'compile',
        subject: 'tls.options.mtls@file',
        code: 'TLS_OPTIONS_INVALID',
        severity: 'error',
        item: { kind: 'tls', name: 'options.mtls' },
        message:
          'tls option "mtls@file": clientAuth.caFiles: cannot read /nonexistent/clients-ca.pem: ENOENT; routers using it are disabled',
      },
    ]);
  });
});
