import { describe, expect, it } from 'vitest';
import { compileIpMatcher } from './ip-matcher.ts';

describe('compileIpMatcher', () => {
  const cases: Array<[entries: string[], ip: string, expected: boolean]> = [
    [['127.0.0.1'], '127.0.0.1', true],
    [['127.0.0.1'], '127.0.0.2', false],
    [['10.0.0.0/8'], '10.255.1.2', true],
    [['10.0.0.0/8'], '11.0.0.1', false],
    [['10.1.2.3/8'], '10.9.9.9', true],
    [['192.168.1.0/24', '172.16.0.0/12'], '172.31.255.255', true],
    [['192.168.1.0/24', '172.16.0.0/12'], '172.32.0.1', false],
    [['10.0.0.0/8'], '::ffff:10.0.0.1', true],
    [['::1'], '::1', true],
    [['::1'], '0:0:0:0:0:0:0:1', true],
    [['::1'], '127.0.0.1', false],
    [['fd00::/8'], 'fd12:3456::1', true],
    [['fd00::/8'], 'fe80::1', false],
    [['fe80::/10'], 'fe80::1%eth0', true],
    [['0.0.0.0/0'], '203.0.113.9', true],
    [[' 10.0.0.1 '], '10.0.0.1', true],
    [[], '127.0.0.1', false],
    [['127.0.0.1'], 'not-an-ip', false],
    [['127.0.0.1'], '', false],
  ];
  it.each(cases)('%j matches %s: %s', (entries, ip, expected) => {
    expect(compileIpMatcher(entries)(ip)).toBe(expected);
  });

  it.each([
    ['10.0.0.0/33', /"10\.0\.0\.0\/33" has an invalid prefix length/],
    ['::/129', /"::\/129" has an invalid prefix length/],
    ['10.0.0.0/', /invalid prefix length/],
    ['10.0.0.0/x', /invalid prefix length/],
    ['example.com', /"example\.com" is not an IP address or CIDR range/],
    ['10.0.0.256', /"10\.0\.0\.256" is not an IP/],
  ])('rejects %s naming the entry', (entry, message) => {
    expect(() => compileIpMatcher(['127.0.0.1', entry])).toThrow(message);
  });
});
