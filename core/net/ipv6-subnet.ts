import { isIP } from 'node:net';
import { withoutZone } from './ip-matcher.ts';

/**
 * The first address of the `bits`-long IPv6 prefix holding `ip`, in Go's netip text form (lower case,
 * longest run of two or more zero groups as `::`, IPv4-mapped as `::ffff:a.b.c.d`), as Traefik's
 * `ipStrategy.ipv6Subnet` does. Anything else (IPv4, not an address, bits outside 0 to 128) comes back
 * unchanged; a zone is dropped. IPv4-mapped IPv6 counts as IPv6 here, as in Go's `Addr.Is6`.
 */
export function ipv6SubnetAddress(ip: string, bits: number): string {
  const address = withoutZone(ip);
  if (isIP(address) !== 6 || !Number.isInteger(bits) || bits < 0 || bits > 128) return ip;
  const groups = ipv6Groups(address);
  for (let i = 0; i < 8; i++) {
    const keep = Math.max(0, Math.min(16, bits - 16 * i));
    groups[i] = groups[i]! & ((0xffff << (16 - keep)) & 0xffff);
  }
  return formatIpv6(groups);
}

/** The eight 16-bit groups of an address that `isIP` already accepted as IPv6 (no zone). */
function ipv6Groups(address: string): number[] {
  let text = address;
  const tail: number[] = [];
  const dot = text.indexOf('.');
  if (dot !== -1) {
    // An embedded IPv4 address (`::ffff:10.0.0.1`) is the last two groups.
    const colon = text.lastIndexOf(':');
    const [a, b, c, d] = text
      .slice(colon + 1)
      .split('.')
      .map(Number) as [number, number, number, number];
    tail.push((a << 8) | b, (c << 8) | d);
    text = text.slice(0, colon + 1);
    if (text.endsWith(':') && !text.endsWith('::')) text = text.slice(0, -1);
  }
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((g) => Number.parseInt(g, 16)));
  const gap = text.indexOf('::');
  if (gap === -1) return [...parse(text), ...tail];
  const head = parse(text.slice(0, gap));
  const rest = [...parse(text.slice(gap + 2)), ...tail];
  return [...head, ...new Array<number>(8 - head.length - rest.length).fill(0), ...rest];
}

/** RFC 5952 text of eight groups, as Go's netip prints it. */
function formatIpv6(g: readonly number[]): string {
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    return `::ffff:${g[6]! >> 8}.${g[6]! & 0xff}.${g[7]! >> 8}.${g[7]! & 0xff}`;
  }
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j === i ? i + 1 : j;
  }
  const hex = g.map((x) => x.toString(16));
  if (bestStart === -1) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}
