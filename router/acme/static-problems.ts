import { formatError } from '../../config/errors.ts';
import type { EntryPointConfig, StaticConfig } from '../../config/static.ts';
import { consulStorageTarget } from './consul-storage.ts';

// Checked at start and by `wharf check` without loading the ACME client (acme-client and its HTTP stack are
// loaded only when certificatesResolvers is configured).

/** The problems of `certificatesResolvers` that stop a start, one line each. */
export function acmeStaticProblems(c: StaticConfig, eps: Record<string, EntryPointConfig>): string[] {
  const out: string[] = [];
  for (const [name, { acme }] of Object.entries(c.certificatesResolvers ?? {})) {
    const fail = (problem: string) =>
      out.push(`[ACME_CONFIG_INVALID] ${formatError('ACME_CONFIG_INVALID', { resolver: name, problem })}`);
    if (!acme.httpChallenge && !acme.tlsChallenge)
      fail(
        'no challenge is configured: set httpChallenge.entryPoint or tlsChallenge (dnsChallenge is not supported yet)',
      );
    const ep = acme.httpChallenge?.entryPoint;
    if (ep !== undefined && !eps[ep])
      fail(`httpChallenge.entryPoint "${ep}" is not an entryPoint (${Object.keys(eps).join(', ')})`);
    const target = consulStorageTarget(acme.storage, c.providers.consul);
    if (typeof target === 'string') fail(`storage "${acme.storage}": ${target}`);
  }
  return out;
}
