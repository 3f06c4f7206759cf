import { describe, expect, it } from 'vitest';
import { StaticConfigSchema } from '../../config/static.ts';
import { countSection, overview } from './overview.ts';

describe('countSection: Traefik counts disabled items as errors and warning items as warnings', () => {
  it.each([
    { statuses: [], out: { total: 0, warnings: 0, errors: 0 } },
    { statuses: ['enabled', 'enabled'], out: { total: 2, warnings: 0, errors: 0 } },
    { statuses: ['enabled', 'warning', 'disabled', 'disabled'], out: { total: 4, warnings: 1, errors: 2 } },
  ])('$statuses', ({ statuses, out }) => {
    expect(countSection(statuses.map((status) => ({ status })))).toEqual(out);
  });
});

describe('overview', () => {
  const none = { total: 0, warnings: 0, errors: 0 };
  it.each([
    {
      name: 'no providers, no features: no providers key (omitempty)',
      config: {},
      features: { tracing: '', metrics: '', accessLog: false },
      providers: undefined,
    },
    {
      name: "providers in Traefik's order and spelling",
      config: { providers: { consul: {}, file: { filename: 'x.yml' }, docker: {} }, accessLog: {} },
      features: { tracing: '', metrics: '', accessLog: true },
      providers: ['Docker', 'File', 'Consul'],
    },
    {
      name: 'metrics and tracing backends by their Go names',
      config: { metrics: { prometheus: {} }, tracing: { otlp: {} } },
      features: { tracing: 'OTLP', metrics: 'Prometheus', accessLog: false },
      providers: undefined,
    },
  ])('$name', ({ config, features, providers }) => {
    // metrics and tracing are other sections' schemas: given here as the parsed configuration would hold them.
    const { metrics, tracing, ...rest } = config as Record<string, unknown>;
    const parsed = { ...StaticConfigSchema.parse(rest), metrics, tracing } as Parameters<typeof overview>[1];
    const out = overview(
      {
        routers: [{ status: 'enabled' }, { status: 'disabled' }],
        services: [{ status: 'warning' }],
        middlewares: [],
      },
      parsed,
    );
    expect(out).toEqual({
      http: {
        routers: { total: 2, warnings: 0, errors: 1 },
        services: { total: 1, warnings: 1, errors: 0 },
        middlewares: none,
      },
      tcp: { routers: none, services: none, middlewares: none },
      udp: { routers: none, services: none },
      features,
      ...(providers ? { providers } : {}),
    });
  });
});
