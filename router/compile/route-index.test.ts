import { describe, expect, it } from 'vitest';
import type { MatchRequest } from '../../core/rules/match-request.ts';
import { compileRuleText, type Matcher } from '../../core/rules/rule-matcher.ts';
import { defaultPriority, type IndexedRoute, RouteIndex } from './route-index.ts';

const req = (host: string, path = '/'): MatchRequest => ({
  host,
  path,
  rawQuery: '',
  method: 'GET',
  headers: {},
  clientIp: '192.0.2.1',
});

/** Counts matcher calls across all routes built with it. */
class Counter {
  calls = 0;
  wrap(m: Matcher): Matcher {
    return (r) => {
      this.calls++;
      return m(r);
    };
  }
}

function route(name: string, rule: string, priority?: number, counter?: Counter): IndexedRoute<string> {
  const c = compileRuleText(rule);
  if (!c.ok || !c.ast) throw new Error(c.ok ? 'no ast' : c.message);
  const matcher = counter ? counter.wrap(c.matcher) : c.matcher;
  return { name, priority: priority ?? defaultPriority(rule), ast: c.ast, matcher, value: name };
}

describe('RouteIndex ordering', () => {
  const cases: Array<{
    name: string;
    routes: IndexedRoute<string>[];
    request: MatchRequest;
    expected?: string;
  }> = [
    {
      name: 'higher priority wins',
      routes: [route('low', 'PathPrefix(`/`)', 10), route('high', 'PathPrefix(`/`)', 20)],
      request: req('a.com'),
      expected: 'high',
    },
    {
      name: 'ties go to the smallest name',
      routes: [
        route('z', 'PathPrefix(`/`)', 5),
        route('a', 'PathPrefix(`/`)', 5),
        route('m', 'PathPrefix(`/`)', 5),
      ],
      request: req('a.com'),
      expected: 'a',
    },
    {
      name: 'names compare as plain strings (upper case sorts first)',
      routes: [route('a', 'PathPrefix(`/`)', 5), route('B', 'PathPrefix(`/`)', 5)],
      request: req('a.com'),
      expected: 'B',
    },
    {
      name: 'negative priorities rank below zero',
      routes: [route('neg', 'PathPrefix(`/`)', -1), route('zero', 'PathPrefix(`/`)', 0)],
      request: req('a.com'),
      expected: 'zero',
    },
    {
      name: 'huge priorities compare correctly',
      routes: [
        route('big', 'PathPrefix(`/`)', Number.MAX_SAFE_INTEGER),
        route('small', 'PathPrefix(`/`)', 1),
      ],
      request: req('a.com'),
      expected: 'big',
    },
    {
      name: 'the default priority is the rule length (longer wins)',
      routes: [route('short', 'PathPrefix(`/`)'), route('long', 'PathPrefix(`/api`)')],
      request: req('a.com', '/api/x'),
      expected: 'long',
    },
    {
      name: 'Traefik docs: HostRegexp (34) outranks Host (26)',
      routes: [
        route('host', 'Host(`foobar.traefik.com`)'),
        route('re', 'HostRegexp(`[a-z]+\\.traefik\\.com`)'),
      ],
      request: req('foobar.traefik.com'),
      expected: 're',
    },
    {
      name: 'a higher-priority generic route beats a host route',
      routes: [route('host', 'Host(`a.com`)', 1), route('generic', 'PathPrefix(`/`)', 2)],
      request: req('a.com'),
      expected: 'generic',
    },
    {
      name: 'a host route beats a lower-priority generic route',
      routes: [route('host', 'Host(`a.com`)', 2), route('generic', 'PathPrefix(`/`)', 1)],
      request: req('a.com'),
      expected: 'host',
    },
    {
      name: 'no match',
      routes: [route('host', 'Host(`a.com`)')],
      request: req('b.com'),
      expected: undefined,
    },
    { name: 'empty index', routes: [], request: req('a.com'), expected: undefined },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(new RouteIndex(c.routes).match(c.request)?.name).toBe(c.expected);
    });
  }
});

describe('RouteIndex buckets', () => {
  const index = new RouteIndex([
    route('exact', 'Host(`a.example.com`)', 30),
    route('wild', 'Host(`*.example.com`)', 40),
    route('exact-x', 'Host(`A.Example.com`) && Path(`/x`)', 50),
    route('any-host', 'Host(`*`)', 35),
    route('fallback', 'PathPrefix(`/`)', 1),
    route('or', 'Host(`o1.test`) || Host(`o2.test`)', 36),
    route('not', '!Host(`n.test`) && Path(`/not`)', 60),
    route('fqdn', 'Host(`dot.test.`)', 70),
    route('nested', 'Path(`/n`) && (Method(`GET`) && Host(`deep.test`))', 80),
    route('wild-and-exact', 'Host(`*.w.test`) && Host(`a.w.test`)', 90),
    // A rule that is one exact Host is decided by its bucket alone (no matcher call): same answers.
    route('only-host', 'Host(`UP.Only.test`)', 37),
  ]);
  const cases: Array<{ host: string; path: string; expected: string | undefined }> = [
    { host: 'a.example.com', path: '/x', expected: 'exact-x' },
    { host: 'a.example.com', path: '/', expected: 'wild' },
    { host: 'b.example.com', path: '/', expected: 'wild' },
    { host: 'a.b.example.com', path: '/', expected: 'any-host' },
    { host: 'example.com', path: '/', expected: 'any-host' },
    { host: 'other.org', path: '/', expected: 'any-host' },
    { host: '', path: '/', expected: 'fallback' },
    { host: 'o2.test', path: '/', expected: 'or' },
    { host: 'x.test', path: '/not', expected: 'not' },
    { host: 'n.test', path: '/not', expected: 'any-host' },
    { host: 'dot.test', path: '/', expected: 'fqdn' },
    { host: 'dot.test.', path: '/', expected: 'fqdn' },
    { host: 'a.example.com.', path: '/x', expected: 'exact-x' },
    { host: 'deep.test', path: '/n', expected: 'nested' },
    { host: 'a.w.test', path: '/', expected: 'wild-and-exact' },
    { host: 'b.w.test', path: '/', expected: 'any-host' },
    { host: 'up.only.test', path: '/any', expected: 'only-host' },
    { host: 'up.only.test.', path: '/', expected: 'only-host' },
    { host: 'p.only.test', path: '/', expected: 'any-host' },
    { host: 'x.up.only.test', path: '/', expected: 'any-host' },
  ];
  for (const c of cases) {
    it(`${c.host || '(no host)'}${c.path} -> ${c.expected}`, () => {
      expect(index.match(req(c.host, c.path))?.name).toBe(c.expected);
    });
  }

  it('agrees with a linear scan of the priority order', () => {
    let seed = 42;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const hosts = ['a.x.test', 'b.x.test', 'x.test', 'c.y.test', 'y.test', 'z.test'];
    const rules = [
      ...hosts.map((h) => `Host(\`${h}\`)`),
      'Host(`*.x.test`)',
      'Host(`*.y.test`)',
      'Host(`*`)',
      'PathPrefix(`/a`)',
      'Host(`x.test`) || PathPrefix(`/b`)',
    ];
    const routes = Array.from({ length: 200 }, (_, i) => {
      const base = rules[rand(rules.length)]!;
      const rule = rand(2) === 0 ? base : `${base} && PathPrefix(\`/${'ab'[rand(2)]}\`)`;
      return route(`r${rand(50)}-${i}`, rule, rand(5));
    });
    const index = new RouteIndex(routes);
    const ordered = [...routes].sort((a, b) => b.priority - a.priority || (a.name < b.name ? -1 : 1));
    expect(index.size).toBe(200);
    for (const host of [...hosts, 'q.x.test', 'other', '']) {
      for (const path of ['/', '/a', '/b']) {
        const r = req(host, path);
        expect(index.match(r)?.name).toBe(ordered.find((x) => x.matcher(r))?.name);
      }
    }
  });
});

describe('RouteIndex: rules that are exactly one Host', () => {
  it('are decided by their bucket without a matcher call; other rules still call theirs', () => {
    const only = new Counter();
    const more = new Counter();
    const index = new RouteIndex([
      route('only', 'Host(`Only.Test.`)', 10, only),
      route('with-path', 'Host(`p.test`) && Path(`/x`)', 10, more),
    ]);
    for (const host of ['only.test', 'only.test.']) {
      expect(index.match(req(host))?.name).toBe('only');
    }
    expect(index.match(req('x.only.test'))).toBeUndefined();
    expect(only.calls).toBe(0);
    expect(index.match(req('p.test', '/x'))?.name).toBe('with-path');
    expect(index.match(req('p.test', '/y'))).toBeUndefined();
    expect(more.calls).toBe(2);
  });
});

describe('RouteIndex scale', () => {
  it('finds the right route among 10,000 Host routes, testing only its bucket', () => {
    const counter = new Counter();
    const routes: IndexedRoute<string>[] = [];
    for (let i = 0; i < 10_000; i++) {
      routes.push(
        route(`exact-${i}`, `Host(\`h${i}.example.com\`) && PathPrefix(\`/\`)`, undefined, counter),
      );
      routes.push(route(`wild-${i}`, `Host(\`*.w${i}.example.com\`)`, undefined, counter));
    }
    routes.push(route('api', 'Host(`h5000.example.com`) && PathPrefix(`/api`)', undefined, counter));
    routes.push(route('health', 'Path(`/health`)', 1000, counter));
    routes.push(route('catch-all', 'PathPrefix(`/`)', -1, counter));
    const index = new RouteIndex(routes);
    expect(index.size).toBe(20_003);

    const cases: Array<{ host: string; path: string; expected: string; maxCalls: number }> = [
      { host: 'h5000.example.com', path: '/api/v1', expected: 'api', maxCalls: 2 },
      { host: 'h5000.example.com', path: '/', expected: 'exact-5000', maxCalls: 3 },
      { host: 'h9999.example.com', path: '/x', expected: 'exact-9999', maxCalls: 2 },
      { host: 'x.w1234.example.com', path: '/', expected: 'wild-1234', maxCalls: 2 },
      { host: 'h5000.example.com', path: '/health', expected: 'health', maxCalls: 1 },
      { host: 'unknown.example.com', path: '/', expected: 'catch-all', maxCalls: 2 },
      { host: 'a.b.w1.example.com', path: '/', expected: 'catch-all', maxCalls: 2 },
    ];
    for (const c of cases) {
      counter.calls = 0;
      expect({ name: index.match(req(c.host, c.path))?.name, within: counter.calls <= c.maxCalls }).toEqual({
        name: c.expected,
        within: true,
      });
    }
  });
});

describe('defaultPriority', () => {
  const cases: Array<{ rule: string; expected: number }> = [
    { rule: 'Host(`a`)', expected: 9 },
    { rule: 'Host(`foobar.traefik.com`)', expected: 26 },
    { rule: 'HostRegexp(`[a-z]+\\.traefik\\.com`)', expected: 34 },
    // Go's len() counts UTF-8 bytes: é is two.
    { rule: 'Path(`/café`)', expected: 14 },
  ];
  for (const c of cases) {
    it(c.rule, () => {
      expect(defaultPriority(c.rule)).toBe(c.expected);
    });
  }
});
