import { describe, expect, it } from 'vitest';
import { StaticConfigSchema } from '../../config/static.ts';
import { checkAcmeOptions } from './check-acme-options.ts';

// The resolvers' own checks: errors stop the start, a DNS provider Wharf cannot use and the keys it accepts
// without acting on them are warnings (a Traefik configuration never stops Wharf for them).

const check = (acme: Record<string, unknown>, env: Record<string, string> = {}) => {
  const c = StaticConfigSchema.parse({
    entryPoints: { web: { address: ':80' } },
    certificatesResolvers: { le: { acme: { storage: '/tmp/wharf-check-acme.json', ...acme } } },
  });
  return checkAcmeOptions(c, c.entryPoints ?? {}, env).map(
    (d) => `${d.severity} ${d.code} ${d.key}: ${d.message}`,
  );
};

const rfc2136 = {
  RFC2136_NAMESERVER: '127.0.0.1:53',
  RFC2136_TSIG_KEY: 'k.',
  RFC2136_TSIG_SECRET: 'c2VjcmV0',
};

describe('checkAcmeOptions', () => {
  it.each([
    ['dnsChallenge alone is a challenge', { dnsChallenge: { provider: 'rfc2136' } }, rfc2136, []],
    [
      'dnsupdate is rfc2136 (lego v5)',
      { dnsChallenge: { provider: 'dnsupdate' } },
      { DNSUPDATE_NAMESERVER: 'ns1' },
      [],
    ],
    ['exec with EXEC_PATH', { dnsChallenge: { provider: 'exec' } }, { EXEC_PATH: '/bin/true' }, []],
    [
      'httpreq with an endpoint',
      { dnsChallenge: { provider: 'httpreq' } },
      { HTTPREQ_ENDPOINT: 'http://127.0.0.1:1' },
      [],
    ],
    [
      'no challenge at all',
      {},
      {},
      [
        /^error ACME_CONFIG_INVALID certificatesResolvers\.le\.acme: .*no challenge is configured: set httpChallenge\.entryPoint, tlsChallenge or dnsChallenge/,
      ],
    ],
    [
      'a lego provider Wharf does not have',
      { dnsChallenge: { provider: 'cloudflare' } },
      {},
      [
        /^warning ACME_DNS_PROVIDER_UNUSABLE certificatesResolvers\.le\.acme\.dnsChallenge\.provider: .*DNS provider "cloudflare" is not supported by Wharf \(supported: rfc2136, dnsupdate, exec, httpreq\); DNS-01 is off/,
      ],
    ],
    [
      'rfc2136 without its nameserver',
      { dnsChallenge: { provider: 'rfc2136' }, httpChallenge: { entryPoint: 'web' } },
      {},
      [/^warning ACME_DNS_PROVIDER_UNUSABLE .*RFC2136_NAMESERVER/],
    ],
    [
      'an unknown TSIG algorithm',
      { dnsChallenge: { provider: 'rfc2136' } },
      { ...rfc2136, RFC2136_TSIG_ALGORITHM: 'hmac-md4' },
      [/^warning ACME_DNS_PROVIDER_UNUSABLE .*unsupported TSIG algorithm: hmac-md4/],
    ],
    [
      'the deprecated keys',
      { dnsChallenge: { provider: 'exec', delayBeforeCheck: 5, disablePropagationCheck: true } },
      { EXEC_PATH: '/bin/true' },
      [
        /^warning ACME_OPTION_IGNORED certificatesResolvers\.le\.acme\.dnsChallenge\.disablePropagationCheck: .*use propagation\.disableChecks/,
        /^warning ACME_OPTION_IGNORED certificatesResolvers\.le\.acme\.dnsChallenge\.delayBeforeCheck: .*use propagation\.delayBeforeChecks/,
      ],
    ],
    [
      'keys accepted without effect',
      {
        tlsChallenge: {},
        emailAddresses: ['a@example.com'],
        certificateTimeout: '1m',
        clientResponseHeaderTimeout: '10s',
      },
      {},
      [
        /emailAddresses: not supported by Wharf/,
        /clientResponseHeaderTimeout: accepted/,
        /certificateTimeout: accepted/,
      ],
    ],
    [
      'clientTimeout under clientResponseHeaderTimeout (Traefik refuses it)',
      { tlsChallenge: {}, clientTimeout: '10s', clientResponseHeaderTimeout: '30s' },
      {},
      [
        /^error ACME_CONFIG_INVALID .*clientTimeout must be at least clientResponseHeaderTimeout/,
        /clientResponseHeaderTimeout: accepted/,
      ],
    ],
  ])('%s', (_, acme, env, expected) => {
    const out = check(acme, env);
    expect(out).toHaveLength(expected.length);
    for (const [i, re] of expected.entries()) expect(out[i]).toMatch(re);
  });
});
