import type { Diagnostic } from '../../config/diagnostics.ts';
import { formatError } from '../../config/errors.ts';
import type { EntryPointConfig, StaticConfig } from '../../config/static.ts';
import { consulStorageTarget } from './consul-storage.ts';

// Checked at start and by `wharf check` without loading the ACME client (acme-client and its HTTP stack are
// loaded only when certificatesResolvers is configured).

/**
 * The certificate resolvers' checks of their own options (`ACME_CONFIG_INVALID`, each stopping the start):
 * a challenge is configured, `httpChallenge.entryPoint` exists, the storage can be used.
 */
export function checkAcmeOptions(c: StaticConfig, eps: Record<string, EntryPointConfig>): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const [name, { acme }] of Object.entries(c.certificatesResolvers ?? {})) {
    const fail = (key: string, problem: string) =>
      out.push({
        source: 'static',
        subject: `certificatesResolvers.${name}.acme`,
        code: 'ACME_CONFIG_INVALID',
        message: formatError('ACME_CONFIG_INVALID', { resolver: name, problem }),
        severity: 'error',
        key: `certificatesResolvers.${name}.acme${key}`,
      });
    if (!acme.httpChallenge && !acme.tlsChallenge)
      fail(
        '',
        'no challenge is configured: set httpChallenge.entryPoint or tlsChallenge (dnsChallenge is not supported yet)',
      );
    const ep = acme.httpChallenge?.entryPoint;
    if (ep !== undefined && !eps[ep])
      fail(
        '.httpChallenge.entryPoint',
        `httpChallenge.entryPoint "${ep}" is not an entryPoint (${Object.keys(eps).join(', ')})`,
      );
    const target = consulStorageTarget(acme.storage, c.providers.consul);
    if (typeof target === 'string') fail('.storage', `storage "${acme.storage}": ${target}`);
  }
  return out;
}
