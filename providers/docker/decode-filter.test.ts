import { describe, expect, it } from 'vitest';
import { DockerProviderSchema } from '../../config/static.ts';
import { diag, fakeContainer, lb } from '../../test/helpers/container-fixture.ts';
import {
  type ContainerDecode,
  type DockerDecodeOptions,
  decodeContainer,
  decodeContainers,
} from './decode.ts';

// Filtering, networks and provider labels. Inference and server labels: decode.test.ts.

const defaults = DockerProviderSchema.parse({});
const routed = (url: string | undefined, name = 'web') => ({
  config: {
    http: {
      routers: { [name]: { rule: `Host(\`${name}\`)`, service: name } },
      ...(url !== undefined && { services: { [name]: url === '' ? lb() : lb(url) } }),
    },
  },
  diagnostics: [],
});

interface Case {
  name: string;
  container: Record<string, unknown>;
  opts?: Partial<DockerDecodeOptions>;
  expected: ContainerDecode;
}

const nets = (n: Record<string, { IPAddress?: string; GlobalIPv6Address?: string }>) => ({
  NetworkSettings: { Networks: n },
});
const two = nets({ front: { IPAddress: '10.0.1.5' }, back: { IPAddress: '10.0.2.5' } });
const labels = (l: Record<string, string>) => ({ Config: { Labels: l, ExposedPorts: { '80/tcp': {} } } });
const svc = { kind: 'service', name: 'web' } as const;

const cases: Case[] = [
  {
    name: 'host network: 127.0.0.1',
    container: { HostConfig: { NetworkMode: 'host' }, ...nets({ host: {} }) },
    expected: routed('http://127.0.0.1:80'),
  },
  {
    name: 'one network: its address',
    container: nets({ front: { IPAddress: '10.0.1.5' } }),
    expected: routed('http://10.0.1.5:80'),
  },
  {
    name: 'IPv6 only: the global address, bracketed',
    container: nets({ v6: { GlobalIPv6Address: 'fd00::5' } }),
    expected: routed('http://[fd00::5]:80'),
  },
  {
    name: 'several networks and no choice: the service is left out, not a random pick',
    container: two,
    expected: {
      ...routed(undefined),
      diagnostics: [
        diag('web', {
          code: 'DOCKER_NETWORK_AMBIGUOUS',
          key: 'wharf.docker.network',
          item: svc,
          message: 'is on several networks (back, front); set wharf.docker.network=<one of them>',
        }),
      ],
    },
  },
  {
    name: 'several networks, chosen by label',
    container: { ...two, ...labels({ 'wharf.docker.network': 'back' }) },
    expected: routed('http://10.0.2.5:80'),
  },
  {
    name: 'several networks, chosen by option',
    container: two,
    opts: { network: 'front' },
    expected: routed('http://10.0.1.5:80'),
  },
  {
    name: 'the label beats the option',
    container: { ...two, ...labels({ 'wharf.docker.network': 'back' }) },
    opts: { network: 'front' },
    expected: routed('http://10.0.2.5:80'),
  },
  {
    name: 'a labelled network the container is not on: error with the compose prefix hint',
    container: {
      ...nets({ shop_proxy: { IPAddress: '10.0.1.5' }, shop_default: { IPAddress: '10.0.2.5' } }),
      ...labels({ 'wharf.docker.network': 'proxy', 'com.docker.compose.project': 'shop' }),
    },
    expected: {
      config: { http: { routers: { web: { rule: 'Host(`web`)', service: 'web' } } } },
      diagnostics: [
        diag('web', {
          code: 'DOCKER_NETWORK_NOT_FOUND',
          key: 'wharf.docker.network',
          value: 'proxy',
          suggestion: 'shop_proxy',
          item: svc,
          message:
            'network "proxy" (from wharf.docker.network) is not one of its networks (shop_default, shop_proxy); did you mean "shop_proxy"?',
        }),
      ],
    },
  },
  {
    name: 'the option names a network a single-network container is not on: used anyway, with a warning',
    container: nets({ front: { IPAddress: '10.0.1.5' } }),
    opts: { network: 'proxy' },
    expected: {
      ...routed('http://10.0.1.5:80'),
      diagnostics: [
        diag('web', {
          code: 'DOCKER_NETWORK_NOT_FOUND',
          severity: 'warning',
          key: 'wharf.docker.network',
          message: 'using "front"',
        }),
      ],
    },
  },
  {
    name: 'network mode container:<id> is not supported',
    container: { HostConfig: { NetworkMode: 'container:abc' }, ...nets({}) },
    expected: {
      ...routed(undefined),
      diagnostics: [
        diag('web', { code: 'DOCKER_NETWORK_MODE_UNSUPPORTED', key: 'wharf.docker.network', item: svc }),
      ],
    },
  },
  {
    name: 'no network address at all (network mode none)',
    container: { HostConfig: { NetworkMode: 'none' }, ...nets({ none: {} }) },
    expected: {
      ...routed(undefined),
      diagnostics: [diag('web', { code: 'DOCKER_NO_ADDRESS', key: 'wharf.docker.network', item: svc })],
    },
  },
  {
    name: 'unhealthy: left out',
    container: { State: { Health: { Status: 'unhealthy' } } },
    expected: { config: {}, diagnostics: [], skipped: 'health is "unhealthy", not healthy' },
  },
  {
    name: 'starting, with allowEmptyServices: kept with no server',
    container: { State: { Health: { Status: 'starting' } } },
    opts: { allowEmptyServices: true },
    expected: routed(''),
  },
  {
    name: 'healthy: routed',
    container: { State: { Health: { Status: 'healthy' } } },
    expected: routed('http://172.17.0.2:80'),
  },
  {
    name: 'exited: left out',
    container: { State: { Status: 'exited', Running: false } },
    opts: { allowEmptyServices: true },
    expected: { config: {}, diagnostics: [], skipped: 'not running (exited)' },
  },
  {
    name: 'paused: left out',
    container: { State: { Status: 'paused', Paused: true } },
    expected: { config: {}, diagnostics: [], skipped: 'not running (paused)' },
  },
  {
    name: 'stopped with docker.allownonrunning: kept with no server',
    container: {
      State: { Status: 'exited', Running: false },
      ...labels({ 'wharf.docker.allownonrunning': 'true' }),
    },
    expected: routed(''),
  },
  {
    name: 'enable=false',
    container: labels({ 'wharf.enable': 'false', 'wharf.http.routers.x.rulle': 'typo not reported' }),
    expected: { config: {}, diagnostics: [], skipped: 'disabled by wharf.enable=false' },
  },
  {
    name: 'exposedByDefault=false and no enable label',
    container: {},
    opts: { exposedByDefault: false },
    expected: {
      config: {},
      diagnostics: [],
      skipped: 'not enabled: exposedByDefault is false and wharf.enable is not set',
    },
  },
  {
    name: 'exposedByDefault=false and enable=true',
    container: labels({ 'wharf.enable': 'TRUE' }),
    opts: { exposedByDefault: false },
    expected: routed('http://172.17.0.2:80'),
  },
  {
    name: 'enable with a bad value: left out, and said so',
    container: labels({ 'wharf.enable': 'yes' }),
    expected: {
      config: {},
      diagnostics: [diag('web', { code: 'CONFIG_INVALID_VALUE', key: 'wharf.enable', value: 'yes' })],
      skipped: 'wharf.enable is not true or false',
    },
  },
  {
    name: 'constraints that do not match',
    container: labels({ env: 'dev' }),
    opts: { constraints: 'Label(`env`, `prod`)' },
    expected: { config: {}, diagnostics: [], skipped: 'does not match constraints Label(`env`, `prod`)' },
  },
  {
    name: 'constraints that match',
    container: labels({ env: 'prod' }),
    opts: { constraints: 'Label(`env`,`prod`)' },
    expected: routed('http://172.17.0.2:80'),
  },
  {
    name: 'typos in provider labels are warnings',
    container: labels({ 'wharf.dockr': 'x', 'wharf.docker.netwrok': 'x', 'wharf.other': 'ignored' }),
    expected: {
      ...routed('http://172.17.0.2:80'),
      diagnostics: [
        diag('web', {
          code: 'CONFIG_UNKNOWN_KEY',
          severity: 'warning',
          key: 'wharf.docker.netwrok',
          value: 'x',
          suggestion: 'network',
        }),
        diag('web', {
          code: 'CONFIG_UNKNOWN_KEY',
          severity: 'warning',
          key: 'wharf.dockr',
          suggestion: 'docker',
        }),
      ],
    },
  },
  {
    // Fail closed: `enabled=false` was meant to keep the container out (issue 18).
    name: 'a misspelled enable label keeps the container out and names the label meant',
    container: labels({ 'wharf.enabled': 'false' }),
    expected: {
      config: {},
      skipped: 'wharf.enabled is not wharf.enable',
      diagnostics: [
        diag('web', {
          code: 'DOCKER_ENABLE_MISSPELLED',
          key: 'wharf.enabled',
          value: 'false',
          message: 'did you mean "wharf.enable"?',
        }),
      ],
    },
  },
  {
    name: 'TCP labels only: no HTTP router or service, and a warning',
    container: labels({ 'wharf.tcp.routers.db.rule': 'HostSNI(`*`)' }),
    expected: {
      config: {},
      diagnostics: [diag('web', { code: 'CONFIG_UNSUPPORTED', severity: 'warning', key: 'wharf.tcp' })],
    },
  },
  {
    name: 'a key set twice in different case leaves its service out',
    container: labels({
      'wharf.http.services.web.loadbalancer.server.port': '80',
      'wharf.http.services.web.loadBalancer.server.Port': '81',
    }),
    expected: {
      config: { http: { routers: { web: { rule: 'Host(`web`)', service: 'web' } } } },
      diagnostics: [
        diag('web', {
          code: 'CONFIG_INVALID_VALUE',
          key: 'wharf.http.services.web.loadbalancer.server.port',
          item: svc,
          message: 'set twice',
        }),
      ],
    },
  },
  {
    name: 'labelPrefix traefik reads traefik labels and ignores wharf ones',
    container: labels({
      'traefik.http.routers.web.rule': 'Host(`t`)',
      'wharf.http.routers.web.rule': 'Host(`w`)',
    }),
    opts: { labelPrefix: 'traefik' },
    expected: {
      ...routed('http://172.17.0.2:80'),
      config: {
        http: {
          routers: { web: { rule: 'Host(`t`)', service: 'web' } },
          services: { web: lb('http://172.17.0.2:80') },
        },
      },
    },
  },
];

describe('decodeContainer: filtering, networks, provider labels', () => {
  for (const c of cases) {
    it(c.name, () => {
      const container = fakeContainer({
        Name: '/web',
        Config: { ExposedPorts: { '80/tcp': {} } },
        ...c.container,
      });
      expect(decodeContainer(container, { ...defaults, ...c.opts })).toEqual(c.expected);
    });
  }
});

describe('decodeContainers', () => {
  it('reports a constraints expression that does not parse once, and routes nothing', () => {
    const cs = ['a', 'b'].map((n) => fakeContainer({ Name: n, Config: { ExposedPorts: { '80/tcp': {} } } }));
    expect(decodeContainers(cs, { ...defaults, constraints: 'Label(`a`' })).toEqual({
      config: { http: { routers: {}, services: {}, middlewares: {} } },
      diagnostics: [
        {
          source: 'docker',
          subject: 'providers.docker.constraints',
          code: 'DOCKER_CONSTRAINTS',
          severity: 'error',
          key: 'providers.docker.constraints',
          value: 'Label(`a`',
          message:
            'constraints "Label(`a`": \'(\' of Label is never closed at column 6; no container is routed until it is fixed',
        },
      ],
    });
  });

  it('merges replicas in container-name order whatever the input order, and leaves out skipped ones', () => {
    const replica = (n: string, ip: string, state: Record<string, unknown> = {}) =>
      fakeContainer({
        Name: n,
        Config: {
          Labels: { 'com.docker.compose.service': 'web', 'com.docker.compose.project': 'shop' },
          ExposedPorts: { '80/tcp': {} },
        },
        ...nets({ shop_default: { IPAddress: ip } }),
        State: state,
      });
    const cs = [
      replica('shop-web-3', '10.0.0.3'),
      replica('shop-web-1', '10.0.0.1'),
      replica('shop-web-2', '10.0.0.2', { Health: { Status: 'starting' } }),
      replica('shop-web-10', '10.0.0.10'),
    ];
    expect(decodeContainers(cs, defaults)).toEqual({
      config: {
        http: {
          routers: { 'web-shop': { rule: 'Host(`web-shop`)', service: 'web-shop' } },
          services: { 'web-shop': lb('http://10.0.0.1:80', 'http://10.0.0.10:80', 'http://10.0.0.3:80') },
          middlewares: {},
        },
      },
      diagnostics: [],
    });
  });
});
