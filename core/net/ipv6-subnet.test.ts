import { describe, expect, it } from 'vitest';
import { ipv6SubnetAddress } from './ipv6-subnet.ts';

describe('ipv6SubnetAddress', () => {
  // Expected texts are what Go's netip.Addr.Prefix(bits).Addr().String() gives (Traefik's getIPv6SubnetIP).
  const cases: Array<[ip: string, bits: number, expected: string]> = [
    ['2001:db8:85a3:8d3:1319:8a2e:370:7348', 64, '2001:db8:85a3:8d3::'],
    ['2001:db8:85a3:8d3:1319:8a2e:370:7348', 48, '2001:db8:85a3::'],
    ['2001:db8:85a3:8d3:1319:8a2e:370:7348', 56, '2001:db8:85a3:800::'],
    ['2001:db8:85a3:8d3:1319:8a2e:370:7348', 128, '2001:db8:85a3:8d3:1319:8a2e:370:7348'],
    ['2001:DB8::1', 32, '2001:db8::'],
    ['2001:db8:0:0:1:0:0:1', 128, '2001:db8::1:0:0:1'],
    ['2001:0:0:1:0:0:0:1', 128, '2001:0:0:1::1'],
    ['1:0:1:0:1:0:1:0', 128, '1:0:1:0:1:0:1:0'],
    ['fe80::1%eth0', 64, 'fe80::'],
    ['::1', 1, '::'],
    ['::1', 128, '::1'],
    ['::ffff:10.1.2.3', 128, '::ffff:10.1.2.3'],
    ['::ffff:10.1.2.3', 120, '::ffff:10.1.2.0'],
    ['::ffff:10.1.2.3', 64, '::'],
    ['::10.1.2.3', 128, '::a01:203'],
    ['1:2:3:4:5:6:10.1.2.3', 112, '1:2:3:4:5:6:a01:0'],
    // unchanged: not IPv6, not an address, bits out of range
    ['10.1.2.3', 64, '10.1.2.3'],
    ['not-an-ip', 64, 'not-an-ip'],
    ['', 64, ''],
    ['2001:db8::1', 129, '2001:db8::1'],
    ['2001:db8::1', -1, '2001:db8::1'],
  ];
  it.each(cases)('%s/%d is %s', (ip, bits, expected) => {
    expect(ipv6SubnetAddress(ip, bits)).toBe(expected);
  });
});
