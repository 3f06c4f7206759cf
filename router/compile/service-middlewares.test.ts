import { Agent } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { type DynamicConfigInput, DynamicConfigSchema } from '../../config/dynamic.ts';
import { silentLogger } from '../../core/log.ts';
import { type MiddlewareRegistry, middlewareRegistry } from '../../middleware/registry.ts';
import { UpstreamPools } from '../proxy/upstream-pools.ts';
import { merge } from '../reload/merge.ts';
import { compile, type RoutingTable } from './compile.ts';
import { serviceScope } from './service-chains.ts';

// `middlewares` on a service (Traefik v3.7 Service.Middlewares): resolved in the service's provider like a
// router's, the service disabled (with a diagnostic naming it and the middleware) when one is unknown or
// broken, and built from the same middleware instances as routers' chains, reused across reloads.

const entryPoints = [{ name: 'web', middlewares: [], isDefault: true }];
let tables: RoutingTable[] = [];
afterEach(() => {
  for (const t of tables) {
    for (const c of t.serviceCache.values()) c.runtime.close();
    for (const m of t.middlewareCache?.values() ?? []) m.close();
  }
  tables = [];
});

function run(
  configs: Record<string, DynamicConfigInput>,
  options: { previous?: RoutingTable; middlewares?: MiddlewareRegistry } = {},
) {
  const snaps = Object.entries(configs).map(([provider, c]) => ({
    provider,
    config: DynamicConfigSchema.parse(c),
    diagnostics: [],
  }));
  const { previous } = options;
  const out = compile(merge(snaps), {
    entryPoints,
    pools: new UpstreamPools(),
    sideTraffic: new Agent(),
    logger: silentLogger(),
    previousServices: previous?.serviceCache ?? new Map(),
    ...(previous?.middlewareCache && { previousMiddlewares: previous.middlewareCache }),
    ...(options.middlewares && { middlewares: options.middlewares }),
  });
  tables.push(out.table);
  return out;
}

const lb = (port = 1) => ({ loadBalancer: { servers: [{ url: `http://127.0.0.1:${port}` }] } });
const hdr = (value: string) => ({ headers: { customRequestHeaders: { 'X-Svc': value } } });
const routers = {
  uses: { rule: 'Host(`a`)', service: 's' },
  other: { rule: 'Host(`b`)', service: 'plain' },
};

function summary(out: ReturnType<typeof run>) {
  return {
    routers: Object.fromEntries([...out.table.info.routers].map(([q, r]) => [q, r.status])),
    services: Object.fromEntries(
      [...out.table.info.services].map(([q, s]) => [
        q,
        s.error ? { status: s.status, error: s.error } : s.status,
      ]),
    ),
    diagnostics: out.diagnostics.map((d) => `${d.code} ${d.subject}: ${d.message}`),
  };
}

describe('compile: middlewares on a service', () => {
  const cases: Array<{
    name: string;
    configs: Record<string, DynamicConfigInput>;
    routers: Record<string, string>;
    services: Record<string, unknown>;
    diagnostics: string[];
  }> = [
    {
      name: 'a known middleware: the service and its routers serve',
      configs: {
        file: {
          http: {
            routers,
            services: { s: { ...lb(), middlewares: ['h'] }, plain: lb() },
            middlewares: { h: hdr('1') },
          },
        },
      },
      routers: { 'uses@file': 'enabled', 'other@file': 'enabled' },
      services: { 's@file': 'enabled', 'plain@file': 'enabled' },
      diagnostics: [],
    },
    {
      name: "names resolve in the service's provider, or where qualified",
      configs: {
        file: { http: { middlewares: { shared: hdr('f') } } },
        docker: {
          http: {
            routers,
            services: { s: { ...lb(), middlewares: ['h', 'shared@file'] }, plain: lb() },
            middlewares: { h: hdr('d') },
          },
        },
      },
      routers: { 'uses@docker': 'enabled', 'other@docker': 'enabled' },
      services: { 's@docker': 'enabled', 'plain@docker': 'enabled' },
      diagnostics: [],
    },
    {
      name: "a router of another provider naming the service: names resolve in the service's provider",
      configs: {
        file: { http: { services: { s: { ...lb(), middlewares: ['h'] } }, middlewares: { h: hdr('f') } } },
        docker: { http: { routers: { cross: { rule: 'Host(`c`)', service: 's@file' } } } },
      },
      routers: { 'cross@docker': 'enabled' },
      services: { 's@file': 'enabled' },
      diagnostics: [],
    },
    {
      name: 'an unknown middleware disables the service and its routers, naming both; the others serve',
      configs: {
        file: { http: { routers, services: { s: { ...lb(), middlewares: ['ghost'] }, plain: lb() } } },
      },
      routers: { 'uses@file': 'disabled', 'other@file': 'enabled' },
      services: {
        's@file': {
          status: 'disabled',
          error: ['service "s@file": middlewares names "ghost@file", which does not exist'],
        },
        'plain@file': 'enabled',
      },
      diagnostics: [
        'SERVICE_REFERENCE_MISSING s@file: service "s@file": middlewares names "ghost@file", which does not exist',
        'ROUTER_DISABLED_DEPENDENCY uses@file: router "uses@file": service "s@file" is disabled: service "s@file": middlewares names "ghost@file", which does not exist',
      ],
    },
    {
      name: 'an unqualified name is not looked up in another provider (as in Traefik)',
      configs: {
        file: { http: { middlewares: { h: hdr('f') } } },
        docker: { http: { routers, services: { s: { ...lb(), middlewares: ['h'] }, plain: lb() } } },
      },
      routers: { 'uses@docker': 'disabled', 'other@docker': 'enabled' },
      services: {
        's@docker': {
          status: 'disabled',
          error: ['service "s@docker": middlewares names "h@docker", which does not exist'],
        },
        'plain@docker': 'enabled',
      },
      diagnostics: [
        'SERVICE_REFERENCE_MISSING s@docker: service "s@docker": middlewares names "h@docker", which does not exist',
        'ROUTER_DISABLED_DEPENDENCY uses@docker: router "uses@docker": service "s@docker" is disabled: service "s@docker": middlewares names "h@docker", which does not exist',
      ],
    },
    {
      name: 'a broken middleware (a chain with a missing member) disables the service, saying why',
      configs: {
        file: {
          http: {
            routers,
            services: { s: { ...lb(), middlewares: ['c'] }, plain: lb() },
            middlewares: { c: { chain: { middlewares: ['nope'] } } },
          },
        },
      },
      routers: { 'uses@file': 'disabled', 'other@file': 'enabled' },
      services: {
        's@file': {
          status: 'disabled',
          error: [
            'service "s@file": middleware "c@file" is disabled: middleware "c@file": chain member "nope@file" does not exist',
          ],
        },
        'plain@file': 'enabled',
      },
      diagnostics: [
        'MIDDLEWARE_INVALID c@file: middleware "c@file": chain member "nope@file" does not exist',
        'SERVICE_INVALID s@file: service "s@file": middleware "c@file" is disabled: middleware "c@file": chain member "nope@file" does not exist',
        'ROUTER_DISABLED_DEPENDENCY uses@file: router "uses@file": service "s@file" is disabled: service "s@file": middleware "c@file" is disabled: middleware "c@file": chain member "nope@file" does not exist',
      ],
    },
    {
      name: 'a weighted service over a child with its own middlewares, and a parent of a disabled child',
      configs: {
        file: {
          http: {
            routers: { ...routers, bad: { rule: 'Host(`c`)', service: 'w2' } },
            services: {
              s: { weighted: { services: [{ name: 'c1' }, { name: 'c2' }] }, middlewares: ['h'] },
              c1: { ...lb(1), middlewares: ['h'] },
              c2: lb(2),
              w2: { weighted: { services: [{ name: 'c3' }] } },
              c3: { ...lb(3), middlewares: ['ghost'] },
              plain: lb(),
            },
            middlewares: { h: hdr('1') },
          },
        },
      },
      routers: { 'uses@file': 'enabled', 'other@file': 'enabled', 'bad@file': 'disabled' },
      services: {
        's@file': 'enabled',
        'c1@file': 'enabled',
        'c2@file': 'enabled',
        'w2@file': {
          status: 'disabled',
          error: [
            'service "w2@file": weighted.services "c3@file" is disabled: service "c3@file": middlewares names "ghost@file", which does not exist',
          ],
        },
        'c3@file': {
          status: 'disabled',
          error: ['service "c3@file": middlewares names "ghost@file", which does not exist'],
        },
        'plain@file': 'enabled',
      },
      diagnostics: [
        'SERVICE_REFERENCE_MISSING c3@file: service "c3@file": middlewares names "ghost@file", which does not exist',
        'SERVICE_INVALID w2@file: service "w2@file": weighted.services "c3@file" is disabled: service "c3@file": middlewares names "ghost@file", which does not exist',
        'ROUTER_DISABLED_DEPENDENCY bad@file: router "bad@file": service "w2@file" is disabled: service "w2@file": weighted.services "c3@file" is disabled: service "c3@file": middlewares names "ghost@file", which does not exist',
      ],
    },
    {
      name: 'a cycle through a middleware that names its own service disables both, without hanging',
      configs: {
        file: {
          http: {
            routers,
            services: { s: { ...lb(), middlewares: ['e'] }, plain: lb() },
            middlewares: { e: { errors: { status: ['500'], service: 's' } } },
          },
        },
      },
      routers: { 'uses@file': 'disabled', 'other@file': 'enabled' },
      services: {
        's@file': {
          status: 'disabled',
          error: [
            'service "s@file": middleware "e@file" is disabled: middleware "e@file": errors.service "s@file" is disabled: a cycle back to service "s@file" through its middlewares',
          ],
        },
        'plain@file': 'enabled',
      },
      diagnostics: [
        'MIDDLEWARE_INVALID e@file: middleware "e@file": errors.service "s@file" is disabled: a cycle back to service "s@file" through its middlewares',
        'SERVICE_INVALID s@file: service "s@file": middleware "e@file" is disabled: middleware "e@file": errors.service "s@file" is disabled: a cycle back to service "s@file" through its middlewares',
        'ROUTER_DISABLED_DEPENDENCY uses@file: router "uses@file": service "s@file" is disabled: service "s@file": middleware "e@file" is disabled: middleware "e@file": errors.service "s@file" is disabled: a cycle back to service "s@file" through its middlewares',
      ],
    },
    {
      name: 'a mirror with service middlewares is not supported: the mirroring service is left out',
      configs: {
        file: {
          http: {
            routers: { ...routers, mirrored: { rule: 'Host(`m`)', service: 'm' } },
            services: {
              m: { mirroring: { service: 'plain', mirrors: [{ name: 's', percent: 10 }] } },
              s: { ...lb(), middlewares: ['h'] },
              plain: lb(),
            },
            middlewares: { h: hdr('1') },
          },
        },
      },
      routers: { 'uses@file': 'enabled', 'other@file': 'enabled', 'mirrored@file': 'disabled' },
      services: {
        'm@file': {
          status: 'disabled',
          error: [
            'service "m@file": mirroring.mirrors "s@file" has service middlewares, which Wharf does not run on mirror copies (not supported); mirror to a service without middlewares',
          ],
        },
        's@file': 'enabled',
        'plain@file': 'enabled',
      },
      diagnostics: [
        'SERVICE_INVALID m@file: service "m@file": mirroring.mirrors "s@file" has service middlewares, which Wharf does not run on mirror copies (not supported); mirror to a service without middlewares',
        'ROUTER_DISABLED_DEPENDENCY mirrored@file: router "mirrored@file": service "m@file" is disabled: service "m@file": mirroring.mirrors "s@file" has service middlewares, which Wharf does not run on mirror copies (not supported); mirror to a service without middlewares',
      ],
    },
  ];

  it.each(cases)('$name', (c) => {
    expect(summary(run(c.configs))).toEqual({
      routers: c.routers,
      services: c.services,
      diagnostics: c.diagnostics,
    });
  });

  it('a middleware whose factory throws disables the service, naming the service and the middleware', () => {
    const failing: MiddlewareRegistry = {
      ...middlewareRegistry,
      addPrefix: {
        create: () => {
          throw new Error('cannot be used');
        },
      },
    };
    const out = run(
      {
        file: {
          http: {
            routers,
            services: { s: { ...lb(), middlewares: ['p'] }, plain: lb() },
            middlewares: { p: { addPrefix: { prefix: '/x' } } },
          },
        },
      },
      { middlewares: failing },
    );
    expect(summary(out)).toEqual({
      routers: { 'uses@file': 'disabled', 'other@file': 'enabled' },
      services: {
        's@file': {
          status: 'disabled',
          error: ['service "s@file": middleware "p@file" could not be built: cannot be used'],
        },
        'plain@file': 'enabled',
      },
      diagnostics: [
        'SERVICE_INVALID s@file: service "s@file": middleware "p@file" could not be built: cannot be used',
        'MIDDLEWARE_INVALID p@file: middleware "p@file": cannot be used',
        'ROUTER_DISABLED_DEPENDENCY uses@file: router "uses@file": service "s@file" is disabled: service "s@file": middleware "p@file" could not be built: cannot be used',
      ],
    });
    expect(out.table.info.middlewares.get('p@file')?.status).toBe('disabled');
  });

  it('a middleware naming a service with middlewares (errors.service) gets the service behind them', () => {
    const out = run({
      file: {
        http: {
          routers: { r: { rule: 'Host(`a`)', service: 'plain', middlewares: ['e'] } },
          services: { pages: { ...lb(2), middlewares: ['h'] }, plain: lb() },
          middlewares: { e: { errors: { status: ['500'], service: 'pages' } }, h: hdr('1') },
        },
      },
    });
    expect(summary(out).diagnostics).toEqual([]);
    const wrapped = out.table.services.get('pages@file')?.handler;
    expect(wrapped).not.toBe(out.table.serviceCache.get('pages@file')?.runtime.handler);
    expect(out.table.middlewareCache?.get('e@file')?.services).toEqual([wrapped]);
  });

  it('the API shows the middlewares on the service (as Traefik does) and its kind as type', () => {
    const out = run({
      file: {
        http: {
          routers,
          services: { s: { middlewares: ['h'], ...lb() }, plain: lb() },
          middlewares: { h: hdr('1') },
        },
      },
    });
    const s = out.table.info.services.get('s@file');
    expect(s?.type).toBe('loadbalancer');
    expect(s?.middlewares).toEqual(['h']);
    // Traefik lists only routers in a middleware's usedBy (pkg/config/runtime/runtime.go).
    expect(out.table.info.middlewares.get('h@file')?.usedBy).toEqual([]);
  });
});

describe('compile: service middlewares across reloads', () => {
  const config = (average: number, header = '1') => ({
    file: {
      http: {
        routers: { r: { rule: 'Host(`a`)', service: 'w' }, direct: { rule: 'Host(`b`)', service: 'c1' } },
        services: {
          w: { weighted: { services: [{ name: 'c1' }, { name: 'c2' }] } },
          c1: { ...lb(1), middlewares: ['limit', 'h'] },
          c2: lb(2),
        },
        middlewares: { limit: { rateLimit: { average, burst: 5 } }, h: hdr(header) },
      },
    },
  });

  it('keeps the wrapped service, its parent weighted service and the middleware state while unchanged', () => {
    const first = run(config(10)).table;
    const same = run(config(10), { previous: first }).table;
    expect(same.services.get('c1@file')).toBe(first.services.get('c1@file'));
    expect(same.services.get('w@file')).toBe(first.services.get('w@file'));
    const limit = (t: RoutingTable) => t.middlewareCache?.get(`limit@file\u0000${serviceScope('c1@file')}`);
    expect(limit(first)).toBeDefined();
    expect(limit(same)).toBe(limit(first));
  });

  it("a changed middleware rebuilds the wrapper (and the parent) but keeps the balancer and the others' state", () => {
    const first = run(config(10)).table;
    const changed = run(config(10, '2'), { previous: first }).table;
    expect(changed.services.get('c1@file')).not.toBe(first.services.get('c1@file'));
    expect(changed.serviceCache.get('c1@file')?.runtime).toBe(first.serviceCache.get('c1@file')?.runtime);
    const limit = (t: RoutingTable) => t.middlewareCache?.get(`limit@file\u0000${serviceScope('c1@file')}`);
    expect(limit(changed)).toBe(limit(first));
  });
});
