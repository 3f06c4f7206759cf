import { describe, expect, it } from 'vitest';
import { DockerProviderSchema } from '../../config/static.ts';
import { diag, fakeContainer, lb } from '../../test/helpers/container-fixture.ts';
import { type ContainerDecode, type DockerDecodeOptions, decodeContainer } from './decode.ts';

const defaults = DockerProviderSchema.parse({});
const ports = (...p: string[]) => ({ ExposedPorts: Object.fromEntries(p.map((x) => [x, {}])) });

interface Case {
  name: string;
  container: Parameters<typeof fakeContainer>[0];
  opts?: Partial<DockerDecodeOptions>;
  expected: ContainerDecode;
}

const web = (labels: Record<string, string> = {}, more: Record<string, unknown> = {}) => ({
  Name: '/web',
  Config: { Labels: labels, ...ports('80/tcp') },
  ...more,
});

const host = { address: { mode: 'host', hostIP: '10.0.0.5' } } as const;
const published = (bindings: Record<string, Array<{ HostIp: string; HostPort: string }>>) => ({
  NetworkSettings: { Ports: bindings },
});
const hostRouted = (url: string): ContainerDecode => ({
  config: {
    http: { routers: { web: { rule: 'Host(`web`)', service: 'web' } }, services: { web: lb(url) } },
  },
  diagnostics: [],
});
const notPublished = (detail: string): ContainerDecode => ({
  config: { http: { routers: { web: { rule: 'Host(`web`)', service: 'web' } } } },
  diagnostics: [
    diag('web', {
      code: 'REGISTRAR_PORT_NOT_PUBLISHED',
      key: 'wharf.http.services.web.loadbalancer.server.port',
      item: { kind: 'service', name: 'web' },
      message: `port 80 is not published on the host${detail}`,
    }),
  ],
});

const cases: Case[] = [
  {
    name: 'host address mode: hostIP and the port published on every address',
    container: web({}, published({ '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '32768' }] })),
    opts: host,
    expected: hostRouted('http://10.0.0.5:32768'),
  },
  {
    name: 'host address mode: a binding on one non-loopback address is used as is',
    container: web({}, published({ '80/tcp': [{ HostIp: '192.168.1.9', HostPort: '8080' }] })),
    opts: host,
    expected: hostRouted('http://192.168.1.9:8080'),
  },
  {
    name: 'host address mode: host network mode is hostIP and the container port',
    container: web({}, { HostConfig: { NetworkMode: 'host' } }),
    opts: host,
    expected: hostRouted('http://10.0.0.5:80'),
  },
  {
    name: 'host address mode: a port published only on loopback is an error naming the binding',
    container: web({}, published({ '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }] })),
    opts: host,
    expected: notPublished(' (only on 127.0.0.1)'),
  },
  {
    name: 'host address mode: an unpublished port is an error saying what to set',
    container: web(),
    opts: host,
    expected: notPublished(''),
  },
  {
    name: 'no labels: one service and one router named after the container, default rule',
    container: web(),
    expected: {
      config: {
        http: {
          routers: { web: { rule: 'Host(`web`)', service: 'web' } },
          services: { web: lb('http://172.17.0.2:80') },
        },
      },
      diagnostics: [],
    },
  },
  {
    name: 'names are normalized: runs of other characters become one dash',
    container: { Name: '/my_app..v2', Config: ports('80/tcp') },
    expected: {
      config: {
        http: {
          routers: { 'my-app-v2': { rule: 'Host(`my-app-v2`)', service: 'my-app-v2' } },
          services: { 'my-app-v2': lb('http://172.17.0.2:80') },
        },
      },
      diagnostics: [],
    },
  },
  {
    name: 'compose labels name the service <service>_<project>; ContainerName and Labels in the template',
    container: {
      Name: '/shop-web-1',
      Config: {
        Labels: { 'com.docker.compose.service': 'web', 'com.docker.compose.project': 'shop', team: 'a' },
        ...ports('80/tcp'),
      },
    },
    opts: { defaultRule: 'Host(`{{ .ContainerName }}.{{ index .Labels "team" }}`) || Host(`{{ .Name }}`)' },
    expected: {
      config: {
        http: {
          routers: { 'web-shop': { rule: 'Host(`shop-web-1.a`) || Host(`web-shop`)', service: 'web-shop' } },
          services: { 'web-shop': lb('http://172.17.0.2:80') },
        },
      },
      diagnostics: [],
    },
  },
  {
    name: 'labelled routers keep their names and get the only service; keys are case-insensitive',
    container: web({
      'WHARF.HTTP.Routers.api.RULE': 'PathPrefix(`/api`)',
      'wharf.http.routers.api.middlewares': 'strip',
      'wharf.http.routers.site.entrypoints': 'web',
      'wharf.http.middlewares.strip.stripprefix.prefixes': '/api',
    }),
    expected: {
      config: {
        http: {
          routers: {
            api: { rule: 'PathPrefix(`/api`)', middlewares: ['strip'], service: 'web' },
            site: { entryPoints: ['web'], rule: 'Host(`web`)', service: 'web' },
          },
          services: { web: lb('http://172.17.0.2:80') },
          middlewares: { strip: { stripPrefix: { prefixes: ['/api'] } } },
        },
      },
      diagnostics: [],
    },
  },
  {
    name: 'several services: a router without service is left out; no default router',
    container: web({
      'wharf.http.services.a.loadbalancer.server.port': '8080',
      'wharf.http.services.b.loadbalancer.server.port': '9090',
      'wharf.http.routers.r1.rule': 'Host(`a`)',
      'wharf.http.routers.r1.service': 'a',
      'wharf.http.routers.r2.rule': 'Host(`b`)',
    }),
    expected: {
      config: {
        http: {
          routers: { r1: { rule: 'Host(`a`)', service: 'a' } },
          services: { a: lb('http://172.17.0.2:8080'), b: lb('http://172.17.0.2:9090') },
        },
      },
      diagnostics: [
        diag('web', {
          code: 'DOCKER_SERVICE_AMBIGUOUS',
          key: 'wharf.http.routers.r2.service',
          item: { kind: 'router', name: 'r2' },
          message: 'router "r2": cannot pick among services a, b: set wharf.http.routers.r2.service',
        }),
      ],
    },
  },
  {
    name: 'several services and no router: no router is made',
    container: web({
      'wharf.http.services.a.loadbalancer.server.port': '8080',
      'wharf.http.services.b.loadbalancer.passhostheader': 'false',
    }),
    expected: {
      config: {
        http: {
          services: {
            a: lb('http://172.17.0.2:8080'),
            b: { loadBalancer: { passHostHeader: false, servers: [{ url: 'http://172.17.0.2:80' }] } },
          },
        },
      },
      // Traefik makes no router here and says nothing; Wharf warns with the labels to set.
      diagnostics: [
        diag('web', {
          code: 'DOCKER_SERVICE_AMBIGUOUS',
          severity: 'warning',
          message:
            'cannot pick among services a, b: set wharf.http.routers.<name>.rule and wharf.http.routers.<name>.service',
        }),
      ],
    },
  },
  {
    name: 'a defaultRule outside the template subset leaves the default router out, not the container',
    container: web({
      'wharf.http.routers.own.rule': 'Host(`own`)',
      'wharf.http.routers.dflt.entrypoints': 'web',
    }),
    opts: { defaultRule: 'Host(`{{ .Name | trimPrefix "x" }}`)' },
    expected: {
      config: {
        http: {
          routers: { own: { rule: 'Host(`own`)', service: 'web' } },
          services: { web: lb('http://172.17.0.2:80') },
        },
      },
      diagnostics: [
        diag('web', {
          code: 'DOCKER_DEFAULT_RULE',
          key: 'providers.docker.defaultRule',
          value: 'Host(`{{ .Name | trimPrefix "x" }}`)',
          item: { kind: 'router', name: 'dflt' },
          message: 'function "trimPrefix" is not supported',
        }),
      ],
    },
  },
  {
    name: 'port: the lowest exposed TCP port, numerically',
    container: { Name: '/web', Config: ports('10000/tcp', '9000/tcp', '53/udp', '9100') },
    expected: {
      config: {
        http: {
          routers: { web: { rule: 'Host(`web`)', service: 'web' } },
          services: { web: lb('http://172.17.0.2:9000') },
        },
      },
      diagnostics: [],
    },
  },
  {
    name: 'no port: the service is left out, the rest still decodes',
    container: {
      Name: '/web',
      Config: { Labels: { 'wharf.http.middlewares.m.addprefix.prefix': '/x' } },
    },
    expected: {
      config: {
        http: {
          routers: { web: { rule: 'Host(`web`)', service: 'web' } },
          middlewares: { m: { addPrefix: { prefix: '/x' } } },
        },
      },
      diagnostics: [
        diag('web', {
          code: 'DOCKER_NO_PORT',
          key: 'wharf.http.services.web.loadbalancer.server.port',
          item: { kind: 'service', name: 'web' },
          message: 'container "web": service "web" has no port',
        }),
      ],
    },
  },
  {
    name: 'server.url, weight and scheme; url with port is an error for that service only',
    container: web({
      'wharf.http.services.ext.loadbalancer.server.url': 'https://api.example.com',
      'wharf.http.services.ext.loadbalancer.server.weight': '3',
      'wharf.http.services.tls.loadbalancer.server.scheme': 'HTTPS',
      'wharf.http.services.tls.loadbalancer.server.port': '8443',
      'wharf.http.services.bad.loadbalancer.server.url': 'http://a:1',
      'wharf.http.services.bad.loadbalancer.server.port': '1',
    }),
    expected: {
      config: {
        http: {
          services: {
            ext: { loadBalancer: { servers: [{ url: 'https://api.example.com', weight: 3 }] } },
            tls: lb('https://172.17.0.2:8443'),
          },
        },
      },
      diagnostics: [
        diag('web', {
          code: 'CONFIG_INVALID_VALUE',
          key: 'wharf.http.services.bad.loadbalancer.server.port',
          value: '1',
          item: { kind: 'service', name: 'bad' },
          message: 'cannot be combined with wharf.http.services.bad.loadbalancer.server.url',
        }),
        diag('web', {
          code: 'DOCKER_SERVICE_AMBIGUOUS',
          severity: 'warning',
          message: 'cannot pick among services bad, ext, tls',
        }),
      ],
    },
  },
  {
    name: 'bad server values and unknown server keys',
    container: web({
      'wharf.http.routers.r.rule': 'Host(`r`)',
      'wharf.http.routers.r.service': 'p',
      'wharf.http.services.p.loadbalancer.server.port': 'http',
      'wharf.http.services.s.loadbalancer.server.scheme': 'ftp', // h2c is a scheme (golden middleware-grpc-web)
      'wharf.http.services.t.loadbalancer.server.prt': '80',
      'wharf.http.services.t.loadbalancer.passhostheader': 'true',
    }),
    expected: {
      config: { http: { routers: { r: { rule: 'Host(`r`)', service: 'p' } } } },
      diagnostics: [
        diag('web', {
          code: 'CONFIG_UNKNOWN_KEY',
          key: 'wharf.http.services.t.loadbalancer.server.prt',
          value: '80',
          item: { kind: 'service', name: 't' },
          suggestion: 'port',
        }),
        diag('web', {
          code: 'CONFIG_INVALID_VALUE',
          key: 'wharf.http.services.p.loadbalancer.server.port',
          value: 'http',
          item: { kind: 'service', name: 'p' },
          message: 'is not a port number',
        }),
        diag('web', {
          code: 'CONFIG_INVALID_VALUE',
          key: 'wharf.http.services.s.loadbalancer.server.scheme',
          value: 'ftp',
          item: { kind: 'service', name: 's' },
        }),
      ],
    },
  },
];

describe('decodeContainer', () => {
  for (const c of cases) {
    it(c.name, () => {
      expect(decodeContainer(fakeContainer(c.container), { ...defaults, ...c.opts })).toEqual(c.expected);
    });
  }
});
