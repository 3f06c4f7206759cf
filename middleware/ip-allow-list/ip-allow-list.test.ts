import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import type { IpAllowListSchema } from '../../config/middlewares/ip-allow-list.ts';
import { silentLogger } from '../../core/log.ts';
import { compileIpMatcher } from '../../core/net/ip-matcher.ts';
import { fakeRequest, runMiddleware } from '../../test/helpers/middleware.ts';
import { systemClock } from '../clock.ts';
import type { MiddlewareContext } from '../middleware.ts';
import { ipAllowList, ipWhiteList, isAuthorized } from './ip-allow-list.ts';

type Options = z.infer<typeof IpAllowListSchema>;

const context = (logger = silentLogger()): MiddlewareContext => ({
  name: 'allow@file',
  router: undefined,
  resolve: () => {
    throw new Error('no references');
  },
  logger,
  clock: systemClock,
});

const TEXT = { 'content-type': 'text/plain; charset=utf-8' };

describe('ipAllowList', () => {
  const cases: Array<{
    name: string;
    options: Options;
    peer?: string;
    xff?: string;
    method?: string;
    expected: { passed: boolean; status: number; headers?: Record<string, unknown> };
  }> = [
    {
      name: 'peer in an IPv4 range',
      options: { sourceRange: ['127.0.0.0/8'] },
      expected: { passed: true, status: 200 },
    },
    {
      name: 'peer exact IPv4',
      options: { sourceRange: ['10.0.0.1', '127.0.0.1'] },
      expected: { passed: true, status: 200 },
    },
    {
      name: 'peer outside: 403 Forbidden',
      options: { sourceRange: ['10.0.0.0/8'] },
      expected: { passed: false, status: 403, headers: { ...TEXT, 'content-length': 9 } },
    },
    {
      name: 'X-Forwarded-For is not looked at without ipStrategy',
      options: { sourceRange: ['10.0.0.0/8'] },
      xff: '10.0.0.1',
      expected: { passed: false, status: 403, headers: { ...TEXT, 'content-length': 9 } },
    },
    {
      name: 'peer IPv6',
      options: { sourceRange: ['::1'] },
      peer: '::1',
      expected: { passed: true, status: 200 },
    },
    {
      name: 'peer IPv6 range with zone',
      options: { sourceRange: ['fe80::/10'] },
      peer: 'fe80::1%lo',
      expected: { passed: true, status: 200 },
    },
    {
      name: 'peer IPv6 outside',
      options: { sourceRange: ['fd00::/8'] },
      peer: '::1',
      expected: { passed: false, status: 403, headers: { ...TEXT, 'content-length': 9 } },
    },
    {
      name: 'peer IPv6 masked by ipv6Subnet before matching',
      options: { sourceRange: ['2001:db8:1:2::'], ipStrategy: { ipv6Subnet: 64 } },
      peer: '2001:db8:1:2:aaaa::9',
      expected: { passed: true, status: 200 },
    },
    {
      name: 'custom rejectStatusCode and its Go text',
      options: { sourceRange: ['10.0.0.0/8'], rejectStatusCode: 404 },
      expected: { passed: false, status: 404, headers: { ...TEXT, 'content-length': 9 } },
    },
    {
      name: 'rejectStatusCode 418 with Go wording',
      options: { sourceRange: ['10.0.0.0/8'], rejectStatusCode: 418 },
      expected: { passed: false, status: 418, headers: { ...TEXT, 'content-length': 12 } },
    },
    {
      name: 'rejectStatusCode 0 is the default 403',
      options: { sourceRange: ['10.0.0.0/8'], rejectStatusCode: 0 },
      expected: { passed: false, status: 403, headers: { ...TEXT, 'content-length': 9 } },
    },
    {
      name: 'rejectStatusCode 204 has no body',
      options: { sourceRange: ['10.0.0.0/8'], rejectStatusCode: 204 },
      expected: { passed: false, status: 204, headers: {} },
    },
    {
      name: 'HEAD gets the head of the refusal',
      options: { sourceRange: ['10.0.0.0/8'] },
      method: 'HEAD',
      expected: { passed: false, status: 403, headers: { ...TEXT, 'content-length': 9 } },
    },
    {
      name: 'depth 1: the last X-Forwarded-For entry',
      options: { sourceRange: ['192.0.2.0/24'], ipStrategy: { depth: 1 } },
      xff: '10.0.0.1, 192.0.2.7',
      expected: { passed: true, status: 200 },
    },
    {
      name: 'depth 2: a spoofable entry further left is not in the range',
      options: { sourceRange: ['192.0.2.0/24'], ipStrategy: { depth: 2 } },
      xff: '10.0.0.1, 192.0.2.7',
      expected: { passed: false, status: 403, headers: { ...TEXT, 'content-length': 9 } },
    },
    {
      name: 'depth beyond the entries: refused even with the peer allowed',
      options: { sourceRange: ['127.0.0.1', '192.0.2.0/24'], ipStrategy: { depth: 3 } },
      xff: '192.0.2.1, 192.0.2.7',
      expected: { passed: false, status: 403, headers: { ...TEXT, 'content-length': 9 } },
    },
    {
      name: 'depth with no header: refused',
      options: { sourceRange: ['0.0.0.0/0', '::/0'], ipStrategy: { depth: 1 } },
      expected: { passed: false, status: 403, headers: { ...TEXT, 'content-length': 9 } },
    },
    {
      name: 'depth entry with a port: the port is dropped, as Go does',
      options: { sourceRange: ['192.0.2.7'], ipStrategy: { depth: 1 } },
      xff: '192.0.2.7:4711',
      expected: { passed: true, status: 200 },
    },
    {
      name: 'depth entry bracketed IPv6 with a port',
      options: { sourceRange: ['2001:db8::/32'], ipStrategy: { depth: 1 } },
      xff: '[2001:db8::5]:4711',
      expected: { passed: true, status: 200 },
    },
    {
      name: 'depth entry masked by ipv6Subnet',
      options: { sourceRange: ['2001:db8:1::'], ipStrategy: { depth: 1, ipv6Subnet: 48 } },
      xff: '2001:db8:1:77::5',
      expected: { passed: true, status: 200 },
    },
    {
      name: 'excludedIPs: skips the proxies from the right',
      options: { sourceRange: ['198.51.100.0/24'], ipStrategy: { excludedIPs: ['10.0.0.0/8', '192.0.2.7'] } },
      xff: '203.0.113.1, 198.51.100.4, 10.0.0.3, 192.0.2.7',
      expected: { passed: true, status: 200 },
    },
    {
      name: 'excludedIPs: every entry excluded is refused',
      options: { sourceRange: ['0.0.0.0/0'], ipStrategy: { excludedIPs: ['10.0.0.0/8'] } },
      xff: '10.0.0.3',
      expected: { passed: false, status: 403, headers: { ...TEXT, 'content-length': 9 } },
    },
    {
      name: 'an X-Forwarded-For entry that is no IP is refused',
      options: { sourceRange: ['0.0.0.0/0', '::/0'], ipStrategy: { depth: 1 } },
      xff: 'unknown',
      expected: { passed: false, status: 403, headers: { ...TEXT, 'content-length': 9 } },
    },
  ];
  it.each(cases)('$name', async ({ options, peer, xff, method, expected }) => {
    const runtime = ipAllowList.create(options, context());
    const req = fakeRequest('/', {
      ...(peer !== undefined && { clientIp: peer }),
      ...(xff !== undefined && { headers: { 'x-forwarded-for': xff } }),
      ...(method !== undefined && { method }),
    });
    const run = await runMiddleware(runtime.wrap, req);
    const headers = Object.fromEntries(Object.entries(run.response.headers).filter(([k]) => k !== 'date'));
    expect({
      passed: run.next !== undefined,
      status: run.response.status,
      ...(!run.next && { headers }),
    }).toEqual(expected);
  });

  it.each([
    [{}, 'sourceRange is empty: list the allowed IPs or CIDR ranges, e.g. 10.0.0.0/8'],
    [{ sourceRange: [] }, 'sourceRange is empty: list the allowed IPs or CIDR ranges, e.g. 10.0.0.0/8'],
    [
      { sourceRange: ['10.0.0.0/8', 'intranet'] },
      'sourceRange: "intranet" is not an IP address or CIDR range',
    ],
    [
      { sourceRange: ['10.0.0.0/33'] },
      'sourceRange: "10.0.0.0/33" has an invalid prefix length "/33" (0 to 32 for IPv4)',
    ],
    [{ sourceRange: ['1.2.3.4'], rejectStatusCode: 999 }, 'rejectStatusCode 999 is not a usable HTTP status'],
    [{ sourceRange: ['1.2.3.4'], rejectStatusCode: 306 }, 'rejectStatusCode 306 is not a usable HTTP status'],
    [{ sourceRange: ['1.2.3.4'], rejectStatusCode: 100 }, 'rejectStatusCode 100 is not a usable HTTP status'],
    [
      { sourceRange: ['1.2.3.4'], rejectStatusCode: -403 },
      'rejectStatusCode -403 is not a usable HTTP status',
    ],
    [{ sourceRange: ['1.2.3.4'], ipStrategy: { ipv6Subnet: 200 } }, 'ipStrategy.ipv6Subnet 200 is invalid'],
    [
      { sourceRange: ['1.2.3.4'], ipStrategy: { excludedIPs: ['x'] } },
      'ipStrategy.excludedIPs: "x" is not an IP',
    ],
  ] as Array<[Options, string]>)('refuses %j', (options, message) => {
    expect(() => ipAllowList.create(options, context())).toThrow(message);
  });

  it('logs once what the chosen ipStrategy does not use', () => {
    const lines: Array<Record<string, unknown>> = [];
    const logger = pino({ level: 'warn' }, { write: (s: string) => lines.push(JSON.parse(s)) });
    ipAllowList.create(
      { sourceRange: ['1.2.3.4'], ipStrategy: { depth: 1, excludedIPs: ['10.0.0.1'] } },
      context(logger),
    );
    expect(lines.map((l) => [l.level, l.middleware, l.msg])).toEqual([
      [40, 'allow@file', 'excludedIPs is not used when depth is set (as in Traefik)'],
    ]);
  });
});

describe('ipWhiteList', () => {
  it('checks like ipAllowList and always answers 403', async () => {
    const allowed = ipWhiteList.create({ sourceRange: ['127.0.0.1'] }, context());
    expect((await runMiddleware(allowed.wrap, fakeRequest('/'))).next).toBeDefined();
    const strategy = ipWhiteList.create({ sourceRange: ['192.0.2.1'], ipStrategy: { depth: 1 } }, context());
    const via = fakeRequest('/', { headers: { 'x-forwarded-for': '192.0.2.1' } });
    expect((await runMiddleware(strategy.wrap, via)).next).toBeDefined();
    const refused = ipWhiteList.create({ sourceRange: ['10.0.0.0/8'] }, context());
    expect((await runMiddleware(refused.wrap, fakeRequest('/'))).response.status).toBe(403);
    expect(() => ipWhiteList.create({ sourceRange: [] }, context())).toThrow('sourceRange is empty');
  });
});

describe('isAuthorized (Traefik Checker.IsAuthorized)', () => {
  const allowed = compileIpMatcher(['192.0.2.0/24', '2001:db8::/32']);
  it.each([
    ['192.0.2.1', true],
    ['192.0.2.1:80', true],
    ['192.0.2.1:', true],
    ['[2001:db8::1]:80', true],
    ['2001:db8::1', true],
    ['[2001:db8::1]', false],
    ['', false],
    ['192.0.3.1', false],
    ['192.0.2.1:80:90', false],
  ])('%j: %s', (ip, expected) => {
    expect(isAuthorized(allowed, ip)).toBe(expected);
  });
});
