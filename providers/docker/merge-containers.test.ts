import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../config/diagnostics.ts';
import type { DynamicConfig } from '../../config/dynamic.ts';
import { mergeContainerConfigs } from './merge-containers.ts';

const lb = (...urls: string[]) => ({ loadBalancer: { servers: urls.map((url) => ({ url })) } });
const http = (h: NonNullable<DynamicConfig['http']>): DynamicConfig => ({ http: h });
const merged = (h: NonNullable<DynamicConfig['http']>) => ({
  routers: {},
  services: {},
  middlewares: {},
  ...h,
});

const conflict = (
  code: Diagnostic['code'],
  kind: 'router' | 'service' | 'middleware',
  name: string,
  containers: string[],
): Diagnostic => ({
  source: 'docker',
  subject: containers.join(', '),
  code,
  message: `${kind} "${name}" is defined differently in ${containers.join(' and ')}; it is disabled until they agree`,
  severity: 'error',
  item: { kind, name },
});

interface Case {
  name: string;
  parts: Array<{ container: string; config: DynamicConfig }>;
  expected: { config: DynamicConfig; diagnostics: Diagnostic[] };
}

const router = { rule: 'Host(`a`)', service: 'app' };
const cases: Case[] = [
  {
    name: 'replicas: servers united, deduplicated by URL, in container-name order; identical routers kept once',
    parts: [
      {
        container: 'app-3',
        config: http({ routers: { app: router }, services: { app: lb('http://10.0.0.3:80') } }),
      },
      {
        container: 'app-1',
        config: http({ routers: { app: router }, services: { app: lb('http://10.0.0.1:80') } }),
      },
      {
        container: 'app-2',
        config: http({ routers: { app: router }, services: { app: lb('http://10.0.0.1:80') } }),
      },
    ],
    expected: {
      config: {
        http: merged({
          routers: { app: router },
          services: { app: lb('http://10.0.0.1:80', 'http://10.0.0.3:80') },
        }),
      },
      diagnostics: [],
    },
  },
  {
    name: 'a replica with no server (unhealthy, allowEmptyServices) adds none',
    parts: [
      { container: 'a', config: http({ services: { app: lb() } }) },
      { container: 'b', config: http({ services: { app: lb('http://10.0.0.2:80') } }) },
    ],
    expected: { config: { http: merged({ services: { app: lb('http://10.0.0.2:80') } }) }, diagnostics: [] },
  },
  {
    name: 'services that differ in more than servers are left out, naming the containers',
    parts: [
      {
        container: 'a',
        config: http({ services: { app: lb('http://10.0.0.1:80'), other: lb('http://10.0.0.1:81') } }),
      },
      {
        container: 'b',
        config: http({
          services: {
            app: { loadBalancer: { servers: [{ url: 'http://10.0.0.2:80' }], passHostHeader: false } },
          },
        }),
      },
    ],
    expected: {
      config: { http: merged({ services: { other: lb('http://10.0.0.1:81') } }) },
      diagnostics: [conflict('SERVICE_CONFLICT', 'service', 'app', ['a', 'b'])],
    },
  },
  {
    name: 'a load balancer and another kind of service with one name conflict',
    parts: [
      { container: 'a', config: http({ services: { app: lb('http://10.0.0.1:80') } }) },
      { container: 'b', config: http({ services: { app: { weighted: { services: [{ name: 'x' }] } } } }) },
    ],
    expected: {
      config: { http: merged({}) },
      diagnostics: [conflict('SERVICE_CONFLICT', 'service', 'app', ['a', 'b'])],
    },
  },
  {
    name: 'routers and middlewares defined differently are left out; the others stay',
    parts: [
      {
        container: 'web',
        config: http({
          routers: { r: { rule: 'Host(`a`)', service: 's' }, mine: { rule: 'Host(`m`)', service: 's' } },
          middlewares: { m: { addPrefix: { prefix: '/a' } } },
        }),
      },
      {
        container: 'api',
        config: http({
          routers: { r: { rule: 'Host(`b`)', service: 's' } },
          middlewares: { m: { addPrefix: { prefix: '/b' } } },
        }),
      },
      { container: 'zzz', config: http({ routers: { r: { rule: 'Host(`a`)', service: 's' } } }) },
    ],
    expected: {
      config: { http: merged({ routers: { mine: { rule: 'Host(`m`)', service: 's' } } }) },
      diagnostics: [
        conflict('ROUTER_CONFLICT', 'router', 'r', ['api', 'web', 'zzz']),
        conflict('MIDDLEWARE_CONFLICT', 'middleware', 'm', ['api', 'web']),
      ],
    },
  },
  {
    name: 'key order does not make a difference',
    parts: [
      { container: 'a', config: http({ routers: { r: { rule: 'Host(`a`)', service: 's' } } }) },
      { container: 'b', config: http({ routers: { r: { service: 's', rule: 'Host(`a`)' } } }) },
    ],
    expected: {
      config: { http: merged({ routers: { r: { rule: 'Host(`a`)', service: 's' } } }) },
      diagnostics: [],
    },
  },
];

describe('mergeContainerConfigs', () => {
  for (const c of cases) {
    it(c.name, () => {
      expect(mergeContainerConfigs(c.parts)).toEqual(c.expected);
    });
  }
});
