import { createHash } from 'node:crypto';
import { getServers } from 'node:dns';
import type { DnsChallengeConfig } from '../../../config/static/acme.ts';
import { authoritativeNameservers, requireTxt, resolveCname } from './dns-client.ts';
import type { DnsChallengeInfo } from './dns-providers.ts';
import { type Nameserver, parseNameserver } from './exchange.ts';

// What Traefik and lego check before telling the CA that a DNS-01 challenge is ready.

/** The propagation rules in force for a dnsChallenge, after Traefik's handling of the deprecated keys. */
export interface PropagationRules {
  readonly disableChecks: boolean;
  readonly requireAuthoritative: boolean;
  readonly requireAllRecursive: boolean;
  readonly delayBeforeChecksMs: number;
  readonly resolvers: readonly Nameserver[];
  /** Port of the authoritative nameservers (53; tests point it at their server). */
  readonly authoritativePort: number;
}

/**
 * Traefik's rules: without a `propagation` block lego checks the authoritative nameservers and every
 * recursive one; with the block, authoritative unless disableANSChecks, recursive only with requireAllRNS.
 * The deprecated `disablePropagationCheck` and `delayBeforeCheck` create the block (Traefik does the same).
 */
export function propagationRules(dns: DnsChallengeConfig, authoritativePort = 53): PropagationRules {
  let p = dns.propagation;
  if (dns.disablePropagationCheck || (dns.delayBeforeCheck ?? 0) > 0) {
    p = {
      disableChecks: false,
      disableANSChecks: false,
      requireAllRNS: false,
      delayBeforeChecks: 0,
      ...p,
      ...(dns.disablePropagationCheck ? { disableChecks: true } : {}),
      ...((dns.delayBeforeCheck ?? 0) > 0 ? { delayBeforeChecks: dns.delayBeforeCheck as number } : {}),
    };
  }
  const configured = dns.resolvers?.length ? dns.resolvers : getServers();
  const resolvers = configured.length > 0 ? configured : ['1.1.1.1:53', '1.0.0.1:53'];
  return {
    disableChecks: p?.disableChecks ?? false,
    requireAuthoritative: p ? !p.disableANSChecks : true,
    requireAllRecursive: p ? p.requireAllRNS : true,
    delayBeforeChecksMs: p?.delayBeforeChecks ?? 0,
    resolvers: resolvers.map(parseNameserver),
    authoritativePort,
  };
}

/** The TXT name and value of a challenge: `_acme-challenge.<domain>.` (its CNAMEs followed) and the digest. */
export async function challengeInfo(
  domain: string,
  token: string,
  keyAuth: string,
  rules: PropagationRules,
  env: Record<string, string | undefined> = process.env,
): Promise<DnsChallengeInfo> {
  const name = `_acme-challenge.${domain.replace(/\.$/, '')}.`;
  const value = createHash('sha256').update(keyAuth).digest('base64url');
  // LEGO_DISABLE_CNAME_SUPPORT=true keeps the name as it is; a failed lookup keeps it too.
  const follow = !/^(1|t|true)$/i.test(env.LEGO_DISABLE_CNAME_SUPPORT ?? '');
  const fqdn = follow ? await resolveCname(name, rules.resolvers).catch(() => name) : name;
  return { domain, token, keyAuth, fqdn, value };
}

/** One check: the recursive nameservers (when required), then the authoritative ones (when required). */
export async function checkOnce(rules: PropagationRules, fqdn: string, value: string): Promise<void> {
  const name = await resolveCname(fqdn, rules.resolvers);
  if (rules.requireAllRecursive) await requireTxt(name, value, rules.resolvers, true);
  if (!rules.requireAuthoritative) return;
  const nss = await authoritativeNameservers(name, rules.resolvers);
  await requireTxt(
    name,
    value,
    nss.map((host) => ({ host, port: rules.authoritativePort })),
    false,
    rules.resolvers,
  );
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (ms <= 0 || signal?.aborted) return resolve();
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    });
  });

/**
 * Waits until the TXT record is served, as lego does: one polling interval first, then a check (after
 * delayBeforeChecks, before every check) every interval until the timeout, which fails with the last
 * check's problem. With disableChecks only the delay is waited.
 */
export async function waitForPropagation(
  rules: PropagationRules,
  fqdn: string,
  value: string,
  timing: { propagationTimeoutMs: number; pollingIntervalMs: number },
  signal?: AbortSignal,
): Promise<void> {
  await sleep(timing.pollingIntervalMs, signal);
  const deadline = Date.now() + timing.propagationTimeoutMs;
  let last: unknown;
  for (;;) {
    if (signal?.aborted) throw new Error('stopped');
    await sleep(rules.delayBeforeChecksMs, signal);
    if (rules.disableChecks) return;
    try {
      await checkOnce(rules, fqdn, value);
      return;
    } catch (err) {
      last = err;
    }
    if (Date.now() >= deadline)
      throw new Error(`propagation: time limit exceeded: last error: ${(last as Error)?.message ?? last}`);
    await sleep(timing.pollingIntervalMs, signal);
  }
}
