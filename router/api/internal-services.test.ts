import { describe, expect, it } from 'vitest';
import { type DynamicConfigInput, DynamicConfigSchema } from '../../config/dynamic.ts';
import { decodeFlatKeys } from '../../config/flat-keys.ts';
import { type StaticConfigInput, StaticConfigSchema } from '../../config/static.ts';
import type { Handler } from '../../middleware/middleware.ts';
import { resolveRouting } from '../compile/resolve-routing.ts';
import { merge } from '../reload/merge.ts';
import { internalConfig, internalSnapshot } from './internal-config.ts';
import { enabledInternalServices, internalServices } from './internal-services.ts';

const entryPoints = [
  { name: 'websecure', middlewares: [], isDefault: true },
  { name: 'wharf', middlewares: [], isDefault: false },
];

/** Resolves a file provider's routers against the internal services a static configuration enables. */
function resolve(staticInput: StaticConfigInput, dynamic: DynamicConfigInput) {
  const config = StaticConfigSchema.parse(staticInput);
  const snaps = [
    { provider: 'file', config: DynamicConfigSchema.parse(dynamic), diagnostics: [] },
    internalSnapshot(config),
  ];
  return resolveRouting(merge(snaps), { entryPoints, internalServices: enabledInternalServices(config) });
}

const dashboardRouter = (service: string) => ({
  http: {
    routers: {
      dashboard: {
        rule: 'Host(`traefik.example.com`) && (PathPrefix(`/api`) || PathPrefix(`/dashboard`))',
        service,
        entryPoints: ['websecure'],
        middlewares: ['auth'],
        tls: {},
      },
    },
    middlewares: { auth: { basicAuth: { users: ['admin:$apr1$H6uskkkW$IgXLP6ewTrSuBkTrqE8wj/'] } } },
  },
});

describe('internal services: any router may name them', () => {
  it.each([
    { service: 'api@internal', staticConfig: { api: {} }, error: undefined },
    { service: 'dashboard@internal', staticConfig: { api: {} }, error: undefined },
    { service: 'ping@internal', staticConfig: { ping: {} }, error: undefined },
    { service: 'noop@internal', staticConfig: {}, error: undefined },
    {
      service: 'api@internal',
      staticConfig: {},
      error:
        'router "dashboard@file": service "api@internal" cannot be used: api is not enabled; add an api section to the static configuration (api: {})',
    },
    {
      service: 'dashboard@internal',
      staticConfig: { api: { dashboard: false } },
      error:
        'router "dashboard@file": service "dashboard@internal" cannot be used: dashboard is not enabled; enable api and api.dashboard in the static configuration',
    },
    {
      service: 'prometheus@internal',
      staticConfig: {},
      error:
        'router "dashboard@file": service "prometheus@internal" cannot be used: prometheus is not enabled; add metrics.prometheus to the static configuration',
    },
    {
      service: 'apii@internal',
      staticConfig: { api: {} },
      error:
        'router "dashboard@file": service "apii@internal" cannot be used: unknown internal service apii@internal (Wharf\'s are api@internal, dashboard@internal, noop@internal, ping@internal, prometheus@internal)',
    },
  ])('$service with $staticConfig', ({ service, staticConfig, error }) => {
    const plan = resolve(staticConfig, dashboardRouter(service));
    const router = plan.info.routers.get('dashboard@file');
    if (error === undefined) {
      expect(router?.status).toBe('enabled');
      expect(plan.routers.map((r) => [r.name, r.service])).toContainEqual(['dashboard@file', service]);
      expect(plan.info.services.get(service)).toMatchObject({ provider: 'internal', status: 'enabled' });
      expect(plan.info.services.get(service)?.usedBy).toContain('dashboard@file');
      expect(plan.internalHandlers.has(service)).toBe(true);
    } else {
      expect(router).toMatchObject({ status: 'disabled', error: [error] });
      expect(plan.diagnostics).toContainEqual(
        expect.objectContaining({
          code: 'ROUTER_INTERNAL_SERVICE',
          subject: 'dashboard@file',
          message: error,
        }),
      );
    }
  });

  it('a label names api@internal as Traefik users write it', () => {
    const labels = {
      'wharf.http.routers.dash.rule': 'Host(`traefik.example.com`)',
      'wharf.http.routers.dash.service': 'api@internal',
      'wharf.http.routers.dash.middlewares': 'auth',
      'wharf.http.middlewares.auth.basicauth.users': 'admin:$apr1$H6uskkkW$IgXLP6ewTrSuBkTrqE8wj/',
    };
    const decoded = decodeFlatKeys(
      Object.entries(labels).map(([key, value]) => ({ key, value })),
      { style: 'label', root: 'wharf', source: 'docker', subject: 'traefik' },
    );
    expect(decoded.diagnostics).toEqual([]);
    expect(decoded.config.http?.routers?.dash?.service).toBe('api@internal');
    const config = StaticConfigSchema.parse({ api: {} });
    const plan = resolveRouting(
      merge([{ provider: 'docker', config: decoded.config, diagnostics: [] }, internalSnapshot(config)]),
      { entryPoints, internalServices: enabledInternalServices(config) },
    );
    expect(plan.info.routers.get('dash@docker')?.status).toBe('enabled');
  });

  it("user routers cannot take the internal routers' priorities", () => {
    const plan = resolve(
      { api: { insecure: true } },
      {
        http: {
          routers: {
            top: { rule: 'PathPrefix(`/`)', service: 'noop@internal', priority: Number.MAX_SAFE_INTEGER },
          },
        },
      },
    );
    expect(plan.info.routers.get('top@file')?.status).toBe('disabled');
    expect(plan.diagnostics.map((d) => d.code)).toContain('ROUTER_PRIORITY_TOO_HIGH');
    expect(plan.info.routers.get('api@internal')?.status).toBe('enabled');
  });
});

describe("internalConfig: Traefik's internal routers", () => {
  it('nothing without api.insecure and ping', () => {
    expect(internalConfig(StaticConfigSchema.parse({ api: {} }))).toEqual({
      http: { routers: {}, middlewares: {} },
    });
  });

  it('api.insecure with the dashboard and debug, ping on its entryPoint, all enabled without diagnostics', () => {
    const config = StaticConfigSchema.parse({
      entryPoints: { websecure: { address: ':443' }, wharf: { address: ':8080' } },
      api: { insecure: true, debug: true },
      ping: { entryPoint: 'websecure' },
    });
    const plan = resolveRouting(merge([internalSnapshot(config)]), {
      entryPoints,
      internalServices: enabledInternalServices(config),
    });
    expect(
      Object.fromEntries([...plan.info.routers].map(([q, r]) => [q, [r.rule, r.using, r.status]])),
    ).toEqual({
      'api@internal': ['PathPrefix(`/api`)', ['wharf'], 'enabled'],
      'dashboard@internal': ['PathPrefix(`/`)', ['wharf'], 'enabled'],
      'debug@internal': ['PathPrefix(`/debug`)', ['wharf'], 'enabled'],
      'ping@internal': ['PathPrefix(`/ping`)', ['websecure'], 'enabled'],
    });
    expect(plan.diagnostics).toEqual([]);
  });

  it('puts the insecure routers under api.basePath', () => {
    const http = internalConfig(
      StaticConfigSchema.parse({ api: { insecure: true, basePath: '/traefik/' } }),
    ).http;
    expect(http?.routers?.api?.rule).toBe('PathPrefix(`/traefik/api`)');
    expect(http?.routers?.dashboard?.rule).toBe('PathPrefix(`/traefik/`)');
    expect(http?.middlewares?.dashboard_stripprefix).toEqual({
      stripPrefix: { prefixes: ['/traefik/dashboard/', '/traefik/dashboard'] },
    });
  });

  it('ping.manualRouting leaves /ping to the user', () => {
    const http = internalConfig(StaticConfigSchema.parse({ ping: { manualRouting: true } })).http;
    expect(http?.routers).toEqual({});
  });
});

describe('internalServices', () => {
  it('lists every internal service; those without a handler say why', () => {
    const h: Handler = async () => {};
    const map = internalServices({ api: h });
    expect([...map.keys()].sort()).toEqual([
      'api@internal',
      'dashboard@internal',
      'noop@internal',
      'ping@internal',
      'prometheus@internal',
    ]);
    expect('handler' in (map.get('api@internal') ?? {})).toBe(true);
    expect('handler' in (map.get('noop@internal') ?? {})).toBe(true);
    expect(map.get('ping@internal')).toEqual({ disabled: expect.stringMatching(/^ping is not enabled/) });
  });
});
