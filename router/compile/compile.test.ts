import { Agent } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { type DynamicConfigInput, DynamicConfigSchema } from '../../config/dynamic.ts';
import { silentLogger } from '../../core/log.ts';
import { type MiddlewareRegistry, middlewareRegistry } from '../../middleware/registry.ts';
import type { Snapshot } from '../../providers/provider.ts';
import { UpstreamPools } from '../proxy/upstream-pools.ts';
import { merge } from '../reload/merge.ts';
import { compile, type RoutingTable } from './compile.ts';

const entryPoints = [
  { name: 'web', middlewares: [], isDefault: true },
  { name: 'wharf', middlewares: [], isDefault: false },
];
let tables: RoutingTable[] = [];
afterEach(() => {
  for (const t of tables) for (const s of t.services.values()) s.close();
  tables = [];
});

function run(configs: Record<string, DynamicConfigInput>, middlewares?: MiddlewareRegistry) {
  const snaps = Object.entries(configs).map(([provider, c]) => ({
    provider,
    config: DynamicConfigSchema.parse(c),
    diagnostics: [],
  }));
  return compileSnapshots(snaps, middlewares);
}

/** Compiles snapshots with fresh deps, remembering the table so its services are closed after the test. */
function compileSnapshots(snaps: Snapshot[], middlewares?: MiddlewareRegistry) {
  const out = compile(merge(snaps), {
    entryPoints,
    pools: new UpstreamPools(),
    sideTraffic: new Agent(),
    logger: silentLogger(),
    previousServices: new Map(),
    ...(middlewares ? { middlewares } : {}),
  });
  tables.push(out.table);
  return out;
}

const svc = { loadBalancer: { servers: [{ url: 'http://127.0.0.1:1' }] } };

describe('compile: router status and errors', () => {
  const cases: Array<{
    name: string;
    configs: Record<string, DynamicConfigInput>;
    expected: Record<string, { status: string; codes: string[]; using: string[] }>;
  }> = [
    {
      name: 'a valid router is enabled on default entryPoints (not the internal one)',
      configs: {
        file: { http: { routers: { r: { rule: 'Host(`a`)', service: 's' } }, services: { s: svc } } },
      },
      expected: { 'r@file': { status: 'enabled', codes: [], using: ['web'] } },
    },
    {
      name: 'bad rule, missing service and missing middleware each disable only their router',
      configs: {
        file: {
          http: {
            routers: {
              ok: { rule: 'Host(`ok`)', service: 's' },
              badRule: { rule: 'Host(`x`', service: 's' },
              noSvc: { rule: 'Host(`y`)', service: 'nope' },
              noMw: { rule: 'Host(`z`)', service: 's', middlewares: ['ghost'] },
              noRule: { service: 's' },
            },
            services: { s: svc },
          },
        },
      },
      expected: {
        'ok@file': { status: 'enabled', codes: [], using: ['web'] },
        'badRule@file': { status: 'disabled', codes: ['RULE_SYNTAX'], using: [] },
        'noSvc@file': { status: 'disabled', codes: ['ROUTER_SERVICE_MISSING'], using: [] },
        'noMw@file': { status: 'disabled', codes: ['ROUTER_MIDDLEWARE_MISSING'], using: [] },
        'noRule@file': { status: 'disabled', codes: ['ROUTER_NO_RULE'], using: [] },
      },
    },
    {
      name: 'rules too deep or too long, or with a regexp RE2 refuses, disable only their router',
      configs: {
        file: {
          http: {
            routers: {
              ok: { rule: 'Host(`ok`)', service: 's' },
              parens: { rule: `${'('.repeat(10_000)}Host(\`p\`)${')'.repeat(10_000)}`, service: 's' },
              nots: { rule: `${'!'.repeat(10_000)}Host(\`n\`)`, service: 's' },
              long: { rule: `Host(\`l\`)${' || Path(`/l`)'.repeat(6000)}`, service: 's' },
              ors: {
                rule: Array.from({ length: 6000 }, (_, i) => `Path(\`/${i}\`)`).join('||'),
                service: 's',
              },
              fewors: {
                rule: Array.from({ length: 4000 }, (_, i) => `Path(\`/${i}\`)`).join('||'),
                service: 's',
              },
              lookahead: { rule: 'PathRegexp(`^/(?!admin)`)', service: 's' },
            },
            services: { s: svc },
          },
        },
      },
      expected: {
        'ok@file': { status: 'enabled', codes: [], using: ['web'] },
        'parens@file': { status: 'disabled', codes: ['RULE_TOO_COMPLEX'], using: [] },
        'nots@file': { status: 'disabled', codes: ['RULE_TOO_COMPLEX'], using: [] },
        'long@file': { status: 'disabled', codes: ['RULE_TOO_COMPLEX'], using: [] },
        'ors@file': { status: 'disabled', codes: ['RULE_TOO_COMPLEX'], using: [] },
        'fewors@file': { status: 'enabled', codes: [], using: ['web'] },
        'lookahead@file': { status: 'disabled', codes: ['RULE_BAD_REGEXP'], using: [] },
      },
    },
    {
      name: 'unqualified references resolve in the router provider; qualified ones cross providers',
      configs: {
        file: { http: { services: { s: svc }, middlewares: { m: { addPrefix: { prefix: '/p' } } } } },
        docker: {
          http: {
            routers: {
              local: { rule: 'Host(`a`)', service: 's' },
              cross: { rule: 'Host(`b`)', service: 's@file', middlewares: ['m@file'] },
            },
          },
        },
      },
      expected: {
        'local@docker': { status: 'disabled', codes: ['ROUTER_SERVICE_MISSING'], using: [] },
        'cross@docker': { status: 'enabled', codes: [], using: ['web'] },
      },
    },
    {
      name: 'unknown entryPoint is a warning while another is valid, an error when none is',
      configs: {
        file: {
          http: {
            routers: {
              some: { rule: 'Host(`a`)', service: 's', entryPoints: ['web', 'nope'] },
              none: { rule: 'Host(`b`)', service: 's', entryPoints: ['nope'] },
            },
            services: { s: svc },
          },
        },
      },
      expected: {
        'some@file': { status: 'warning', codes: ['ROUTER_ENTRYPOINT_UNKNOWN'], using: ['web'] },
        'none@file': {
          status: 'disabled',
          codes: ['ROUTER_NO_ENTRYPOINT', 'ROUTER_ENTRYPOINT_UNKNOWN'],
          using: [],
        },
      },
    },
    {
      name: 'middleware recursion through chains is detected at compile time',
      configs: {
        file: {
          http: {
            routers: { r: { rule: 'Host(`a`)', service: 's', middlewares: ['c1'] } },
            services: { s: svc },
            middlewares: { c1: { chain: { middlewares: ['c2'] } }, c2: { chain: { middlewares: ['c1'] } } },
          },
        },
      },
      expected: { 'r@file': { status: 'disabled', codes: ['ROUTER_DISABLED_DEPENDENCY'], using: [] } },
    },
    {
      name: 'service recursion and missing children disable the service and its routers',
      configs: {
        file: {
          http: {
            routers: { r: { rule: 'Host(`a`)', service: 'w' }, f: { rule: 'Host(`f`)', service: 'fo' } },
            services: {
              w: { weighted: { services: [{ name: 'w2' }] } },
              w2: { weighted: { services: [{ name: 'w' }] } },
              fo: { failover: { service: 'gone', fallback: 'w' } },
            },
          },
        },
      },
      expected: {
        'r@file': { status: 'disabled', codes: ['ROUTER_DISABLED_DEPENDENCY'], using: [] },
        'f@file': { status: 'disabled', codes: ['ROUTER_DISABLED_DEPENDENCY'], using: [] },
      },
    },
    {
      name: 'tls routers: served with known options; unknown or invalid options disable only their router',
      configs: {
        file: {
          http: {
            routers: {
              t: { rule: 'Host(`t`)', service: 's', tls: {} },
              modern: { rule: 'Host(`m`)', service: 's', tls: { options: 'modern' } },
              qualified: { rule: 'Host(`q`)', service: 's', tls: { options: 'modern@file' } },
              typo: { rule: 'Host(`x`)', service: 's', tls: { options: 'modren' } },
              broken: { rule: 'Host(`b`)', service: 's', tls: { options: 'bad' } },
              acme: { rule: 'Host(`c`)', service: 's', tls: { certResolver: 'le' } },
            },
            services: { s: svc },
          },
          tls: { options: { modern: { minVersion: 'VersionTLS13' }, bad: { minVersion: 'TLS1.3' } } },
        },
      },
      expected: {
        't@file': { status: 'enabled', codes: [], using: ['web'] },
        'modern@file': { status: 'enabled', codes: [], using: ['web'] },
        'qualified@file': { status: 'enabled', codes: [], using: ['web'] },
        'typo@file': { status: 'disabled', codes: ['ROUTER_TLS_OPTIONS_MISSING'], using: [] },
        'broken@file': { status: 'disabled', codes: ['ROUTER_DISABLED_DEPENDENCY'], using: [] },
        'acme@file': { status: 'warning', codes: ['ROUTER_CERT_RESOLVER_UNKNOWN'], using: ['web'] },
      },
    },
    {
      name: 'a servers transport resolves in the service provider; a missing one disables the service and its routers',
      configs: {
        file: {
          http: {
            routers: {
              fast: { rule: 'Host(`f`)', service: 'fast' },
              lost: { rule: 'Host(`l`)', service: 'lost' },
              chained: { rule: 'Host(`c`)', service: 'both' },
            },
            services: {
              fast: { loadBalancer: { ...svc.loadBalancer, serversTransport: 'quick' } },
              lost: { loadBalancer: { ...svc.loadBalancer, serversTransport: 'nowhere' } },
              both: { weighted: { services: [{ name: 'fast' }, { name: 'lost' }] } },
            },
            serversTransports: { quick: { forwardingTimeouts: { dialTimeout: '1s' } } },
          },
        },
        docker: {
          http: {
            routers: { other: { rule: 'Host(`o`)', service: 'o' } },
            services: { o: { loadBalancer: { ...svc.loadBalancer, serversTransport: 'quick@file' } } },
          },
        },
      },
      expected: {
        'fast@file': { status: 'enabled', codes: [], using: ['web'] },
        // The service has the router's name: its own error shares the subject.
        'lost@file': {
          status: 'disabled',
          codes: ['SERVICE_REFERENCE_MISSING', 'ROUTER_DISABLED_DEPENDENCY'],
          using: [],
        },
        'chained@file': { status: 'disabled', codes: ['ROUTER_DISABLED_DEPENDENCY'], using: [] },
        'other@docker': { status: 'enabled', codes: [], using: ['web'] },
      },
    },
    {
      name: 'routers on one host naming different tls options get a warning (the host gets the default options)',
      configs: {
        file: {
          http: {
            routers: {
              a: { rule: 'Host(`h`) && Path(`/a`)', service: 's', tls: { options: 'modern' } },
              b: { rule: 'Host(`h`) && Path(`/b`)', service: 's', tls: {} },
            },
            services: { s: svc },
          },
          tls: { options: { modern: { minVersion: 'VersionTLS13' } } },
        },
      },
      expected: {
        'a@file': { status: 'warning', codes: ['ROUTER_TLS_OPTIONS_CONFLICT'], using: ['web'] },
        'b@file': { status: 'warning', codes: ['ROUTER_TLS_OPTIONS_CONFLICT'], using: ['web'] },
      },
    },
  ];

  for (const c of cases) {
    it(c.name, () => {
      const { table, diagnostics } = run(c.configs);
      const got: Record<string, { status: string; codes: string[]; using: string[] }> = {};
      for (const name of Object.keys(c.expected)) {
        const info = table.info.routers.get(name);
        got[name] = {
          status: info?.status ?? 'missing',
          codes: diagnostics.filter((d) => d.subject === name).map((d) => d.code),
          using: info?.using ?? [],
        };
      }
      expect(got).toEqual(c.expected);
    });
  }
});

describe('compile: tls', () => {
  it('puts tls routers in the secure index and decides the options per entryPoint host', () => {
    const { table } = run({
      file: {
        http: {
          routers: {
            plain: { rule: 'Host(`p`)', service: 's' },
            secure: { rule: 'Host(`a`) || Host(`B.`)', service: 's', tls: { options: 'modern' } },
          },
          services: { s: svc },
        },
        tls: { options: { modern: { minVersion: 'VersionTLS13' } } },
      },
    });
    expect(table.entryPoints.get('web')?.size).toBe(1);
    expect(table.secureEntryPoints?.get('web')?.size).toBe(1);
    expect(table.tls?.hostOptions).toEqual(
      new Map([
        [
          'web',
          new Map([
            ['a', 'modern@file'],
            ['b', 'modern@file'],
          ]),
        ],
      ]),
    );
    expect([...(table.tls?.state.options.keys() ?? [])].sort()).toEqual(['default', 'modern@file']);
  });
});

describe('compile: shared middleware chains', () => {
  it('routers with the same middlewares and service share one composed handler, and keep their names', () => {
    const { table } = run({
      file: {
        http: {
          routers: {
            a: { rule: 'Host(`a`)', service: 's', middlewares: ['m', 'n'] },
            b: { rule: 'Host(`b`)', service: 's', middlewares: ['m', 'n'] },
            c: { rule: 'Host(`c`)', service: 't', middlewares: ['m', 'n'] },
            d: { rule: 'Host(`d`)', service: 's', middlewares: ['n', 'm'] },
            e: { rule: 'Host(`e`)', service: 's' },
          },
          services: { s: svc, t: svc },
          middlewares: { m: { stripPrefix: { prefixes: ['/x'] } }, n: { addPrefix: { prefix: '/y' } } },
        },
      },
    });
    const web = table.entryPoints.get('web');
    const at = (host: string) =>
      web?.match({ host, path: '/', rawQuery: '', method: 'GET', headers: {}, clientIp: '127.0.0.1' })?.value;
    const [a, b, c, d, e] = ['a', 'b', 'c', 'd', 'e'].map(at);
    expect([a, b, c, d, e].map((v) => v?.router)).toEqual(['a@file', 'b@file', 'c@file', 'd@file', 'e@file']);
    expect(a?.handler).toBe(b?.handler);
    // Another service, another order or no middlewares: another handler.
    expect(new Set([a, c, d, e].map((v) => v?.handler)).size).toBe(4);
  });
});

describe('compile: services and middlewares in the API model', () => {
  it('records usedBy and types', () => {
    const { table } = run({
      file: {
        http: {
          routers: { r: { rule: 'Host(`a`)', service: 's', middlewares: ['m'] } },
          services: { s: svc },
          middlewares: { m: { stripPrefix: { prefixes: ['/x'] } } },
        },
      },
    });
    expect(table.info.services.get('s@file')).toMatchObject({
      type: 'loadbalancer',
      status: 'enabled',
      usedBy: ['r@file'],
      serverStatus: { 'http://127.0.0.1:1': 'UP' },
    });
    expect(table.info.middlewares.get('m@file')).toMatchObject({
      type: 'stripprefix',
      status: 'enabled',
      usedBy: ['r@file'],
    });
  });

  it('priority defaults to the rule length and explicit priority is kept', () => {
    const { table } = run({
      file: {
        http: {
          routers: {
            a: { rule: 'Host(`abc`)', service: 's' },
            b: { rule: 'Host(`x`)', service: 's', priority: 7 },
          },
          services: { s: svc },
        },
      },
    });
    expect([table.info.routers.get('a@file')?.priority, table.info.routers.get('b@file')?.priority]).toEqual([
      'Host(`abc`)'.length,
      7,
    ]);
  });
});

describe('compile: items a provider left out', () => {
  it('a router naming a service the provider left out says why, not "does not exist"', () => {
    const snap = {
      provider: 'docker',
      config: DynamicConfigSchema.parse({ http: { routers: { r: { rule: 'Host(`a`)', service: 'app' } } } }),
      diagnostics: [
        {
          source: 'docker',
          subject: 'app-1',
          code: 'DOCKER_NO_PORT' as const,
          message:
            'container "app-1": no port for service "app"; set wharf.http.services.app.loadbalancer.server.port',
          severity: 'error' as const,
          item: { kind: 'service' as const, name: 'app' },
        },
      ],
    };
    const out = compileSnapshots([snap]);
    expect(out.diagnostics.filter((d) => d.subject === 'r@docker').map((d) => d.code)).toEqual([
      'ROUTER_DISABLED_DEPENDENCY',
    ]);
    expect(out.table.info.routers.get('r@docker')?.error?.[0]).toContain('no port for service "app"');
  });
});

describe('compile: a middleware whose factory throws', () => {
  // addPrefix stands for any middleware that rejects its options when built (an unreadable htpasswd file).
  const failing: MiddlewareRegistry = {
    ...middlewareRegistry,
    addPrefix: {
      create: (o) => {
        throw new Error(`prefix ${o.prefix} cannot be used`);
      },
    },
  };
  it('disables that middleware and the routers using it (directly or in a chain); nothing else', () => {
    const { table, diagnostics } = run(
      {
        file: {
          http: {
            routers: {
              direct: { rule: 'Host(`a`)', service: 's', middlewares: ['bad'] },
              chained: { rule: 'Host(`b`)', service: 's', middlewares: ['ok', 'c'] },
              other: { rule: 'Host(`c`)', service: 's', middlewares: ['ok'] },
              plain: { rule: 'Host(`d`)', service: 's' },
            },
            services: { s: svc },
            middlewares: {
              bad: { addPrefix: { prefix: '/p' } },
              ok: { stripPrefix: { prefixes: ['/x'] } },
              c: { chain: { middlewares: ['bad'] } },
            },
          },
        },
      },
      failing,
    );
    const badMessage = 'middleware "bad@file": prefix /p cannot be used';
    const chainMessage = 'middleware "c@file": chain member "bad@file" is disabled: prefix /p cannot be used';
    expect({
      routers: Object.fromEntries(
        [...table.info.routers].map(([q, r]) => [q, { status: r.status, using: r.using, error: r.error }]),
      ),
      middlewares: Object.fromEntries(
        [...table.info.middlewares].map(([q, m]) => [q, { status: m.status, error: m.error }]),
      ),
      served: ['a', 'b', 'c', 'd'].map(
        (host) =>
          table.entryPoints
            .get('web')
            ?.match({ host, path: '/', rawQuery: '', method: 'GET', headers: {}, clientIp: '127.0.0.1' })
            ?.value.router,
      ),
      diagnostics: diagnostics.map((d) => ({ code: d.code, subject: d.subject, message: d.message })),
    }).toEqual({
      routers: {
        'chained@file': {
          status: 'disabled',
          using: [],
          error: [`router "chained@file": middleware "c@file" is disabled: ${chainMessage}`],
        },
        'direct@file': {
          status: 'disabled',
          using: [],
          error: [`router "direct@file": middleware "bad@file" is disabled: ${badMessage}`],
        },
        'other@file': { status: 'enabled', using: ['web'], error: undefined },
        'plain@file': { status: 'enabled', using: ['web'], error: undefined },
      },
      middlewares: {
        'bad@file': { status: 'disabled', error: [badMessage] },
        'ok@file': { status: 'enabled', error: undefined },
        'c@file': { status: 'disabled', error: [chainMessage] },
      },
      served: [undefined, undefined, 'other@file', 'plain@file'],
      diagnostics: [
        { code: 'MIDDLEWARE_INVALID', subject: 'bad@file', message: badMessage },
        { code: 'MIDDLEWARE_INVALID', subject: 'c@file', message: chainMessage },
        {
          code: 'ROUTER_DISABLED_DEPENDENCY',
          subject: 'chained@file',
          message: `router "chained@file": middleware "c@file" is disabled: ${chainMessage}`,
        },
        {
          code: 'ROUTER_DISABLED_DEPENDENCY',
          subject: 'direct@file',
          message: `router "direct@file": middleware "bad@file" is disabled: ${badMessage}`,
        },
      ],
    });
  });
});
