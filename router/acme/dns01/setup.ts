import type { AcmeResolverConfig } from '../../../config/static.ts';
import type { Logger } from '../../../core/log.ts';
import { type DnsProvider, dnsProvider } from './dns-providers.ts';
import { type PropagationRules, propagationRules } from './propagation.ts';

/** A resolver's DNS-01 setup: its provider and propagation rules, or why DNS-01 cannot be used. */
export type Dns01Setup = { provider: DnsProvider; rules: PropagationRules } | { error: string };

/**
 * Builds a resolver's DNS-01 setup from its dnsChallenge and the environment (the provider's variables);
 * undefined when the resolver has no dnsChallenge. A provider that Wharf does not have, or whose variables
 * are missing or wrong, gives `{ error }`: the resolver keeps its other challenges, and an order that needs
 * DNS-01 fails with that message (as a Traefik resolver whose lego provider fails keeps serving).
 */
export function dns01Setup(
  config: AcmeResolverConfig,
  logger: Logger,
  env: Record<string, string | undefined> = process.env,
  authoritativePort = 53,
): Dns01Setup | undefined {
  const dns = config.dnsChallenge;
  if (!dns) return undefined;
  try {
    return {
      provider: dnsProvider(dns.provider, env, logger),
      rules: propagationRules(dns, authoritativePort),
    };
  } catch (err) {
    return { error: `dnsChallenge provider "${dns.provider}" cannot be used: ${(err as Error).message}` };
  }
}
