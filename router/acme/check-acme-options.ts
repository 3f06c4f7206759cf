import type { Diagnostic } from '../../config/diagnostics.ts';
import { type ErrorCode, formatError } from '../../config/errors.ts';
import type { EntryPointConfig, StaticConfig } from '../../config/static.ts';
import { consulStorageTarget } from './consul-storage.ts';
import { dnsProvider } from './dns01/dns-providers.ts';

// Checked at start and by `wharf check` without loading the ACME client (acme-client and its HTTP stack are
// loaded only when certificatesResolvers is configured).

/** A logger that drops everything: building a provider here only checks its variables. */
const quiet = { info() {}, debug() {}, warn() {}, error() {} } as never;

/**
 * The certificate resolvers' checks of their own options. Errors (`ACME_CONFIG_INVALID`) stop the start: no
 * challenge, an unknown `httpChallenge.entryPoint`, an unusable storage, clientTimeout under
 * clientResponseHeaderTimeout (Traefik's Init refuses it too). Warnings: a dnsChallenge provider Wharf does
 * not have or whose environment variables are missing (`ACME_DNS_PROVIDER_UNUSABLE`), Traefik's deprecated
 * DNS keys and the keys Wharf accepts without acting on them (`ACME_OPTION_IGNORED`).
 */
export function checkAcmeOptions(
  c: StaticConfig,
  eps: Record<string, EntryPointConfig>,
  env: Record<string, string | undefined> = process.env,
): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const [name, { acme }] of Object.entries(c.certificatesResolvers ?? {})) {
    const add = (
      severity: Diagnostic['severity'],
      code: ErrorCode,
      key: string,
      params: Record<string, string>,
    ) =>
      out.push({
        source: 'static',
        subject: `certificatesResolvers.${name}.acme`,
        code,
        message: formatError(code, { resolver: name, ...params }),
        severity,
        key: `certificatesResolvers.${name}.acme${key}`,
      });
    const fail = (key: string, problem: string) => add('error', 'ACME_CONFIG_INVALID', key, { problem });
    const ignored = (option: string, problem: string) =>
      add('warning', 'ACME_OPTION_IGNORED', `.${option}`, { option, problem });
    if (!acme.httpChallenge && !acme.tlsChallenge && !acme.dnsChallenge)
      fail('', 'no challenge is configured: set httpChallenge.entryPoint, tlsChallenge or dnsChallenge');
    const ep = acme.httpChallenge?.entryPoint;
    if (ep !== undefined && !eps[ep])
      fail(
        '.httpChallenge.entryPoint',
        `httpChallenge.entryPoint "${ep}" is not an entryPoint (${Object.keys(eps).join(', ')})`,
      );
    const target = consulStorageTarget(acme.storage, c.providers.consul);
    if (typeof target === 'string') fail('.storage', `storage "${acme.storage}": ${target}`);
    if (
      acme.clientResponseHeaderTimeout !== undefined &&
      acme.clientTimeout < acme.clientResponseHeaderTimeout
    )
      fail('.clientTimeout', 'clientTimeout must be at least clientResponseHeaderTimeout');
    const dns = acme.dnsChallenge;
    if (dns) {
      try {
        dnsProvider(dns.provider, env, quiet);
      } catch (err) {
        add('warning', 'ACME_DNS_PROVIDER_UNUSABLE', '.dnsChallenge.provider', {
          problem: (err as Error).message,
        });
      }
      if (dns.disablePropagationCheck)
        ignored(
          'dnsChallenge.disablePropagationCheck',
          'deprecated: use propagation.disableChecks (it is applied as such)',
        );
      if (dns.delayBeforeCheck !== undefined)
        ignored(
          'dnsChallenge.delayBeforeCheck',
          'deprecated: use propagation.delayBeforeChecks (it is applied as such)',
        );
    }
    if (acme.emailAddresses?.length)
      ignored(
        'emailAddresses',
        "not supported by Wharf: the CSR carries no email addresses (CAs such as Let's Encrypt refuse them)",
      );
    if (acme.clientResponseHeaderTimeout !== undefined)
      ignored(
        'clientResponseHeaderTimeout',
        'accepted; Wharf applies clientTimeout to each whole request to the CA',
      );
    if (acme.certificateTimeout !== undefined)
      ignored(
        'certificateTimeout',
        'accepted; Wharf polls the order with its own backoff until clientTimeout',
      );
  }
  return out;
}
