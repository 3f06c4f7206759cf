import type { IncomingMessage } from 'node:http';
import type { z } from 'zod';
import type { IpStrategySchema } from '../config/middlewares/ip-strategy.ts';
import { compileIpMatcher } from '../core/net/ip-matcher.ts';
import { ipv6SubnetAddress } from '../core/net/ipv6-subnet.ts';
import { requestState } from './request-state.ts';

/** The `ipStrategy` options of ipAllowList (and of rateLimit's and inFlightReq's sourceCriterion). */
export type IpStrategyOptions = z.infer<typeof IpStrategySchema>;

/**
 * Picks a request's client address from the connection peer's address and the X-Forwarded-For header as
 * the entryPoint left it (removed unless the peer is trusted, `forwardedHeaders`). '' when the strategy
 * finds none: a check against a list then refuses the request, as in Traefik.
 */
export type IpStrategy = (peerIp: string, forwardedFor: string | undefined) => string;

/** How the strategy was chosen, for logs and tests. */
export type IpStrategyKind = 'peer' | 'depth' | 'excludedIPs';

/** A compiled strategy and what it ignored (Traefik ignores these silently; Wharf logs them once). */
export interface CompiledIpStrategy {
  readonly kind: IpStrategyKind;
  readonly select: IpStrategy;
  /** Options given but not used by the chosen strategy, as sentences. */
  readonly ignored: readonly string[];
}

/**
 * Compiles `ipStrategy` as Traefik's `IPStrategy.Get` does (pkg/config/dynamic, pkg/ip/strategy.go):
 * - none, or neither depth nor excludedIPs: the peer address (`RemoteAddr`), masked by ipv6Subnet;
 * - depth > 0: the depth-th X-Forwarded-For entry from the right, masked by ipv6Subnet; '' when the
 *   header has fewer entries; excludedIPs is then ignored;
 * - excludedIPs: the first X-Forwarded-For entry from the right that is not in the list (empty entries
 *   skipped), '' when all are; ipv6Subnet is ignored.
 * Throws a message naming the option when ipv6Subnet (where it applies) or excludedIPs is invalid.
 */
export function compileIpStrategy(options: IpStrategyOptions | undefined): CompiledIpStrategy {
  const depth = options?.depth ?? 0;
  const excluded = options?.excludedIPs ?? [];
  const subnet = options?.ipv6Subnet;
  if (depth <= 0 && excluded.length > 0) {
    let inPool: (ip: string) => boolean;
    try {
      inPool = compileIpMatcher(excluded);
    } catch (err) {
      throw new Error(`ipStrategy.excludedIPs: ${(err as Error).message}`);
    }
    const ignored = subnet === undefined ? [] : ['ipv6Subnet is not used with excludedIPs (as in Traefik)'];
    return { kind: 'excludedIPs', select: (_peer, xff) => firstNotIn(xff, inPool), ignored };
  }
  if (subnet !== undefined && (subnet <= 0 || subnet > 128)) {
    throw new Error(
      `ipStrategy.ipv6Subnet ${subnet} is invalid: give a prefix length from 1 to 128, e.g. 64`,
    );
  }
  const mask = subnet === undefined ? (ip: string) => ip : (ip: string) => ipv6SubnetAddress(ip, subnet);
  if (depth > 0) {
    const ignored = excluded.length > 0 ? ['excludedIPs is not used when depth is set (as in Traefik)'] : [];
    return { kind: 'depth', select: (_peer, xff) => mask(fromRight(xff, depth)), ignored };
  }
  return { kind: 'peer', select: (peer) => mask(peer), ignored: [] };
}

/** The strategy's address for a request that came through an entryPoint. */
export function clientIpOf(strategy: IpStrategy, req: IncomingMessage): string {
  const xff = req.headers['x-forwarded-for'];
  // Node joins repeated X-Forwarded-For lines with ", "; an array only comes from code setting one.
  return strategy(requestState(req).clientIp, Array.isArray(xff) ? xff.join(', ') : xff);
}

/** The n-th comma-separated entry from the right, trimmed; '' when there are fewer than n. */
function fromRight(xff: string | undefined, n: number): string {
  // Go splits an absent header ("") into one empty entry, so depth 1 gives '' there as well.
  const entries = (xff ?? '').split(',');
  return entries.length < n ? '' : entries[entries.length - n]!.trim();
}

/** The first non-empty entry from the right that `inPool` refuses, trimmed; '' when there is none. */
function firstNotIn(xff: string | undefined, inPool: (ip: string) => boolean): string {
  const entries = (xff ?? '').split(',');
  for (let i = entries.length - 1; i >= 0; i--) {
    const entry = entries[i]!.trim();
    if (entry !== '' && !inPool(entry)) return entry;
  }
  return '';
}
