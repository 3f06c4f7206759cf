import { describe, expect, it } from 'vitest';
import type { ErrorCode } from '../../config/errors.ts';
import type { MatchRequest } from './match-request.ts';
import { compileRuleText, v2Lookalike, v2Rewrite } from './rule-matcher.ts';
import { parseRuleV2 } from './rule-parser-v2.ts';
import { printRule } from './rule-print.ts';

// Cases follow Traefik v3.7's pkg/muxer/http/matcher_v2_test.go (ruleSyntax v2).

const req = (over: Partial<MatchRequest> = {}): MatchRequest => ({
  host: 'example.com',
  path: '/',
  rawQuery: '',
  method: 'GET',
  headers: {},
  clientIp: '192.0.2.1',
  ...over,
});

describe('ruleSyntax v2: matching', () => {
  const cases: Array<{ rule: string; request: Partial<MatchRequest>; expected: boolean }> = [
    // Host: several hosts, case-insensitive, trailing dots; HostHeader is Host
    { rule: 'Host(`example.com`, `example.org`)', request: { host: 'example.org' }, expected: true },
    { rule: 'Host(`example.com`, `example.org`)', request: { host: 'example.net' }, expected: false },
    { rule: 'Host(`EXAMPLE.COM`)', request: { host: 'example.com' }, expected: true },
    { rule: 'Host(`example.com.`)', request: { host: 'example.com' }, expected: true },
    { rule: 'Host(`example.com`)', request: { host: 'example.com.' }, expected: true },
    { rule: 'HostHeader(`localhost`)', request: { host: 'localhost' }, expected: true },
    { rule: 'HostHeader(`localhost`)', request: { host: 'bar' }, expected: false },
    {
      rule: 'Host(`tchouk`,`pouet`) && Path(`/powpow`, `/titi`)',
      request: { host: 'pouet', path: '/titi' },
      expected: true,
    },
    {
      rule: 'Host(`tchouk`,`pouet`) && Path(`/powpow`, `/titi`)',
      request: { host: 'pouet', path: '/toto' },
      expected: false,
    },
    // HostRegexp: a gorilla/mux template, case-insensitive, literal text quoted
    { rule: 'HostRegexp(`{domain:[a-zA-Z-]+\\.com}`)', request: { host: 'example.com' }, expected: true },
    { rule: 'HostRegexp(`{domain:[a-zA-Z-]+\\.com}`)', request: { host: 'example.org' }, expected: false },
    { rule: 'HostRegexp(`{sub:[a-z]+}.example.com`)', request: { host: 'api.example.com' }, expected: true },
    { rule: 'HostRegexp(`{sub:[a-z]+}.example.com`)', request: { host: 'a.b.example.com' }, expected: false },
    { rule: 'HostRegexp(`{sub:[a-z]+}.example.com`)', request: { host: 'apiXexample.com' }, expected: false },
    { rule: 'HostRegexp(`{sub}.example.com`)', request: { host: 'x-1.example.com' }, expected: true },
    { rule: 'HostRegexp(`example.com`, `example.org`)', request: { host: 'example.org' }, expected: true },
    { rule: 'HostRegexp(`(example.com`)', request: { host: 'example.com' }, expected: false },
    { rule: 'HostRegexp(`^[A-Z]+\\.com$`)', request: { host: 'example.com' }, expected: false },
    {
      rule: 'HostRegexp(`{subdomain:(foo\\.)?bar\\.com}`)',
      request: { host: 'foo.bar.com' },
      expected: true,
    },
    { rule: 'HostRegexp(`{subdomain:(foo\\.)?bar\\.com}`)', request: { host: 'bar.com' }, expected: true },
    {
      rule: 'HostRegexp(`{subdomain:(foo\\.)?bar\\.com}`)',
      request: { host: 'fooubar.com' },
      expected: false,
    },
    { rule: 'HostRegexp(`{dummy:[A-Z-]+\\.bar\\.com}`)', request: { host: 'foo.bar.com' }, expected: true },
    { rule: 'HostRegexp(`foo.bar.com`)', request: { host: 'foo.bar.com' }, expected: true },
    { rule: 'HostRegexp(`{a:x|y}.com`)', request: { host: 'y.com' }, expected: true },
    { rule: 'HostRegexp(`{a:x|y}.com`)', request: { host: 'x' }, expected: false },
    // Path and PathPrefix: several paths, placeholders
    { rule: 'Path(`/css`, `/js`)', request: { path: '/js' }, expected: true },
    { rule: 'Path(`/css`, `/js`)', request: { path: '/css/' }, expected: false },
    { rule: 'Path(`/css{path:(/.*)?}`)', request: { path: '/css/components/component.css' }, expected: true },
    { rule: 'Path(`/css{path:(/.*)?}`)', request: { path: '/css.css' }, expected: false },
    { rule: 'Path(`/users/{id}`)', request: { path: '/users/42' }, expected: true },
    { rule: 'Path(`/users/{id}`)', request: { path: '/users/42/x' }, expected: false },
    { rule: 'Path(`/a/{id:[0-9]{2}}`)', request: { path: '/a/42' }, expected: true },
    { rule: 'Path(`/a/{id:[0-9]{2}}`)', request: { path: '/a/421' }, expected: false },
    { rule: 'PathPrefix(`/css`, `/js`)', request: { path: '/js/main.js' }, expected: true },
    { rule: 'PathPrefix(`/css-{name:[0-9]?}`)', request: { path: '/css-1/main.css' }, expected: true },
    { rule: 'PathPrefix(`/css-{name:[0-9]?}`)', request: { path: '/css.css' }, expected: false },
    { rule: 'PathPrefix(`/css-{name:[0-9]?}`)', request: { path: '/css-333333/c.css' }, expected: true },
    { rule: 'PathPrefix(`/a.b`)', request: { path: '/aXb' }, expected: false },
    // Method: several, case-insensitive in the rule
    { rule: 'Method(`GET`, `POST`)', request: { method: 'POST' }, expected: true },
    { rule: 'Method(`get`)', request: { method: 'GET' }, expected: true },
    { rule: 'Method(`GET`)', request: { method: 'PUT' }, expected: false },
    // Headers and HeadersRegexp: name and value pairs, each value of the header line separately
    {
      rule: 'Headers(`X-Forwarded-Proto`, `https`)',
      request: { headers: { 'x-forwarded-proto': 'https' } },
      expected: true,
    },
    {
      rule: 'Headers(`x-forwarded-proto`, `https`)',
      request: { headers: { 'x-forwarded-proto': ['http', 'https'] } },
      expected: true,
    },
    { rule: 'Headers(`X-A`, `1`, `X-B`, `2`)', request: { headers: { 'x-a': '1' } }, expected: false },
    {
      rule: 'Headers(`X-A`, `1`, `X-B`, `2`)',
      request: { headers: { 'x-a': '1', 'x-b': '2' } },
      expected: true,
    },
    {
      rule: 'HeadersRegexp(`X-Forwarded-Proto`, `^https?$`)',
      request: { headers: { 'x-forwarded-proto': 'http' } },
      expected: true,
    },
    {
      rule: 'HeadersRegexp(`X-Forwarded-Proto`, `^https?$`)',
      request: { headers: { 'x-forwarded-proto': 'HTTPS' } },
      expected: false,
    },
    {
      rule: 'HeadersRegexp(`X-Forwarded-Proto`, `^https?$`)',
      request: { headers: { 'x-forwarded-proto': ['ws', 'https'] } },
      expected: true,
    },
    {
      rule: 'HeadersRegexp(`X-Forwarded-Proto`, `http{secure:s?}`)',
      request: { headers: { 'x-forwarded-proto': 'http{secure:s}' } },
      expected: true,
    },
    {
      rule: 'HeadersRegexp(`X-Forwarded-Proto`, `http{secure:s?}`)',
      request: { headers: { 'x-forwarded-proto': 'https' } },
      expected: false,
    },
    // Query: key=value pairs, key= for any value, placeholders in values
    { rule: 'Query(`foo=bar`, `bar=baz`)', request: { rawQuery: 'foo=bar&bar=baz' }, expected: true },
    { rule: 'Query(`foo=bar`, `bar=baz`)', request: { rawQuery: 'bar=baz' }, expected: false },
    { rule: 'Query(`foo=b=ar`)', request: { rawQuery: 'foo=b=ar' }, expected: true },
    { rule: 'Query(`foo=b=ar`)', request: { rawQuery: 'foo=bar' }, expected: false },
    { rule: 'Query(`foo`, `bar`)', request: { rawQuery: 'foo=bar' }, expected: true },
    { rule: 'Query(`debug=`)', request: { rawQuery: 'debug=anything' }, expected: true },
    { rule: 'Query(`debug=`)', request: { rawQuery: 'other=1' }, expected: false },
    { rule: 'Query(`id={id:[0-9]+}`)', request: { rawQuery: 'id=42' }, expected: true },
    { rule: 'Query(`id={id:[0-9]+}`)', request: { rawQuery: 'id=4x' }, expected: false },
    // ClientIP: several IPs and ranges
    { rule: 'ClientIP(`127.0.0.1`, `192.168.1.0/24`)', request: { clientIp: '192.168.1.1' }, expected: true },
    { rule: 'ClientIP(`11.0.0.0/16`, `10.0.0.0`)', request: { clientIp: '10.0.0.0' }, expected: true },
    { rule: 'ClientIP(`10.10.1.1`)', request: { clientIp: '10.0.0.0' }, expected: false },
    // Operators and spellings as in v3
    {
      rule: '!(Host(`tchouk`) && !Path(`/titi`))',
      request: { host: 'tchouk', path: '/titi' },
      expected: true,
    },
    {
      rule: '(HOST("tchouk") && PATHPREFIX("/titi"))',
      request: { host: 'tchouk', path: '/titi/x' },
      expected: true,
    },
    {
      rule: '(host("tchouk") && pathprefix("/titi"))',
      request: { host: 'tchouk', path: '/x' },
      expected: false,
    },
  ];
  it.each(cases)('$rule on $request is $expected', ({ rule, request, expected }) => {
    const c = compileRuleText(rule, 'v2');
    if (!c.ok) throw new Error(c.message);
    expect(c.matcher(req(request))).toBe(expected);
  });
});

describe('ruleSyntax v2: errors', () => {
  const cases: Array<{ rule: string; code: ErrorCode; says: string }> = [
    { rule: 'Host()', code: 'RULE_ARGUMENTS', says: 'at least 1 argument' },
    { rule: 'Host(``)', code: 'RULE_ARGUMENTS', says: 'argument 1 is empty' },
    { rule: 'Host(`tchouk`) && Path(``, `/titi`)', code: 'RULE_ARGUMENTS', says: 'argument 1 is empty' },
    { rule: 'Host(`🦭.com`)', code: 'RULE_ARGUMENTS', says: 'must be ASCII' },
    { rule: 'HostRegexp(`🦭.com`)', code: 'RULE_ARGUMENTS', says: 'must be ASCII' },
    { rule: 'HostRegexp(`{test`)', code: 'RULE_V2_ARGUMENTS', says: 'unbalanced braces' },
    { rule: 'HostRegexp(`{:[a-z]+}.com`)', code: 'RULE_V2_ARGUMENTS', says: 'missing name or pattern' },
    { rule: 'Path(`css`)', code: 'RULE_V2_ARGUMENTS', says: 'must start with "/"' },
    { rule: 'PathPrefix(`titi`)', code: 'RULE_V2_ARGUMENTS', says: 'must start with "/"' },
    { rule: 'Path(`/a/{id:[0-9}`)', code: 'RULE_V2_ARGUMENTS', says: 'invalid pattern' },
    { rule: 'Headers(`X-Forwarded-Host`)', code: 'RULE_ARGUMENTS', says: 'pairs' },
    { rule: 'Headers(`X-Forwarded-Host`, `a`, `b`)', code: 'RULE_ARGUMENTS', says: 'pairs' },
    {
      rule: 'HeadersRegexp(`X-Forwarded-Host`, `(example.com`)',
      code: 'RULE_BAD_REGEXP',
      says: '(example.com',
    },
    { rule: 'Query(`titi`)', code: 'RULE_V2_ARGUMENTS', says: 'key=value' },
    { rule: 'Query(`titi={test`)', code: 'RULE_V2_ARGUMENTS', says: 'unbalanced braces' },
    { rule: 'ClientIP(`invalid`)', code: 'RULE_BAD_IP', says: 'invalid' },
    { rule: 'Host(tchouk)', code: 'RULE_SYNTAX', says: 'tchouk' },
    { rule: 'rulewithnotmatcher', code: 'RULE_UNKNOWN_MATCHER', says: 'rulewithnotmatcher' },
    { rule: 'Header(`X-A`, `1`)', code: 'RULE_UNKNOWN_MATCHER', says: 'spells it Headers' },
    { rule: 'PathRegexp(`^/a`)', code: 'RULE_UNKNOWN_MATCHER', says: 'PathRegexp is Traefik v3 syntax' },
    { rule: '', code: 'RULE_SYNTAX', says: 'empty rule' },
  ];
  it.each(cases)('$rule is $code', ({ rule, code, says }) => {
    const c = compileRuleText(rule, 'v2');
    expect(c.ok).toBe(false);
    if (c.ok) return;
    expect(c.code).toBe(code);
    expect(c.message).toContain(says);
  });

  it('a name of Object.prototype is an unknown matcher with no hint', () => {
    // The hint table was once read with the name as a key: the message ended "function Object() …".
    const c = compileRuleText('constructor(`a`)', 'v2');
    expect(c.ok ? '' : c.message).toBe('rule "constructor(`a`)": unknown matcher constructor at column 1');
  });
});

describe('ruleSyntax v2: the v3 rewrite', () => {
  const cases: Array<{ rule: string; v3: string }> = [
    { rule: 'Host(`a.com`, `b.com`)', v3: 'Host(`a.com`) || Host(`b.com`)' },
    { rule: 'HostHeader(`a.com`)', v3: 'Host(`a.com`)' },
    { rule: 'HostRegexp(`{sub:[a-z]+}.example.com`)', v3: 'HostRegexp(`^(?:[a-z]+)\\.example\\.com$`)' },
    { rule: 'HostRegexp(`{sub:[A-Z]+}.a.com`)', v3: 'HostRegexp(`(?i)^(?:[A-Z]+)\\.a\\.com$`)' },
    {
      rule: 'Path(`/a`, `/b`) && Method(`GET`, `POST`)',
      v3: '(Path(`/a`) || Path(`/b`)) && (Method(`GET`) || Method(`POST`))',
    },
    { rule: 'Path(`/users/{id:[0-9]+}`)', v3: 'PathRegexp(`^/users/(?:[0-9]+)$`)' },
    { rule: 'PathPrefix(`/api/{v}`)', v3: 'PathRegexp(`^/api/(?:[^/]+)`)' },
    { rule: 'Headers(`X-A`, `1`)', v3: 'Header(`X-A`, `1`)' },
    { rule: 'HeadersRegexp(`X-A`, `^1`)', v3: 'HeaderRegexp(`X-A`, `^1`)' },
    { rule: 'Query(`a=1`, `b=`)', v3: 'Query(`a`, `1`) && QueryRegexp(`b`, `.*`)' },
    { rule: 'ClientIP(`10.0.0.0/8`, `::1`)', v3: 'ClientIP(`10.0.0.0/8`) || ClientIP(`::1`)' },
    { rule: '!Host(`a`, `b`)', v3: '!(Host(`a`) || Host(`b`))' },
    { rule: 'Headers(`X-A`, "a`b")', v3: 'Header(`X-A`, "a`b")' },
  ];
  it.each(cases)('$rule is $v3', ({ rule, v3 }) => {
    const p = parseRuleV2(rule);
    if (!p.ok) throw new Error(p.message);
    expect(printRule(p.ast)).toBe(v3);
    expect(compileRuleText(v3).ok).toBe(true);
  });

  const v3Errors: Array<{ rule: string; rewrite: string }> = [
    { rule: 'Host(`a.com`, `b.com`)', rewrite: 'Host(`a.com`) || Host(`b.com`)' },
    { rule: 'Headers(`X-A`, `1`)', rewrite: 'Header(`X-A`, `1`)' },
    { rule: 'HostHeader(`a.com`) && Query(`a=1`)', rewrite: 'Host(`a.com`) && Query(`a`, `1`)' },
  ];
  it.each(v3Errors)('under v3, $rule is RULE_V2_SYNTAX naming the rewrite', ({ rule, rewrite }) => {
    const c = compileRuleText(rule);
    expect(c.ok).toBe(false);
    if (c.ok) return;
    expect(c.code).toBe('RULE_V2_SYNTAX');
    expect(c.message).toContain(`write it as ${rewrite}`);
    expect(c.message).toContain('ruleSyntax: v2');
  });

  it('a rule wrong in both syntaxes keeps its v3 error', () => {
    const c = compileRuleText('Hots(`a`)');
    expect(!c.ok && c.code).toBe('RULE_UNKNOWN_MATCHER');
    expect(v2Rewrite('Host(`a`')).toBeUndefined();
  });
});

describe('v3 rules that read like v2 ones', () => {
  const cases: Array<{ rule: string; rewrite: string | undefined }> = [
    { rule: 'HostRegexp(`{sub:[a-z]+}.example.com`)', rewrite: 'HostRegexp(`^(?:[a-z]+)\\.example\\.com$`)' },
    { rule: 'Path(`/users/{id}`)', rewrite: 'PathRegexp(`^/users/(?:[^/]+)$`)' },
    { rule: 'Query(`a=1`)', rewrite: 'Query(`a`, `1`)' },
    { rule: 'PathRegexp(`^/a{2}`)', rewrite: undefined },
    { rule: 'Host(`a.com`) && Path(`/x`)', rewrite: undefined },
  ];
  it.each(cases)('$rule suggests $rewrite', ({ rule, rewrite }) => {
    const c = compileRuleText(rule);
    if (!c.ok || !c.ast) throw new Error('v3 rule expected to compile');
    expect(v2Lookalike(c.ast, rule)?.rewrite).toBe(rewrite);
  });
});
