import { BlockList, isIP } from 'node:net';

// The one IP matcher of the code base: the `ClientIP` rule, `entryPoints.<n>.forwardedHeaders.trustedIPs`,
// and the ipAllowList middleware and its ipStrategy.excludedIPs all compile through here. Matching follows
// Traefik's pkg/ip Checker (Go's net.ParseIP / net.ParseCIDR for entries, netip.ParseAddr for addresses):
// node:net's BlockList does the matching, with IPv4 and IPv4-mapped IPv6 treated as the same address.

/** A compiled list of IPs and CIDR ranges: whether an address (text, v4 or v6) is in it. */
export type IpMatcher = (ip: string) => boolean;

/** An entry of an IP list that is neither an IP address nor a CIDR range; the message names it. */
export class IpRangeError extends Error {
  /** The entry as written. */
  readonly entry: string;
  constructor(entry: string, problem: string) {
    super(`"${entry}" ${problem}`);
    this.entry = entry;
  }
}

/** The address family of a client address text, 0 when it is not one; an IPv6 zone (`%eth0`) is allowed. */
export function ipFamily(ip: string): 0 | 4 | 6 {
  return isIP(withoutZone(ip)) as 0 | 4 | 6;
}

/**
 * Strips an IPv6 zone (`fe80::1%eth0`): Go's netip.ParseAddr accepts one, and matching ignores it. An IPv4
 * address or an empty zone keeps its `%` and so stays invalid, as in Go.
 */
export function withoutZone(ip: string): string {
  const percent = ip.indexOf('%');
  if (percent === -1 || percent === ip.length - 1 || ip.lastIndexOf(':', percent) === -1) return ip;
  return ip.slice(0, percent);
}

/**
 * Compiles IPs and CIDRs (v4 and v6) into a predicate; throws an IpRangeError naming the first bad entry.
 * IPv4 entries also match IPv4-mapped IPv6 addresses (`::ffff:10.0.0.1`) and the reverse; host bits in a
 * CIDR are ignored (`10.1.2.3/8` means `10.0.0.0/8`), as Go's `net.ParseCIDR` does for Traefik; a zone is
 * refused in an entry (Go's parsers refuse it) but ignored in the address matched. Surrounding spaces of an
 * entry are dropped (label lists are written `a, b`). An empty list matches nothing: callers for which an
 * empty list is an error (ipAllowList's sourceRange) say so themselves.
 */
export function compileIpMatcher(entries: readonly string[]): IpMatcher {
  const lists: Lists = { any: new BlockList(), ipv6Only: new BlockList() };
  for (const raw of entries) addEntry(lists, raw);
  if (entries.length === 0) return () => false;
  // A check costs about a microsecond (isIP's regexp, then BlockList's native parse); one client's requests
  // come in a row (keep-alive), so the last answer is kept.
  let lastIp: string | undefined;
  let lastResult = false;
  return (ip) => {
    if (ip === lastIp) return lastResult;
    const address = withoutZone(ip);
    const family = isIP(address);
    const type = family === 4 ? 'ipv4' : 'ipv6';
    lastResult =
      family !== 0 &&
      (lists.any.check(address, type) ||
        (family === 6 && !IPV4_MAPPED.check(address, 'ipv6') && lists.ipv6Only.check(address, 'ipv6')));
    lastIp = ip;
    return lastResult;
  };
}

/**
 * Where entries go. BlockList checks an IPv4 address against IPv6 subnets as its IPv4-mapped form, so
 * `::/0` would hold every IPv4 address; Go's IPNet.Contains does not (an IPv6 network whose address is not
 * IPv4-mapped holds no IPv4 address, mapped or not): such ranges go to `ipv6Only`, checked only for IPv6
 * addresses outside ::ffff:0:0/96.
 */
interface Lists {
  readonly any: BlockList;
  readonly ipv6Only: BlockList;
}

/** ::ffff:0:0/96, the IPv4-mapped IPv6 addresses (Go's To4 is non-nil for them). */
const IPV4_MAPPED = new BlockList();
IPV4_MAPPED.addSubnet('::ffff:0:0', 96, 'ipv6');

function addEntry(lists: Lists, raw: string): void {
  const entry = raw.trim();
  if (entry === '') throw new IpRangeError(raw, 'is empty; write an IP address or a CIDR range');
  const slash = entry.indexOf('/');
  const address = slash === -1 ? entry : entry.slice(0, slash);
  if (address.includes('%')) {
    throw new IpRangeError(raw, 'has an IPv6 zone (after "%"), which a range cannot have; remove it');
  }
  const family = isIP(address);
  if (family === 0) throw new IpRangeError(raw, 'is not an IP address or CIDR range');
  const type = family === 4 ? 'ipv4' : 'ipv6';
  if (slash === -1) {
    lists.any.addAddress(address, type);
    return;
  }
  const bits = entry.slice(slash + 1);
  const max = family === 4 ? 32 : 128;
  if (!/^\d{1,3}$/.test(bits) || Number(bits) > max) {
    throw new IpRangeError(raw, `has an invalid prefix length "/${bits}" (0 to ${max} for IPv${family})`);
  }
  const prefix = Number(bits);
  // Go masks the network first: only a prefix of 96 or more keeps an IPv4-mapped network IPv4-mapped.
  const mapped = family === 6 && prefix >= 96 && IPV4_MAPPED.check(address, 'ipv6');
  (family === 6 && !mapped ? lists.ipv6Only : lists.any).addSubnet(address, prefix, type);
}
