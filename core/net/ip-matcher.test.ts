import { describe, expect, it } from 'vitest';
import { compileIpMatcher, IpRangeError, ipFamily } from './ip-matcher.ts';

describe('compileIpMatcher', () => {
  // Expected values follow Traefik's pkg/ip Checker (Go's net.IP / net.IPNet semantics).
  const cases: Array<[entries: string[], ip: string, expected: boolean]> = [
    // IPv4 addresses and ranges
    [['127.0.0.1'], '127.0.0.1', true],
    [['127.0.0.1'], '127.0.0.2', false],
    [['10.0.0.0/8'], '10.255.1.2', true],
    [['10.0.0.0/8'], '11.0.0.1', false],
    [['192.0.2.128/25'], '192.0.2.127', false],
    [['192.0.2.128/25'], '192.0.2.200', true],
    [['192.168.1.0/24', '172.16.0.0/12'], '172.31.255.255', true],
    [['192.168.1.0/24', '172.16.0.0/12'], '172.32.0.1', false],
    [['0.0.0.0/0'], '203.0.113.9', true],
    [['10.0.0.1/32'], '10.0.0.1', true],
    // host bits in a CIDR are ignored, as net.ParseCIDR does
    [['10.1.2.3/8'], '10.9.9.9', true],
    [['2001:db8::1/32'], '2001:db8:1::5', true],
    // IPv6
    [['::1'], '::1', true],
    [['::1'], '0:0:0:0:0:0:0:1', true],
    [['::1'], '127.0.0.1', false],
    [['2001:DB8::/32'], '2001:db8:ffff::1', true],
    [['2001:db8::/32'], '2001:db9::1', false],
    [['fd00::/8'], 'fd12:3456::1', true],
    [['fd00::/8'], 'fe80::1', false],
    // IPv4-mapped IPv6 is the IPv4 address, both ways, as Go's net.IP.Equal and IPNet.Contains say
    [['10.0.0.0/8'], '::ffff:10.0.0.1', true],
    [['10.0.0.1'], '::FFFF:10.0.0.1', true],
    [['::ffff:10.0.0.1'], '10.0.0.1', true],
    [['::ffff:192.0.2.0/120'], '192.0.2.5', true],
    [['0.0.0.0/0'], '::1', false],
    [['::ffff:0:0/96'], '127.0.0.1', true],
    [['::ffff:10.0.0.0/104'], '10.1.2.3', true],
    [['::ffff:10.0.0.0/104'], '11.1.2.3', false],
    // an IPv6 range outside ::ffff:0:0/96 never holds an IPv4 address (IPNet.Contains compares lengths)
    [['::/0'], '127.0.0.1', false],
    [['::/0'], '::ffff:127.0.0.1', false],
    [['::/80'], '192.0.2.1', false],
    [['::ffff:0:0/95'], '192.0.2.1', false],
    [['::/0'], '2001:db8::1', true],
    [['::/0'], '::1', true],
    [['::/0', '10.0.0.0/8'], '10.0.0.1', true],
    // zones: ignored in the address matched
    [['fe80::/10'], 'fe80::1%eth0', true],
    [['fe80::1'], 'fe80::1%25', true],
    [['10.0.0.0/8'], '10.0.0.1%eth0', false],
    [['fe80::/10'], 'fe80::1%', false],
    // entries keep working with spaces around them (label lists `a, b`)
    [[' 10.0.0.1 '], '10.0.0.1', true],
    // what never matches
    [[], '127.0.0.1', false],
    [['127.0.0.1'], 'not-an-ip', false],
    [['127.0.0.1'], '', false],
    [['127.0.0.1'], '127.0.0.1:80', false],
    [['10.0.0.0/8'], '010.0.0.1', false],
    [['0.0.0.0/0'], ' 10.0.0.1', false],
  ];
  it.each(cases)('%j matches %s: %s', (entries, ip, expected) => {
    expect(compileIpMatcher(entries)(ip)).toBe(expected);
  });

  it('answers each address of a sequence on its own (the last answer is kept only for the same text)', () => {
    const m = compileIpMatcher(['10.0.0.0/8']);
    const seq = [
      '10.0.0.1',
      '10.0.0.1',
      '11.0.0.1',
      '11.0.0.1',
      '10.0.0.1',
      '::ffff:10.0.0.1',
      'x',
      '10.0.0.1',
    ];
    expect(seq.map(m)).toEqual([true, true, false, false, true, true, false, true]);
  });

  it.each([
    ['10.0.0.0/33', '"10.0.0.0/33" has an invalid prefix length "/33" (0 to 32 for IPv4)'],
    ['::/129', '"::/129" has an invalid prefix length "/129" (0 to 128 for IPv6)'],
    ['10.0.0.0/', '"10.0.0.0/" has an invalid prefix length "/" (0 to 32 for IPv4)'],
    ['10.0.0.0/x', '"10.0.0.0/x" has an invalid prefix length "/x" (0 to 32 for IPv4)'],
    ['10.0.0.0/-1', '"10.0.0.0/-1" has an invalid prefix length "/-1" (0 to 32 for IPv4)'],
    ['example.com', '"example.com" is not an IP address or CIDR range'],
    ['10.0.0.256', '"10.0.0.256" is not an IP address or CIDR range'],
    ['010.0.0.1', '"010.0.0.1" is not an IP address or CIDR range'],
    ['10.0.0', '"10.0.0" is not an IP address or CIDR range'],
    ['1::2::3', '"1::2::3" is not an IP address or CIDR range'],
    ['1:2:3:4:5:6:7:8:9', '"1:2:3:4:5:6:7:8:9" is not an IP address or CIDR range'],
    ['fe80::1%eth0', '"fe80::1%eth0" has an IPv6 zone (after "%"), which a range cannot have; remove it'],
    ['fe80::%eth0/10', '"fe80::%eth0/10" has an IPv6 zone (after "%"), which a range cannot have; remove it'],
    ['', '"" is empty; write an IP address or a CIDR range'],
  ])('rejects %j naming the entry', (entry, message) => {
    let error: unknown;
    try {
      compileIpMatcher(['127.0.0.1', entry]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(IpRangeError);
    expect((error as IpRangeError).message).toBe(message);
    expect((error as IpRangeError).entry).toBe(entry);
  });
});

describe('ipFamily', () => {
  it.each([
    ['10.0.0.1', 4],
    ['::1', 6],
    ['::ffff:10.0.0.1', 6],
    ['fe80::1%eth0', 6],
    ['10.0.0.1%eth0', 0],
    ['10.0.0.1:80', 0],
    ['', 0],
  ] as const)('%s is family %d', (ip, family) => {
    expect(ipFamily(ip)).toBe(family);
  });
});
