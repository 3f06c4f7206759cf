import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import type { ErrorCode } from '../../config/errors.ts';
import { type MatchRequest, normalizeIp, toMatchRequest } from './match-request.ts';
import { compileRule, compileRuleText } from './rule-matcher.ts';

const req = (over: Partial<MatchRequest> = {}): MatchRequest => ({
  host: 'example.com',
  path: '/',
  rawQuery: '',
  method: 'GET',
  headers: {},
  clientIp: '192.0.2.1',
  ...over,
});

const matches = (rule: string, r: MatchRequest): boolean => {
  const c = compileRuleText(rule);
  if (!c.ok) throw new Error(c.message);
  return c.matcher(r);
};

describe('compileRuleText: matching', () => {
  const cases: Array<{ rule: string; request: Partial<MatchRequest>; expected: boolean }> = [
    // Host: exact, case-insensitive, trailing dots, wildcards
    { rule: 'Host(`example.com`)', request: { host: 'example.com' }, expected: true },
    { rule: 'Host(`EXAMPLE.com`)', request: { host: 'example.com' }, expected: true },
    { rule: 'Host(`example.com`)', request: { host: 'other.com' }, expected: false },
    { rule: 'Host(`example.com`)', request: { host: 'www.example.com' }, expected: false },
    { rule: 'Host(`example.com`)', request: { host: 'example.com.' }, expected: true },
    { rule: 'Host(`example.com.`)', request: { host: 'example.com' }, expected: true },
    { rule: 'Host(`example.com`)', request: { host: '' }, expected: false },
    { rule: 'Host(`*.example.com`)', request: { host: 'a.example.com' }, expected: true },
    { rule: 'Host(`*.EXAMPLE.com`)', request: { host: 'a.example.com' }, expected: true },
    { rule: 'Host(`*.example.com`)', request: { host: 'a.example.com.' }, expected: true },
    { rule: 'Host(`*.example.com`)', request: { host: 'example.com' }, expected: false },
    { rule: 'Host(`*.example.com`)', request: { host: 'a.b.example.com' }, expected: false },
    { rule: 'Host(`*.example.com`)', request: { host: '.example.com' }, expected: false },
    { rule: 'Host(`*.example.com`)', request: { host: 'aexample.com' }, expected: false },
    { rule: 'Host(`*.example.com`)', request: { host: 'a.example.org' }, expected: false },
    { rule: 'Host(`*`)', request: { host: 'anything.test' }, expected: true },
    { rule: 'Host(`*`)', request: { host: '' }, expected: false },
    { rule: 'Host(`::1`)', request: { host: '::1' }, expected: true },
    // HostRegexp: unanchored unless written so; case-sensitive on the lower-cased host (Traefik v3)
    { rule: 'HostRegexp(`^[a-z]+\\.example\\.com$`)', request: { host: 'api.example.com' }, expected: true },
    { rule: 'HostRegexp(`^[a-z]+\\.example\\.com$`)', request: { host: 'example.com' }, expected: false },
    { rule: 'HostRegexp(`example`)', request: { host: 'www.example.org' }, expected: true },
    { rule: 'HostRegexp(`^API\\.`)', request: { host: 'api.example.com' }, expected: false },
    { rule: 'HostRegexp(`(?i)^api$`)', request: { host: 'api' }, expected: true },
    // Path: exact, on the routing path (decoded except reserved characters)
    { rule: 'Path(`/a`)', request: { path: '/a' }, expected: true },
    { rule: 'Path(`/a`)', request: { path: '/a/' }, expected: false },
    { rule: 'Path(`/a`)', request: { path: '/ab' }, expected: false },
    { rule: 'Path(`/a b`)', request: { path: '/a%20b' }, expected: true },
    { rule: 'Path(`/café`)', request: { path: '/caf%C3%A9' }, expected: true },
    { rule: 'Path(`/a/b`)', request: { path: '/a%2Fb' }, expected: false },
    { rule: 'Path(`/a%2Fb`)', request: { path: '/a%2fb' }, expected: true },
    { rule: 'Path(`/100%`)', request: { path: '/100%' }, expected: true },
    { rule: 'Path(`/a%zz`)', request: { path: '/a%zz' }, expected: true },
    { rule: 'Path(`/a%FF`)', request: { path: '/a%FF' }, expected: true },
    // PathPrefix: plain string prefix
    { rule: 'PathPrefix(`/products`)', request: { path: '/products-for-sale' }, expected: true },
    { rule: 'PathPrefix(`/products`)', request: { path: '/products/1' }, expected: true },
    { rule: 'PathPrefix(`/products`)', request: { path: '/product' }, expected: false },
    { rule: 'PathPrefix(`/api`)', request: { path: '/%61pi/x' }, expected: true },
    // PathRegexp, with Go syntax translated
    { rule: 'PathRegexp(`^/users/[0-9]+$`)', request: { path: '/users/42' }, expected: true },
    { rule: 'PathRegexp(`^/users/[0-9]+$`)', request: { path: '/users/x' }, expected: false },
    { rule: 'PathRegexp(`\\.php`)', request: { path: '/index.php' }, expected: true },
    { rule: 'PathRegexp(`\\Aa`)', request: { path: 'a/' }, expected: true },
    { rule: 'PathRegexp(`^/a\\z`)', request: { path: '/a' }, expected: true },
    { rule: 'PathRegexp(`^/a\\z`)', request: { path: '/ab' }, expected: false },
    { rule: 'PathRegexp(`^/[[:digit:]]+$`)', request: { path: '/123' }, expected: true },
    { rule: 'PathRegexp(`^/[[:digit:]]+$`)', request: { path: '/12a' }, expected: false },
    { rule: 'PathRegexp(`^/(?P<id>\\d+)$`)', request: { path: '/7' }, expected: true },
    { rule: 'PathRegexp(`^\\Q/a.b\\E$`)', request: { path: '/a.b' }, expected: true },
    { rule: 'PathRegexp(`^\\Q/a.b\\E$`)', request: { path: '/axb' }, expected: false },
    { rule: 'PathRegexp(`^/[]a]$`)', request: { path: '/]' }, expected: true },
    { rule: 'PathRegexp(`^/\\x{41}$`)', request: { path: '/A' }, expected: true },
    { rule: 'PathRegexp(`^/(?i:ab)c$`)', request: { path: '/ABc' }, expected: true },
    { rule: 'PathRegexp(`^/a(?i)b$`)', request: { path: '/aB' }, expected: true },
    { rule: 'PathRegexp(`^/\\pL+$`)', request: { path: '/caf%C3%A9' }, expected: true },
    { rule: 'PathRegexp(`^/(?U)a+`)', request: { path: '/aa' }, expected: true },
    { rule: 'PathRegexp(`^/\\x{1F600}$`)', request: { path: '/%F0%9F%98%80' }, expected: true },
    // linear time: inputs that took seconds with backtracking RegExp (a hang fails by the test timeout)
    { rule: 'PathRegexp(`^/(a+)+$`)', request: { path: `/${'a'.repeat(30)}!` }, expected: false },
    {
      rule: 'HostRegexp(`^([a-z0-9]+-?)+\\.example\\.com$`)',
      request: { host: 'a'.repeat(30) },
      expected: false,
    },
    {
      rule: 'HeaderRegexp(`X`, `^(a|aa)+$`)',
      request: { headers: { x: `${'a'.repeat(60)}!` } },
      expected: false,
    },
    { rule: 'QueryRegexp(`q`, `^(a+)+$`)', request: { rawQuery: `q=${'a'.repeat(40)}!` }, expected: false },
    { rule: 'PathRegexp(`^/(?i:ab)c$`)', request: { path: '/ABC' }, expected: false },
    // Method
    { rule: 'Method(`get`)', request: { method: 'GET' }, expected: true },
    { rule: 'Method(`POST`)', request: { method: 'GET' }, expected: false },
    // Header, HeaderRegexp: name case-insensitive, value exact
    { rule: 'Header(`X-Env`, `prod`)', request: { headers: { 'x-env': 'prod' } }, expected: true },
    { rule: 'Header(`X-Env`, `prod`)', request: { headers: { 'x-env': 'Prod' } }, expected: false },
    { rule: 'Header(`X-Env`, `prod`)', request: { headers: {} }, expected: false },
    {
      rule: 'Header(`Set-Cookie`, `a=1`)',
      request: { headers: { 'set-cookie': ['b=2', 'a=1'] } },
      expected: true,
    },
    {
      rule: 'HeaderRegexp(`User-Agent`, `(?i)curl`)',
      request: { headers: { 'user-agent': 'CURL/8' } },
      expected: true,
    },
    { rule: 'HeaderRegexp(`X-A`, `^b`)', request: { headers: { 'x-a': 'ab' } }, expected: false },
    { rule: 'HeaderRegexp(`X-A`, `^b`)', request: { headers: {} }, expected: false },
    {
      rule: 'HeaderRegexp(`Set-Cookie`, `^a=`)',
      request: { headers: { 'set-cookie': ['b=2', 'a=1'] } },
      expected: true,
    },
    // A repeated header line: each value separately (Go's Header), not Node's ", "-joined string
    ...[
      { rule: 'Header(`X-A`, `c`)', expected: true },
      { rule: 'Header(`X-A`, `a, b`)', expected: true },
      { rule: 'Header(`X-A`, `a, b, c`)', expected: false },
      { rule: 'HeaderRegexp(`X-A`, `^c$`)', expected: true },
      { rule: 'HeaderRegexp(`X-A`, `b, c`)', expected: false },
    ].map((c) => ({
      ...c,
      request: { headers: { 'x-a': 'a, b, c' }, source: { headersDistinct: { 'x-a': ['a, b', 'c'] } } },
    })),
    // Query: Go's url.ParseQuery; one argument means "present with an empty value"
    { rule: 'Query(`mobile`)', request: { rawQuery: 'mobile' }, expected: true },
    { rule: 'Query(`mobile`)', request: { rawQuery: 'x=1&mobile=' }, expected: true },
    { rule: 'Query(`mobile`)', request: { rawQuery: 'mobile=true' }, expected: false },
    { rule: 'Query(`mobile`)', request: { rawQuery: 'x=1' }, expected: false },
    { rule: 'Query(`mobile`)', request: { rawQuery: '' }, expected: false },
    { rule: 'Query(`a`, `1`)', request: { rawQuery: 'a=2&a=1' }, expected: true },
    { rule: 'Query(`a`, `1`)', request: { rawQuery: 'a=2' }, expected: false },
    { rule: 'Query(`a`, `1`)', request: { rawQuery: 'b=1' }, expected: false },
    { rule: 'Query(`a`, `1`)', request: { rawQuery: 'aa=1' }, expected: false },
    { rule: 'Query(`q`, `a b`)', request: { rawQuery: 'q=a+b' }, expected: true },
    { rule: 'Query(`q`, `a b`)', request: { rawQuery: 'q=a%20b' }, expected: true },
    { rule: 'Query(`a b`, `1`)', request: { rawQuery: 'a+b=1' }, expected: true },
    { rule: 'Query(`a`, `1=2`)', request: { rawQuery: 'a=1=2' }, expected: true },
    { rule: 'Query(`a`, `1`)', request: { rawQuery: 'a=1;b=2' }, expected: false },
    { rule: 'Query(`a`, `1`)', request: { rawQuery: 'x=1;y&a=1' }, expected: true },
    { rule: 'Query(`a`, `1`)', request: { rawQuery: 'a=%zz&a=1' }, expected: true },
    { rule: 'Query(`a`, `1`)', request: { rawQuery: 'a=%zz' }, expected: false },
    { rule: 'QueryRegexp(`id`, `^[0-9]+$`)', request: { rawQuery: 'id=x&id=42' }, expected: true },
    { rule: 'QueryRegexp(`id`, `^[0-9]+$`)', request: { rawQuery: 'id=x' }, expected: false },
    { rule: 'QueryRegexp(`flag`)', request: { rawQuery: 'flag' }, expected: true },
    { rule: 'QueryRegexp(`flag`)', request: { rawQuery: 'flag=1' }, expected: false },
    // ClientIP: IPv4, IPv6, CIDR
    { rule: 'ClientIP(`192.0.2.1`)', request: { clientIp: '192.0.2.1' }, expected: true },
    { rule: 'ClientIP(`192.0.2.1`)', request: { clientIp: '192.0.2.2' }, expected: false },
    { rule: 'ClientIP(`192.0.2.1`)', request: { clientIp: '::ffff:192.0.2.1' }, expected: true },
    { rule: 'ClientIP(`10.0.0.0/8`)', request: { clientIp: '10.200.3.4' }, expected: true },
    { rule: 'ClientIP(`10.0.0.0/8`)', request: { clientIp: '11.0.0.1' }, expected: false },
    { rule: 'ClientIP(`10.0.0.1/8`)', request: { clientIp: '10.9.9.9' }, expected: true },
    { rule: 'ClientIP(`192.0.2.128/25`)', request: { clientIp: '192.0.2.127' }, expected: false },
    { rule: 'ClientIP(`192.0.2.128/25`)', request: { clientIp: '192.0.2.200' }, expected: true },
    { rule: 'ClientIP(`0.0.0.0/0`)', request: { clientIp: '8.8.8.8' }, expected: true },
    { rule: 'ClientIP(`0.0.0.0/0`)', request: { clientIp: '::1' }, expected: false },
    { rule: 'ClientIP(`::1`)', request: { clientIp: '::1' }, expected: true },
    { rule: 'ClientIP(`::1`)', request: { clientIp: '0:0:0:0:0:0:0:1' }, expected: true },
    { rule: 'ClientIP(`::1`)', request: { clientIp: '127.0.0.1' }, expected: false },
    { rule: 'ClientIP(`2001:db8::/32`)', request: { clientIp: '2001:db8:1::5' }, expected: true },
    { rule: 'ClientIP(`2001:DB8::/32`)', request: { clientIp: '2001:db9::1' }, expected: false },
    { rule: 'ClientIP(`fe80::/10`)', request: { clientIp: 'fe80::1%eth0' }, expected: true },
    { rule: 'ClientIP(`::ffff:192.0.2.0/120`)', request: { clientIp: '192.0.2.5' }, expected: true },
    { rule: 'ClientIP(`10.0.0.0/8`)', request: { clientIp: 'not-an-ip' }, expected: false },
    // Go's IPNet.Contains: an IPv6 range (not IPv4-mapped) holds no IPv4 address
    { rule: 'ClientIP(`::/0`)', request: { clientIp: '127.0.0.1' }, expected: false },
    { rule: 'ClientIP(`::/0`)', request: { clientIp: '::1' }, expected: true },
    { rule: 'ClientIP(`10.0.0.0/8`)', request: { clientIp: '10.0.0.1%eth0' }, expected: false },
    // Operators
    {
      rule: 'Host(`a.com`) && !PathPrefix(`/admin`)',
      request: { host: 'a.com', path: '/admin/x' },
      expected: false,
    },
    {
      rule: 'Host(`a.com`) && !PathPrefix(`/admin`)',
      request: { host: 'a.com', path: '/x' },
      expected: true,
    },
    { rule: '(Method(`GET`) || Method(`HEAD`)) && Path(`/`)', request: { method: 'HEAD' }, expected: true },
    { rule: '(Method(`GET`) || Method(`HEAD`)) && Path(`/`)', request: { method: 'POST' }, expected: false },
    { rule: 'Path(`/a`) || Path(`/b`) && Method(`POST`)', request: { path: '/a' }, expected: true },
    { rule: 'Path(`/a`) || Path(`/b`) && Method(`POST`)', request: { path: '/b' }, expected: false },
    { rule: '(Path(`/a`) || Path(`/b`)) && Method(`POST`)', request: { path: '/a' }, expected: false },
    { rule: '!(Path(`/a`) || Path(`/b`))', request: { path: '/c' }, expected: true },
    { rule: '!(Path(`/a`) || Path(`/b`))', request: { path: '/a' }, expected: false },
    { rule: '!!Path(`/a`)', request: { path: '/a' }, expected: true },
    { rule: 'Header("X-Q", "say \\"hi\\"")', request: { headers: { 'x-q': 'say "hi"' } }, expected: true },
  ];
  for (const c of cases) {
    it(`${c.rule} on ${JSON.stringify(c.request)}`, () => {
      expect(matches(c.rule, req(c.request))).toBe(c.expected);
    });
  }
});

describe('compileRuleText: invalid arguments', () => {
  const cases: Array<{ rule: string; code: ErrorCode; says: string }> = [
    { rule: 'PathRegexp(`(`)', code: 'RULE_BAD_REGEXP', says: 'invalid regular expression `(`:' },
    { rule: 'Host(`a`) && HostRegexp(`[a-`)', code: 'RULE_BAD_REGEXP', says: '`[a-`' },
    { rule: 'HeaderRegexp(`X`, `a(`)', code: 'RULE_BAD_REGEXP', says: '`a(`' },
    { rule: 'QueryRegexp(`k`, `*`)', code: 'RULE_BAD_REGEXP', says: '`*`' },
    { rule: 'PathRegexp(`^/(?=x)`)', code: 'RULE_BAD_REGEXP', says: 'lookaround' },
    { rule: 'PathRegexp(`(a)\\1`)', code: 'RULE_BAD_REGEXP', says: 'backreferences are not supported' },
    { rule: 'PathRegexp(`(?<!a)b`)', code: 'RULE_BAD_REGEXP', says: 'lookaround' },
    { rule: 'PathRegexp(`a{1001}`)', code: 'RULE_BAD_REGEXP', says: 'at most 1000 repetitions' },
    { rule: 'PathRegexp(`[[:foo:]]`)', code: 'RULE_BAD_REGEXP', says: '[:foo:]' },
    { rule: 'PathRegexp(`\\x{110000}`)', code: 'RULE_BAD_REGEXP', says: 'x{' },
    { rule: 'ClientIP(`300.1.1.1`)', code: 'RULE_BAD_IP', says: 'ClientIP "300.1.1.1" is not an IP address' },
    { rule: 'ClientIP(`10.0.0.0/33`)', code: 'RULE_BAD_IP', says: '10.0.0.0/33' },
    { rule: 'ClientIP(`::1/129`)', code: 'RULE_BAD_IP', says: '::1/129' },
    { rule: 'ClientIP(`10.0.0.0/`)', code: 'RULE_BAD_IP', says: '10.0.0.0/' },
    { rule: 'ClientIP(`example.com`)', code: 'RULE_BAD_IP', says: 'example.com' },
    { rule: 'ClientIP(`1:2:3:4:5:6:7:8:9`)', code: 'RULE_BAD_IP', says: '1:2:3:4:5:6:7:8:9' },
    { rule: 'ClientIP(`1::2::3`)', code: 'RULE_BAD_IP', says: '1::2::3' },
    { rule: 'ClientIP(`010.0.0.1`)', code: 'RULE_BAD_IP', says: '010.0.0.1' },
    { rule: 'ClientIP(`10.0.0`)', code: 'RULE_BAD_IP', says: '10.0.0' },
    { rule: 'ClientIP(`fe80::1%eth0`)', code: 'RULE_BAD_IP', says: 'fe80::1%eth0' },
    { rule: 'ClientIP(` 10.0.0.1`)', code: 'RULE_BAD_IP', says: '" 10.0.0.1"' },
    { rule: 'Path(`a`)', code: 'RULE_ARGUMENTS', says: 'Path value "a" must start with "/" at column 1' },
    {
      rule: 'Host(`a`) && PathPrefix(`x`)',
      code: 'RULE_ARGUMENTS',
      says: 'must start with "/" at column 14',
    },
    { rule: 'Host(`exämple.com`)', code: 'RULE_ARGUMENTS', says: 'must be ASCII' },
    { rule: 'HostRegexp(`exämple`)', code: 'RULE_ARGUMENTS', says: 'must be ASCII' },
    { rule: 'Host(`a.*.com`)', code: 'RULE_ARGUMENTS', says: 'wildcard "a.*.com" is not supported' },
    { rule: 'Host(`**.example.com`)', code: 'RULE_ARGUMENTS', says: 'wildcard' },
    { rule: 'Host(`*.`)', code: 'RULE_ARGUMENTS', says: 'wildcard' },
    // parse errors come through unchanged
    { rule: 'Host(`a`', code: 'RULE_SYNTAX', says: 'at column 5' },
    { rule: 'Hots(`a`)', code: 'RULE_UNKNOWN_MATCHER', says: 'did you mean "Host"?' },
  ];
  for (const c of cases) {
    it(c.rule, () => {
      const r = compileRuleText(c.rule);
      expect(r.ok ? r : { ok: r.ok, code: r.code }).toEqual({ ok: false, code: c.code });
      if (!r.ok) expect(r.message).toContain(c.says);
      if (!r.ok) expect(r.message).toContain(`rule "${c.rule}"`);
    });
  }

  it('returns the syntax tree with the matcher', () => {
    const r = compileRuleText('Path(`/`)');
    expect(r.ok && r.ast).toEqual({ type: 'matcher', name: 'Path', args: ['/'], column: 1 });
  });

  it('checks arity and empty values of hand-built syntax trees too', () => {
    const bad = compileRule({ type: 'matcher', name: 'Header', args: ['a'], column: 3 }, 'x');
    expect(bad.ok ? bad : bad.code).toBe('RULE_ARGUMENTS');
    const empty = compileRule({ type: 'matcher', name: 'Method', args: [''], column: 1 }, 'x');
    expect(empty.ok ? empty : empty.message).toBe('rule "x": Method argument 1 is empty at column 1');
  });
});

describe('compileRuleText: size limits (an error of the rule, never a stack overflow)', () => {
  const terms = (n: number) => Array.from({ length: n }, (_, i) => `Path(\`/${i}\`)`).join('||');
  const ors = terms(4000);
  it.each([
    {
      name: '10,000 parentheses',
      rule: `${'('.repeat(10_000)}Path(\`/\`)${')'.repeat(10_000)}`,
      column: 101,
    },
    { name: '10,000 !', rule: `${'!'.repeat(10_000)}Path(\`/\`)`, column: 101 },
    { name: 'over 65,536 characters', rule: `Path(\`/${'a'.repeat(70_000)}\`)`, column: 65_537 },
    { name: '6,000 || terms', rule: terms(6000), column: 65_537 },
  ])('$name: RULE_TOO_COMPLEX at column $column, quoting only the start of the rule', ({ rule, column }) => {
    const r = compileRuleText(rule);
    expect(r.ok ? r : r.code).toBe('RULE_TOO_COMPLEX');
    if (!r.ok) {
      expect(r.message).toContain(`at column ${column}; split it into several routers or simplify it`);
      expect(r.message.length).toBeLessThan(300);
    }
  });

  it('4,000 || terms (under the length limit) compile and match any of them', () => {
    expect(ors.length).toBeLessThan(65_536);
    expect(matches(ors, req({ path: '/3999' }))).toBe(true);
    expect(matches(ors, req({ path: '/0' }))).toBe(true);
    expect(matches(ors, req({ path: '/4000' }))).toBe(false);
    expect(matches(`!(${ors})`, req({ path: '/4000' }))).toBe(true);
  });
});

describe('toMatchRequest', () => {
  const cases: Array<{
    name: string;
    url: string;
    method?: string;
    headers: Record<string, string>;
    clientIp?: string;
    expected: Partial<MatchRequest>;
  }> = [
    {
      name: 'origin form with port and query',
      url: '/a/b?x=1&y',
      headers: { host: 'Example.COM:8080' },
      expected: { host: 'example.com', path: '/a/b', rawQuery: 'x=1&y' },
    },
    { name: 'no query', url: '/a%20b', headers: { host: 'h' }, expected: { path: '/a%20b', rawQuery: '' } },
    { name: 'empty query', url: '/a?', headers: { host: 'h' }, expected: { path: '/a', rawQuery: '' } },
    { name: 'IPv6 with port', url: '/', headers: { host: '[::1]:443' }, expected: { host: '::1' } },
    {
      name: 'IPv6 without port',
      url: '/',
      headers: { host: '[2001:DB8::1]' },
      expected: { host: '2001:db8::1' },
    },
    { name: 'no host (HTTP/1.0)', url: '/', headers: {}, expected: { host: '' } },
    {
      name: 'HTTP/2 :authority',
      url: '/',
      headers: { ':authority': 'H2.example:443' },
      expected: { host: 'h2.example' },
    },
    {
      name: 'absolute form wins over Host',
      url: 'http://Proxy.example:80/p?q',
      headers: { host: 'other' },
      expected: { host: 'proxy.example', path: '/p', rawQuery: 'q' },
    },
    {
      name: 'absolute form with userinfo and no path',
      url: 'http://u:p@h.example?x',
      headers: {},
      expected: { host: 'h.example', path: '/', rawQuery: 'x' },
    },
    {
      name: 'asterisk form',
      url: '*',
      method: 'OPTIONS',
      headers: { host: 'h' },
      expected: { path: '*', method: 'OPTIONS' },
    },
    { name: 'method upper-cased', url: '/', method: 'get', headers: {}, expected: { method: 'GET' } },
    {
      name: 'client IP unwrapped',
      url: '/',
      headers: {},
      clientIp: '::ffff:10.0.0.1',
      expected: { clientIp: '10.0.0.1' },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const message = {
        url: c.url,
        method: c.method ?? 'GET',
        headers: c.headers,
      } as unknown as IncomingMessage;
      const r = toMatchRequest(message, c.clientIp ?? '127.0.0.1');
      expect(r).toMatchObject(c.expected);
      expect(r.headers).toBe(c.headers);
    });
  }

  it('normalizeIp unwraps only IPv4-mapped addresses', () => {
    const inputs = ['::ffff:1.2.3.4', '::FFFF:1.2.3.4', '::1', '1.2.3.4', '::ffff:abcd', 'fe80::1%eth0', ''];
    expect(inputs.map(normalizeIp)).toEqual([
      '1.2.3.4',
      '1.2.3.4',
      '::1',
      '1.2.3.4',
      '::ffff:abcd',
      'fe80::1%eth0',
      '',
    ]);
  });
});
