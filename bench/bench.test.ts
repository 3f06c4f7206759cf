import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { DynamicConfigSchema } from '../config/dynamic.ts';
import { StaticConfigSchema } from '../config/static.ts';
import { parseArgs } from './args.ts';
import { bodyProblem, headerProblems } from './checks.ts';
import { benchPage, PAGE_BYTES, PAGE_PATH } from './html-page.ts';
import { caddyAuthDirective, caddyfile } from './proxies/caddy.ts';
import { haproxyConf, haproxyMap } from './proxies/haproxy.ts';
import { nginxBackendConf, nginxProxyConf } from './proxies/nginx.ts';
import type { ProxyContext } from './proxies/proxy.ts';
import { wharfDynamic, wharfDynamicYaml, wharfStaticYaml } from './proxies/wharf.ts';
import {
  basicCredentials,
  SCENARIO_A,
  SCENARIO_A_BAN,
  SCENARIO_B,
  SCENARIO_C,
  SCENARIO_D,
  SCENARIO_E,
  scenarioProxies,
} from './scenarios.ts';
import { median, parseWrk } from './wrk.ts';

// The harness's pure parts: wrk parsing, flags, and the configurations it writes for each proxy.

const WRK_OUTPUT = `Running 2s test @ http://127.0.0.1:41987/api/x
  1 threads and 50 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   818.00us  300.12us  12.00ms   90.00%
    Req/Sec    60.00k     2.00k   64.00k    80.00%
  Latency Distribution
     50%  818.00us
     75%    1.00ms
     90%    1.20ms
     99%    2.71ms
  121234 requests in 2.00s, 18.00MB read
  Non-2xx or 3xx responses: 3
  Socket errors: connect 0, read 2, write 0, timeout 1
Requests/sec:  60617.00
Transfer/sec:      9.00MB
`;

describe('parseWrk', () => {
  it('reads throughput, latency percentiles and errors', () => {
    expect(parseWrk(WRK_OUTPUT)).toEqual({
      rps: 60617,
      p50Ms: 0.818,
      p99Ms: 2.71,
      requests: 121234,
      non2xx: 3,
      socketErrors: 3,
    });
  });
  it('throws without a Requests/sec line', () => {
    expect(() => parseWrk('unable to connect to 127.0.0.1:1 Connection refused')).toThrow(/Requests\/sec/);
  });
  it('converts seconds', () => {
    const out = WRK_OUTPUT.replace('2.71ms', '1.50s');
    expect(parseWrk(out).p99Ms).toBe(1500);
  });
});

describe('median', () => {
  it.each([
    [[3], 3],
    [[3, 1, 2], 2],
    [[4, 1, 3, 2], 2.5],
  ])('%j -> %d', (xs, m) => expect(median(xs)).toBe(m));
});

describe('parseArgs', () => {
  it('has defaults', () => {
    const o = parseArgs([]);
    expect([o.runs, o.durationS, o.warmupS, o.connections, o.only.length, o.scenarios]).toEqual([
      3,
      10,
      2,
      50,
      5,
      ['A', 'B', 'C', 'D', 'E'],
    ]);
  });
  it('--quick then explicit flags', () => {
    const o = parseArgs(['--quick', '--runs=2', '--only=wharf,nginx', '--scenarios=b']);
    expect([o.runs, o.durationS, o.only, o.scenarios]).toEqual([2, 2, ['nginx', 'wharf'], ['B']]);
  });
  it('--wharf-metrics and --wharf-arg add static flags for Wharf, in order', () => {
    expect(parseArgs([]).wharfArgs).toEqual([]);
    expect(parseArgs(['--wharf-metrics', '--wharf-arg=--metrics.addInternals=true']).wharfArgs).toEqual([
      '--metrics.prometheus.addRoutersLabels=true',
      '--metrics.addInternals=true',
    ]);
  });
  it('--wharf-tracing: sample rates of extra traced Wharf runs (none by default)', () => {
    expect(parseArgs([]).wharfTracing).toEqual([]);
    expect(parseArgs(['--wharf-tracing=0.1,1']).wharfTracing).toEqual([0.1, 1]);
  });
  it.each([
    ['--runs=0'],
    ['--only=traefik'],
    ['--bogus'],
    ['--duration=x'],
    ['--wharf-arg=x'],
    ['--wharf-tracing=2'],
    ['--wharf-tracing='],
  ])('rejects %s', (flag) => {
    expect(() => parseArgs([flag])).toThrow();
  });
});

const ctx = (scenario = SCENARIO_B): ProxyContext => ({
  dir: '/tmp/x',
  scenario,
  backendPort: 9000,
  port: 8000,
  cpu: undefined,
  bin: '/bin/true',
});

describe('peer configurations', () => {
  it('nginx: one server per route, a 404 default server, upstream keep-alive, prefix strip', () => {
    const conf = nginxProxyConf(ctx());
    expect(conf.match(/server_name h\d+\.bench\.localhost;/g)).toHaveLength(10_000);
    expect(conf).toContain('default_server');
    expect(conf).toContain('keepalive 64;');
    expect(conf).toContain('location /api/ {');
    expect(conf).toContain('proxy_set_header X-Bench 1; proxy_pass http://backend/;');
  });
  it('haproxy: a map of every host, the rewrite and header in the backend', () => {
    expect(haproxyMap(ctx()).trim().split('\n')).toHaveLength(10_000);
    const conf = haproxyConf(ctx(), '/tmp/x/hosts.map');
    expect(conf).toContain('nbthread 1');
    expect(conf).toContain('http-request replace-path ^/api(/|$)(.*) /\\2');
    expect(conf).toContain('http-request set-header X-Bench 1');
    expect(haproxyConf(ctx(SCENARIO_A), '/m')).not.toContain('replace-path');
  });
  it('caddy: one site block per route, or one block with every host', () => {
    expect(caddyfile(ctx(), false).match(/^http:\/\/h\d+/gm)).toHaveLength(10_000);
    const merged = caddyfile(ctx(), true);
    expect(merged.match(/^http:\/\//gm)).toHaveLength(1);
    expect(merged.match(/http:\/\/h\d+\.bench\.localhost:8000/g)).toHaveLength(10_000);
    expect(merged).toContain('handle_path /api/*');
  });
});

describe('wharf configuration', () => {
  it('the dynamic YAML is the same config as the object and passes the schema', () => {
    for (const s of [SCENARIO_A, SCENARIO_B]) {
      const fromYaml = parseYaml(wharfDynamicYaml(s, 9000));
      expect(fromYaml).toEqual(wharfDynamic(s, 9000));
      expect(DynamicConfigSchema.safeParse(fromYaml).success).toBe(true);
    }
  });
  it('the static YAML passes the schema', () => {
    const parsed = StaticConfigSchema.safeParse(parseYaml(wharfStaticYaml(8000, 8001, '/tmp/x/dyn.yml')));
    expect(parsed.error).toBeUndefined();
    expect(parsed.data?.entryPoints?.web?.address).toBe('127.0.0.1:8000');
    expect(parsed.data?.tracing).toBeUndefined();
  });
  it('with tracing, the static YAML exports to the sink at the sample rate', () => {
    const endpoint = 'http://127.0.0.1:4318/v1/traces';
    const yaml = wharfStaticYaml(8000, 8001, '/tmp/x/dyn.yml', { sampleRate: 0.1, endpoint });
    const parsed = StaticConfigSchema.safeParse(parseYaml(yaml));
    expect(parsed.error).toBeUndefined();
    expect(parsed.data?.tracing).toMatchObject({ sampleRate: 0.1, otlp: { http: { endpoint } } });
  });
});

describe('scenario C: basic auth + IP allow list + CORS headers', () => {
  const g = SCENARIO_C.guard!;

  it('is compared with Caddy only; caddy-merged runs with many routes only', () => {
    expect(scenarioProxies(SCENARIO_C)).toEqual(['caddy', 'wharf']);
    expect(scenarioProxies(SCENARIO_A)).toEqual(['nginx', 'haproxy', 'caddy', 'wharf']);
    expect(scenarioProxies(SCENARIO_B)).toContain('caddy-merged');
  });

  it('sends valid credentials and an Origin on every request, and checks the refusals', () => {
    expect(SCENARIO_C.requestHeaders).toEqual({
      Authorization: `Basic ${Buffer.from('bench:bench-secret').toString('base64')}`,
      Origin: 'http://app.bench.localhost',
    });
    expect(g.htpasswd).toMatch(/^bench:\$2y\$10\$/); // bcrypt, cost 10
    expect(SCENARIO_C.checks?.map((c) => [c.what, c.status])).toEqual([
      ['no credentials', 401],
      ['a wrong password', 401],
      ['a client outside the allow list', 403],
      ['a CORS preflight', 200],
    ]);
    expect(basicCredentials(g, 'x')).not.toBe(basicCredentials(g));
  });

  it.each([
    ['v2.6.2 h1:abc=', 'basicauth'],
    ['v2.7.6', 'basicauth'],
    ['v2.8.4 h1:xyz', 'basic_auth'],
    ['v2.10.0', 'basic_auth'],
    ['unknown', 'basic_auth'],
  ])('Caddy %s spells basic auth %s', (version, directive) => {
    expect(caddyAuthDirective(version)).toBe(directive);
  });

  it('caddy: one route keeping the written order (CORS, preflight, remote_ip, auth, proxy), two sites', () => {
    const conf = caddyfile(ctx(SCENARIO_C), false, 'basicauth');
    expect(conf.match(/^http:\/\//gm)).toHaveLength(2);
    const order = [
      'route {',
      'header @origin Access-Control-Allow-Origin http://app.bench.localhost',
      'respond @preflight 200',
      '@outside not remote_ip 127.0.0.0/8',
      'respond @outside 403',
      'basicauth bcrypt bench {',
      'bench $2y$10$',
      'reverse_proxy 127.0.0.1:9000',
    ].map((t) => conf.indexOf(t));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(conf).toContain('http://denied.bench.localhost:8000');
    expect(conf).toContain('@outside not remote_ip 192.0.2.0/24');
    expect(caddyfile(ctx(SCENARIO_C), false)).toContain('basic_auth bcrypt bench {');
  });

  it("wharf: Traefik's option names, middlewares in Caddy's order, the YAML equal to the object", () => {
    const dyn = wharfDynamic(SCENARIO_C, 9000) as { http: Record<string, Record<string, unknown>> };
    expect(dyn.http.routers).toEqual({
      r0: {
        rule: 'Host(`bench.localhost`)',
        entryPoints: ['web'],
        service: 'backend',
        middlewares: ['cors', 'allow', 'auth'],
      },
      denied: {
        rule: 'Host(`denied.bench.localhost`)',
        entryPoints: ['web'],
        service: 'backend',
        middlewares: ['cors', 'deny', 'auth'],
      },
    });
    expect(dyn.http.middlewares).toEqual({
      cors: {
        headers: {
          accessControlAllowOriginList: ['http://app.bench.localhost'],
          accessControlAllowMethods: ['GET', 'POST', 'OPTIONS'],
          accessControlAllowHeaders: ['Authorization'],
          accessControlMaxAge: 600,
          addVaryHeader: true,
        },
      },
      allow: { ipAllowList: { sourceRange: ['127.0.0.0/8'] } },
      deny: { ipAllowList: { sourceRange: ['192.0.2.0/24'] } },
      auth: { basicAuth: { users: [g.htpasswd], realm: 'bench' } },
    });
    expect(parseYaml(wharfDynamicYaml(SCENARIO_C, 9000))).toEqual(dyn);
  });

  it('wharf: the configuration passes the schema', () => {
    const parsed = DynamicConfigSchema.safeParse(parseYaml(wharfDynamicYaml(SCENARIO_C, 9000)));
    expect(parsed.error).toBeUndefined();
  });
});

describe('headerProblems', () => {
  const answer = (headers: Record<string, string | string[]>) => ({ status: 200, body: '', headers });
  it.each<[string, Record<string, string | string[]>, Record<string, string>, number]>([
    ['present and equal', { vary: 'Origin' }, { vary: 'Origin' }, 0],
    ['a value holding the text, any case', { vary: 'accept-encoding, origin' }, { Vary: 'Origin' }, 0],
    ['a list value', { 'set-cookie': ['a=1', 'b=2'] }, { 'set-cookie': 'b=2' }, 0],
    ['missing', {}, { 'access-control-allow-origin': 'http://x' }, 1],
    [
      'another value',
      { 'www-authenticate': 'Basic realm="traefik"' },
      { 'www-authenticate': 'realm="bench"' },
      1,
    ],
  ])('%s', (_name, got, want, problems) => {
    expect(headerProblems(answer(got), want)).toHaveLength(problems);
  });
});

describe('scenario D: a 16 KB HTML page compressed with gzip', () => {
  it('the page is 16 KiB of HTML that compresses like a real page, the same on every call', () => {
    const page = benchPage();
    expect(Buffer.byteLength(page)).toBe(PAGE_BYTES);
    expect(page).toMatch(/^<!DOCTYPE html>\n<html lang="en">/);
    expect(page.endsWith('</html>\n')).toBe(true);
    expect(benchPage()).toBe(page);
    // Neither incompressible nor a repeated line: gzip level 5 makes it 3-6 times smaller.
    const ratio = PAGE_BYTES / gzipSync(page, { level: 5 }).length;
    expect(ratio).toBeGreaterThan(3);
    expect(ratio).toBeLessThan(6);
  });

  it('asks for gzip, wants Content-Encoding and Vary, runs on nginx, caddy and wharf', () => {
    expect(SCENARIO_D.path).toBe(PAGE_PATH);
    expect(SCENARIO_D.requestHeaders).toEqual({ 'Accept-Encoding': 'gzip' });
    expect(SCENARIO_D.expectHeaders).toEqual({ 'content-encoding': 'gzip', vary: 'Accept-Encoding' });
    expect(SCENARIO_D.expectBody).toBe(benchPage());
    expect(scenarioProxies(SCENARIO_D)).toEqual(['nginx', 'caddy', 'wharf']);
  });

  it('the backend serves the page from its folder as text/html', () => {
    const conf = nginxBackendConf('/tmp/b', 9000);
    expect(conf).toContain(
      `location = ${PAGE_PATH} { root /tmp/b; types { } default_type text/html; charset utf-8; }`,
    );
    expect(conf).not.toContain('gzip');
  });

  it('nginx: gzip on at level 5 with Vary, only in scenario D', () => {
    const conf = nginxProxyConf(ctx(SCENARIO_D));
    expect(conf).toContain('location / { ');
    expect(conf).toMatch(/gzip on; gzip_comp_level 5; gzip_vary on; proxy_pass http:\/\/backend;/);
    expect(conf.match(/server_name bench\.localhost;/g)).toHaveLength(1);
    expect(nginxProxyConf(ctx(SCENARIO_A))).not.toContain('gzip');
  });

  it('caddy: encode gzip before the proxy, only in scenario D', () => {
    const conf = caddyfile(ctx(SCENARIO_D), false);
    expect(conf).toContain(
      'http://bench.localhost:8000 {\n  bind 127.0.0.1\n  encode gzip\n  reverse_proxy 127.0.0.1:9000\n}',
    );
    expect(caddyfile(ctx(SCENARIO_A), false)).not.toContain('encode');
  });

  it('wharf: one router behind compress with encodings [gzip], passing the schema', () => {
    const dyn = wharfDynamic(SCENARIO_D, 9000) as { http: Record<string, Record<string, unknown>> };
    expect(dyn.http.routers).toEqual({
      r0: {
        rule: 'Host(`bench.localhost`)',
        entryPoints: ['web'],
        service: 'backend',
        middlewares: ['gzip'],
      },
    });
    expect(dyn.http.middlewares).toEqual({ gzip: { compress: { encodings: ['gzip'] } } });
    const fromYaml = parseYaml(wharfDynamicYaml(SCENARIO_D, 9000));
    expect(fromYaml).toEqual(dyn);
    expect(DynamicConfigSchema.safeParse(fromYaml).error).toBeUndefined();
    expect(wharfDynamic(SCENARIO_A, 9000)).not.toHaveProperty('http.middlewares');
  });

  describe('bodyProblem', () => {
    const page = SCENARIO_D.expectBody;
    const answer = (headers: Record<string, string>, bytes: Buffer, status = 200) => ({
      status,
      body: bytes.subarray(0, 100).toString(),
      bytes,
      headers,
    });
    it.each<[string, ReturnType<typeof answer>, RegExp | undefined]>([
      ['the page gzipped', answer({ 'content-encoding': 'gzip' }, gzipSync(page)), undefined],
      ['not encoded', answer({}, Buffer.from(page)), /Content-Encoding undefined/],
      ['another encoding', answer({ 'content-encoding': 'br' }, gzipSync(page)), /want "gzip"/],
      ['not gzip data', answer({ 'content-encoding': 'gzip' }, Buffer.from(page)), /does not gunzip/],
      ['another page', answer({ 'content-encoding': 'gzip' }, gzipSync(`${page}x`)), /16385 bytes/],
      ['a 502', answer({ 'content-encoding': 'gzip' }, gzipSync(page), 502), /gave 502/],
    ])('%s', (_name, a, problem) => {
      const got = bodyProblem(SCENARIO_D, a);
      if (problem === undefined) expect(got).toBeUndefined();
      else expect(got).toMatch(problem);
    });
    it('other scenarios compare the text', () => {
      expect(bodyProblem(SCENARIO_A, { status: 200, body: 'xb= uri=/\n' })).toBeUndefined();
      expect(bodyProblem(SCENARIO_A, { status: 200, body: 'xb=1 uri=/\n' })).toMatch(/want 200/);
    });
  });
});

describe('scenario E (rateLimit cost)', () => {
  it('is scenario A behind a rateLimit the load never reaches, Wharf only, passing the schema', () => {
    expect(scenarioProxies(SCENARIO_E)).toEqual(['wharf']);
    expect([SCENARIO_E.host, SCENARIO_E.path, SCENARIO_E.expectBody]).toEqual([
      SCENARIO_A.host,
      SCENARIO_A.path,
      SCENARIO_A.expectBody,
    ]);
    const dyn = wharfDynamic(SCENARIO_E, 9000) as { http: Record<string, Record<string, unknown>> };
    expect(dyn.http.routers).toEqual({
      r0: {
        rule: 'Host(`bench.localhost`)',
        entryPoints: ['web'],
        service: 'backend',
        middlewares: ['limit'],
      },
    });
    expect(dyn.http.middlewares).toEqual({
      limit: { rateLimit: { average: 10_000_000, burst: 10_000_000 } },
    });
    const fromYaml = parseYaml(wharfDynamicYaml(SCENARIO_E, 9000));
    expect(fromYaml).toEqual(dyn);
    expect(DynamicConfigSchema.safeParse(fromYaml).success).toBe(true);
  });
});

describe('scenario A behind a ban (npm run bench:ban)', () => {
  it('is scenario A behind a ban the 200s never set off, Wharf only, passing the schema', () => {
    expect(scenarioProxies(SCENARIO_A_BAN)).toEqual(['wharf']);
    expect([SCENARIO_A_BAN.host, SCENARIO_A_BAN.path]).toEqual([SCENARIO_A.host, SCENARIO_A.path]);
    const dyn = wharfDynamic(SCENARIO_A_BAN, 9000) as { http: Record<string, Record<string, unknown>> };
    expect((dyn.http.routers as Record<string, { middlewares?: string[] }>).r0?.middlewares).toEqual(['ban']);
    expect(dyn.http.middlewares).toEqual({
      ban: { ban: { maxRetry: 5, findTime: '10m', banTime: '10m', statusCodes: ['401', '403', '429'] } },
    });
    const fromYaml = parseYaml(wharfDynamicYaml(SCENARIO_A_BAN, 9000));
    expect(fromYaml).toEqual(dyn);
    expect(DynamicConfigSchema.safeParse(fromYaml).success).toBe(true);
  });
});
