import { describe, expect, it } from 'vitest';
import { fakeRequest } from '../test/helpers/middleware.ts';
import { clientIpOf, compileIpStrategy, type IpStrategyOptions } from './ip-strategy.ts';

describe('compileIpStrategy', () => {
  // Expected values follow Traefik's pkg/ip/strategy.go and IPStrategy.Get.
  const cases: Array<{
    name: string;
    options: IpStrategyOptions | undefined;
    peer?: string;
    xff?: string;
    expected: string;
    kind: string;
  }> = [
    { name: 'no strategy: the peer', options: undefined, xff: '1.1.1.1', expected: '10.0.0.9', kind: 'peer' },
    { name: 'empty strategy: the peer', options: {}, expected: '10.0.0.9', kind: 'peer' },
    {
      name: 'depth 0 and no excludedIPs: the peer',
      options: { depth: 0, excludedIPs: [] },
      expected: '10.0.0.9',
      kind: 'peer',
    },
    {
      name: 'peer masked by ipv6Subnet',
      options: { ipv6Subnet: 64 },
      peer: '2001:db8:1:2:3:4:5:6',
      expected: '2001:db8:1:2::',
      kind: 'peer',
    },
    { name: 'peer IPv4 not masked', options: { ipv6Subnet: 64 }, expected: '10.0.0.9', kind: 'peer' },
    { name: 'peer with a zone', options: {}, peer: 'fe80::1%eth0', expected: 'fe80::1%eth0', kind: 'peer' },
    {
      name: 'depth 1: the last entry',
      options: { depth: 1 },
      xff: '1.1.1.1, 2.2.2.2, 3.3.3.3',
      expected: '3.3.3.3',
      kind: 'depth',
    },
    {
      name: 'depth 2',
      options: { depth: 2 },
      xff: '1.1.1.1, 2.2.2.2, 3.3.3.3',
      expected: '2.2.2.2',
      kind: 'depth',
    },
    {
      name: 'depth = entries: the first',
      options: { depth: 3 },
      xff: '1.1.1.1,2.2.2.2,3.3.3.3',
      expected: '1.1.1.1',
      kind: 'depth',
    },
    {
      name: 'depth > entries: none',
      options: { depth: 4 },
      xff: '1.1.1.1, 2.2.2.2, 3.3.3.3',
      expected: '',
      kind: 'depth',
    },
    { name: 'depth without the header: none', options: { depth: 1 }, expected: '', kind: 'depth' },
    { name: 'depth 2 without the header: none', options: { depth: 2 }, expected: '', kind: 'depth' },
    {
      name: 'depth picks an empty entry: none',
      options: { depth: 2 },
      xff: '1.1.1.1,,3.3.3.3',
      expected: '',
      kind: 'depth',
    },
    {
      name: 'depth keeps what is not an IP',
      options: { depth: 1 },
      xff: '1.1.1.1, unknown',
      expected: 'unknown',
      kind: 'depth',
    },
    {
      name: 'depth wins over excludedIPs',
      options: { depth: 1, excludedIPs: ['3.3.3.3'] },
      xff: '1.1.1.1, 3.3.3.3',
      expected: '3.3.3.3',
      kind: 'depth',
    },
    {
      name: 'depth masked by ipv6Subnet',
      options: { depth: 1, ipv6Subnet: 48 },
      xff: '1.1.1.1, 2001:db8:1:2::7',
      expected: '2001:db8:1::',
      kind: 'depth',
    },
    {
      name: 'excludedIPs: first from the right not excluded',
      options: { excludedIPs: ['3.3.3.3', '10.0.0.0/8'] },
      xff: '1.1.1.1, 2.2.2.2, 10.1.1.1, 3.3.3.3',
      expected: '2.2.2.2',
      kind: 'excludedIPs',
    },
    {
      name: 'excludedIPs: none excluded gives the last',
      options: { excludedIPs: ['9.9.9.9'] },
      xff: '1.1.1.1, 2.2.2.2',
      expected: '2.2.2.2',
      kind: 'excludedIPs',
    },
    {
      name: 'excludedIPs: all excluded gives none',
      options: { excludedIPs: ['1.1.1.1', '2.2.2.2'] },
      xff: '1.1.1.1, 2.2.2.2',
      expected: '',
      kind: 'excludedIPs',
    },
    {
      name: 'excludedIPs: empty entries skipped',
      options: { excludedIPs: ['2.2.2.2'] },
      xff: '1.1.1.1, ,2.2.2.2,',
      expected: '1.1.1.1',
      kind: 'excludedIPs',
    },
    {
      name: 'excludedIPs: without the header, none',
      options: { excludedIPs: ['2.2.2.2'] },
      expected: '',
      kind: 'excludedIPs',
    },
    {
      name: 'excludedIPs: IPv6 ranges',
      options: { excludedIPs: ['2001:db8::/32'] },
      xff: 'fd00::1, 2001:db8::5',
      expected: 'fd00::1',
      kind: 'excludedIPs',
    },
    {
      name: 'excludedIPs: ipv6Subnet not applied',
      options: { excludedIPs: ['1.1.1.1'], ipv6Subnet: 64 },
      xff: '2001:db8:1:2::7',
      expected: '2001:db8:1:2::7',
      kind: 'excludedIPs',
    },
    {
      name: 'excludedIPs: ipv6Subnet not checked either',
      options: { excludedIPs: ['1.1.1.1'], ipv6Subnet: 0 },
      xff: '2.2.2.2',
      expected: '2.2.2.2',
      kind: 'excludedIPs',
    },
  ];
  it.each(cases)('$name', ({ options, peer, xff, expected, kind }) => {
    const strategy = compileIpStrategy(options);
    expect({ kind: strategy.kind, ip: strategy.select(peer ?? '10.0.0.9', xff) }).toEqual({
      kind,
      ip: expected,
    });
  });

  it.each([
    [{ ipv6Subnet: 0 }, 'ipStrategy.ipv6Subnet 0 is invalid: give a prefix length from 1 to 128, e.g. 64'],
    [
      { ipv6Subnet: 129 },
      'ipStrategy.ipv6Subnet 129 is invalid: give a prefix length from 1 to 128, e.g. 64',
    ],
    [
      { depth: 1, ipv6Subnet: -1 },
      'ipStrategy.ipv6Subnet -1 is invalid: give a prefix length from 1 to 128, e.g. 64',
    ],
    [
      { excludedIPs: ['10.0.0.0/40'] },
      'ipStrategy.excludedIPs: "10.0.0.0/40" has an invalid prefix length "/40" (0 to 32 for IPv4)',
    ],
  ] as Array<[IpStrategyOptions, string]>)('refuses %j', (options, message) => {
    expect(() => compileIpStrategy(options)).toThrow(message);
  });

  it('says which options the chosen strategy does not use', () => {
    expect(compileIpStrategy({ depth: 2, excludedIPs: ['1.1.1.1'] }).ignored).toEqual([
      'excludedIPs is not used when depth is set (as in Traefik)',
    ]);
    expect(compileIpStrategy({ excludedIPs: ['1.1.1.1'], ipv6Subnet: 64 }).ignored).toEqual([
      'ipv6Subnet is not used with excludedIPs (as in Traefik)',
    ]);
    expect(compileIpStrategy({ depth: 1, ipv6Subnet: 64 }).ignored).toEqual([]);
  });
});

describe('clientIpOf', () => {
  it('reads the peer from the request state and X-Forwarded-For from the headers', () => {
    const req = fakeRequest('/', { headers: { 'x-forwarded-for': '1.1.1.1, 2.2.2.2' } });
    expect(clientIpOf(compileIpStrategy(undefined).select, req)).toBe('127.0.0.1');
    expect(clientIpOf(compileIpStrategy({ depth: 2 }).select, req)).toBe('1.1.1.1');
  });
});
