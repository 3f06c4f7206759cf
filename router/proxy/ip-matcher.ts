import { BlockList, isIP } from 'node:net';

/** Strips an IPv6 zone (`fe80::1%eth0`) so the address can be matched. */
function withoutZone(ip: string): string {
  const percent = ip.indexOf('%');
  return percent === -1 ? ip : ip.slice(0, percent);
}

/**
 * Compiles IPs and CIDRs (v4 and v6) into a predicate; throws a plain Error naming the bad entry.
 * IPv4 entries also match IPv4-mapped IPv6 addresses (`::ffff:10.0.0.1`), and host bits in a CIDR are
 * ignored (`10.1.2.3/8` means `10.0.0.0/8`), as Go's `net.ParseCIDR` does for Traefik.
 */
export function compileIpMatcher(entries: readonly string[]): (ip: string) => boolean {
  const list = new BlockList();
  for (const raw of entries) {
    const entry = raw.trim();
    const slash = entry.indexOf('/');
    const address = slash === -1 ? entry : entry.slice(0, slash);
    const family = isIP(address);
    if (family === 0) throw new Error(`"${raw}" is not an IP address or CIDR range`);
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (slash === -1) {
      list.addAddress(address, type);
      continue;
    }
    const bits = entry.slice(slash + 1);
    const prefix = Number(bits);
    if (!/^\d{1,3}$/.test(bits) || prefix > (family === 4 ? 32 : 128)) {
      throw new Error(`"${raw}" has an invalid prefix length "/${bits}"`);
    }
    list.addSubnet(address, prefix, type);
  }
  if (entries.length === 0) return () => false;
  return (ip) => {
    const address = withoutZone(ip);
    const family = isIP(address);
    return family !== 0 && list.check(address, family === 4 ? 'ipv4' : 'ipv6');
  };
}
