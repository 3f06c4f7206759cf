import { describe, expect, it } from 'vitest';
import { decodeKvEntries } from './decode.ts';
import { endpointUrl } from './kv-client.ts';
import { ReadLimiter } from './read-limiter.ts';

const kv = (pairs: Record<string, string>) =>
  Object.entries(pairs).map(([key, value]) => ({ key, value, modifyIndex: 1 }));

describe('decodeKvEntries (Traefik KV layout)', () => {
  const cases: Array<{ name: string; pairs: Record<string, string>; http: unknown; codes?: string[] }> = [
    {
      name: 'routers, services and middlewares; list items sorted numerically (10 after 2)',
      pairs: {
        'wharf/': '',
        'wharf/http/routers/api/rule': 'Host(`api.example.com`)',
        'wharf/http/routers/api/entrypoints/0': 'web',
        'wharf/http/routers/api/middlewares/10': 'm10',
        'wharf/http/routers/api/middlewares/2': 'm2',
        'wharf/http/routers/api/service': 'api',
        'wharf/http/services/api/loadbalancer/servers/0/url': 'http://10.0.0.5:8080',
        'wharf/http/services/api/loadbalancer/servers/1/url': 'http://10.0.0.6:8080',
        'wharf/http/middlewares/m2/stripprefix/prefixes/0': '/api',
        'wharf/http/middlewares/m10/addprefix/prefix': '/v1',
      },
      http: {
        routers: {
          api: {
            rule: 'Host(`api.example.com`)',
            entryPoints: ['web'],
            middlewares: ['m2', 'm10'],
            service: 'api',
          },
        },
        services: {
          api: {
            loadBalancer: { servers: [{ url: 'http://10.0.0.5:8080' }, { url: 'http://10.0.0.6:8080' }] },
          },
        },
        middlewares: { m2: { stripPrefix: { prefixes: ['/api'] } }, m10: { addPrefix: { prefix: '/v1' } } },
      },
    },
    {
      name: 'weighted, failover and mirroring services (which labels cannot express)',
      pairs: {
        'wharf/http/services/canary/weighted/services/0/name': 'v1',
        'wharf/http/services/canary/weighted/services/0/weight': '3',
        'wharf/http/services/canary/weighted/services/1/name': 'v2',
        'wharf/http/services/canary/weighted/services/1/weight': '1',
        'wharf/http/services/fo/failover/service': 'v1',
        'wharf/http/services/fo/failover/fallback': 'v2',
        'wharf/http/services/mir/mirroring/service': 'v1',
        'wharf/http/services/mir/mirroring/mirrors/0/name': 'v2',
        'wharf/http/services/mir/mirroring/mirrors/0/percent': '10',
      },
      http: {
        services: {
          canary: {
            weighted: {
              services: [
                { name: 'v1', weight: 3 },
                { name: 'v2', weight: 1 },
              ],
            },
          },
          fo: { failover: { service: 'v1', fallback: 'v2' } },
          mir: { mirroring: { service: 'v1', mirrors: [{ name: 'v2', percent: 10 }] } },
        },
      },
    },
    {
      name: 'a bad key disables only its router',
      pairs: {
        'wharf/http/routers/good/rule': 'Host(`good`)',
        'wharf/http/routers/good/service': 's',
        'wharf/http/routers/bad/rule': 'Host(`bad`)',
        'wharf/http/routers/bad/priority': 'high',
      },
      http: { routers: { good: { rule: 'Host(`good`)', service: 's' } } },
      codes: ['CONFIG_INVALID_VALUE'],
    },
    {
      name: 'an empty root is an empty configuration',
      pairs: {},
      http: undefined,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const out = decodeKvEntries(kv(c.pairs), 'wharf', 'consul');
      expect(out.config.http).toEqual(c.http);
      expect(out.diagnostics.map((d) => d.code)).toEqual(c.codes ?? []);
    });
  }

  it('skips the ACME storage and the bans (issue 17) under the root: they are no routing configuration', () => {
    const out = decodeKvEntries(
      kv({
        'wharf/acme/le/account': '{"email":"a@example.com"}',
        'wharf/bans/ban@file/203.0.113.7': '{"middleware":"ban@file","ip":"203.0.113.7"}',
        'wharf/http/middlewares/m/addprefix/prefix': '/v1',
      }),
      'wharf',
      'consul',
    );
    expect(out.diagnostics).toEqual([]);
    expect(out.config.http).toEqual({ middlewares: { m: { addPrefix: { prefix: '/v1' } } } });
  });

  it('the diagnostic names the key as stored and its value', () => {
    const out = decodeKvEntries(kv({ 'wharf/http/routers/bad/priorty': '5' }), 'wharf', 'consul');
    expect(out.diagnostics[0]).toMatchObject({
      source: 'consul',
      key: 'wharf/http/routers/bad/priorty',
      suggestion: 'priority',
    });
  });
});

describe('ReadLimiter', () => {
  it('lets a burst through, then one read per interval', () => {
    let now = 0;
    const l = new ReadLimiter(3, 100, () => now);
    expect([l.take(), l.take(), l.take(), l.take(), l.take()]).toEqual([0, 0, 0, 100, 200]);
    now = 1000;
    expect(l.take()).toBe(0);
  });
});

describe('endpointUrl', () => {
  it.each([
    ['127.0.0.1:8500', 'http://127.0.0.1:8500'],
    ['https://consul.local:8501/', 'https://consul.local:8501'],
    ['http://[::1]:8500', 'http://[::1]:8500'],
  ])('%s -> %s', (input, expected) => expect(endpointUrl(input)).toBe(expected));
});
