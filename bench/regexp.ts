import { compileLinearRegexp } from '../core/regexp/linear-regexp.ts';
import type { MatchRequest } from '../core/rules/match-request.ts';
import { routingPath } from '../core/rules/match-request.ts';
import { compileRule, type Matcher } from '../core/rules/rule-matcher.ts';
import { parseRule, type RuleAst } from '../core/rules/rule-parser.ts';
import { defaultPriority, RouteIndex } from '../router/compile/route-index.ts';

// `npm run bench:regexp`: what linear-time regexps (RE2, core/regexp) cost against the backtracking RegExp
// that rules used before, in one run of one process so both see the same machine:
// 1. one test() per pattern and input, in ns;
// 2. rule matching through the routing index (RouteIndex.match) over tables of routers, in ns per request;
// 3. the hostile inputs of the security issue, once each, in ms (RegExp only where it finishes quickly).
// "before" builds the same rules with each regexp leaf on `new RegExp` (HostRegexp with the i flag, as
// the old matcher did); every other leaf comes from the real rule compiler, so only the engine differs.

const ROUNDS = 11;

/** Median of a list of numbers. */
function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/**
 * Time per call of `before` and of `after`, in ns: medians over ROUNDS rounds of `n` calls each, the two
 * alternating round by round (after one warm-up round each) so that neither gets a warmer JIT or a quieter
 * machine than the other.
 */
function compare(before: (i: number) => unknown, after: (i: number) => unknown, n: number): [number, number] {
  let sink = 0;
  const round = (fn: (i: number) => unknown) => {
    const t = process.hrtime.bigint();
    for (let i = 0; i < n; i++) if (fn(i)) sink++;
    return Number(process.hrtime.bigint() - t) / n;
  };
  round(before);
  round(after);
  const b: number[] = [];
  const a: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    b.push(round(before));
    a.push(round(after));
  }
  if (sink < 0) console.log(sink); // keeps the calls from being optimised away
  return [median(b), median(a)];
}

const linear = (source: string) => {
  const r = compileLinearRegexp(source);
  if (!r.ok) throw new Error(r.problem);
  return r.regexp;
};

// --- 1. one test() per pattern ---

const PATTERNS: Array<[source: string, input: string]> = [
  ['^/api/v[0-9]+/users/[0-9]+$', '/api/v2/users/12345'],
  ['^/api/v[0-9]+/users/[0-9]+$', '/static/css/app.css'],
  ['\\.(css|js|png)$', '/static/app/main.bundle.js'],
  ['^[a-z0-9-]+\\.example\\.com$', 'my-app-01.example.com'],
  ['^[a-z0-9-]+\\.example\\.com$', 'www.other.org'],
  ['^([a-z0-9]+-?)+\\.example\\.com$', 'my-app-01.example.com'],
  ['^Bearer [A-Za-z0-9._-]+$', 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abc'],
];

// --- 2. rule matching over a table ---

/** Compiles a rule as before the change: regexp leaves on RegExp, the rest by the real compiler. */
function backtrackingMatcher(ast: RuleAst, rule: string): Matcher {
  switch (ast.type) {
    case 'and':
    case 'or': {
      const l = backtrackingMatcher(ast.left, rule);
      const r = backtrackingMatcher(ast.right, rule);
      return ast.type === 'and' ? (q) => l(q) && r(q) : (q) => l(q) || r(q);
    }
    case 'not': {
      const m = backtrackingMatcher(ast.expr, rule);
      return (q) => !m(q);
    }
    default: {
      if (ast.name === 'HostRegexp') {
        const re = new RegExp(ast.args[0]!, 'i');
        return (q) => re.test(q.host);
      }
      if (ast.name === 'PathRegexp') {
        const re = new RegExp(ast.args[0]!);
        return (q) => re.test(routingPath(q.path));
      }
      const c = compileRule(ast, rule);
      if (!c.ok) throw new Error(c.message);
      return c.matcher;
    }
  }
}

interface Table {
  readonly name: string;
  readonly rules: readonly string[];
  readonly requests: readonly MatchRequest[];
}

const request = (host: string, path = '/'): MatchRequest => ({
  host,
  path,
  rawQuery: '',
  method: 'GET',
  headers: {},
  clientIp: '192.0.2.1',
});

/** `hosts` Host routers, `prefixes` Host+PathPrefix routers, and `regexps` PathRegexp plus as many HostRegexp. */
function table(name: string, hosts: number, prefixes: number, regexps: number): Table {
  const rules: string[] = [];
  for (let i = 0; i < hosts; i++) rules.push(`Host(\`h${i}.example.com\`)`);
  for (let i = 0; i < prefixes; i++) rules.push(`Host(\`api${i}.example.com\`) && PathPrefix(\`/v${i}\`)`);
  for (let i = 0; i < regexps; i++) {
    rules.push(`PathRegexp(\`^/items${i}/[0-9]+$\`)`);
    rules.push(`HostRegexp(\`^[a-z0-9-]+\\.t${i}\\.example\\.net$\`)`);
  }
  const requests: MatchRequest[] = [];
  for (let i = 0; i < 100; i++) {
    const k = i % 10;
    if (k < 6 && hosts > 0) requests.push(request(`h${(i * 7) % hosts}.example.com`, '/index.html'));
    else if (k < 7 && prefixes > 0)
      requests.push(request(`api${i % prefixes}.example.com`, `/v${i % prefixes}/x`));
    else if (k < 8 && regexps > 0) requests.push(request('www.example.org', `/items${i % regexps}/123`));
    else if (k < 9 && regexps > 0) requests.push(request(`app-${i}.t${i % regexps}.example.net`, '/'));
    else requests.push(request('unknown.example.org', '/nothing'));
  }
  return { name, rules, requests };
}

const TABLES: Table[] = [
  table('1,000 Host / PathPrefix, no regexp', 800, 200, 0),
  table('1,000 routers, 20 PathRegexp + 20 HostRegexp', 760, 200, 20),
  table('1,000 routers, 100 PathRegexp + 100 HostRegexp', 600, 200, 100),
];

/** The routing index of a table, with each rule compiled by `compileMatcher`. */
function index(t: Table, compileMatcher: (ast: RuleAst, rule: string) => Matcher): RouteIndex<number> {
  return new RouteIndex(
    t.rules.map((rule, value) => {
      const parsed = parseRule(rule);
      if (!parsed.ok) throw new Error(parsed.message);
      const matcher = compileMatcher(parsed.ast, rule);
      return { name: `r${value}`, priority: defaultPriority(rule), ast: parsed.ast, matcher, value };
    }),
  );
}

const linearMatcher = (ast: RuleAst, rule: string): Matcher => {
  const c = compileRule(ast, rule);
  if (!c.ok) throw new Error(c.message);
  return c.matcher;
};

// --- 3. the issue's hostile inputs ---

const HOSTILE: Array<[source: string, input: string, backtrackingToo: boolean]> = [
  ['^/(a+)+$', `/${'a'.repeat(20)}!`, true],
  ['^/(a+)+$', `/${'a'.repeat(30)}!`, false],
  ['^/(a+)+$', `/${'a'.repeat(10_000)}!`, false],
  ['^([a-z0-9]+-?)+\\.example\\.com$', `${'a'.repeat(30)}!`, false],
  ['a.*b', 'a'.repeat(16_384), true],
];

function main(): void {
  const fmt = (x: number) => x.toFixed(x < 10 ? 2 : 0).padStart(8);
  console.log(`Node ${process.version}; medians of ${ROUNDS} rounds\n`);
  console.log('1. one test() per pattern (ns)');
  console.log(`${'pattern on input'.padEnd(72)}  RegExp    RE2JS   ratio`);
  for (const [source, input] of PATTERNS) {
    const before = new RegExp(source);
    const after = linear(source);
    if (before.test(input) !== after.test(input)) throw new Error(`engines disagree on ${source} / ${input}`);
    const [b, a] = compare(
      () => before.test(input),
      () => after.test(input),
      100_000,
    );
    console.log(`${`${source} on ${input}`.slice(0, 72).padEnd(72)}${fmt(b)} ${fmt(a)} ${fmt(a / b)}x`);
  }

  console.log('\n2. rule matching: RouteIndex.match over a mix of 100 requests (ns per request)');
  console.log(`${'table'.padEnd(72)}  RegExp    RE2JS   ratio`);
  for (const t of TABLES) {
    const before = index(t, backtrackingMatcher);
    const after = index(t, linearMatcher);
    const { requests } = t;
    for (const r of requests)
      if (before.match(r)?.value !== after.match(r)?.value) throw new Error(`tables disagree on ${r.host}`);
    const [b, a] = compare(
      (i) => before.match(requests[i % requests.length]!),
      (i) => after.match(requests[i % requests.length]!),
      50_000,
    );
    console.log(`${t.name.padEnd(72)}${fmt(b)} ${fmt(a)} ${fmt(a / b)}x`);
  }

  console.log('\n3. hostile inputs, one test each (ms; RegExp skipped where it runs for seconds)');
  for (const [source, input, backtrackingToo] of HOSTILE) {
    const time = (fn: () => boolean) => {
      const t = performance.now();
      fn();
      return performance.now() - t;
    };
    const b = backtrackingToo ? fmt(time(() => new RegExp(source).test(input))) : ' skipped';
    const a = fmt(time(() => linear(source).test(input)));
    console.log(`${`${source} on ${input.length} characters`.padEnd(72)}${b} ${a}`);
  }
}

main();
