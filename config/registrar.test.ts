import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type LoadRegistrarResult, loadRegistrarConfig, type RegistrarConfig } from './registrar.ts';

const files: Record<string, string> = {
  'registrar.yml': [
    'providers:', // 1
    '  docker:', // 2
    '    endpoint: tcp://docker.internal:2376', // 3
    '    labelPrefix: traefik', // 4
    'consul:', // 5
    '  endpoints: [consul-1:8500, consul-2:8500]', // 6
    '  token: secret', // 7
    '  rootKey: edge', // 8
    'registrar:', // 9
    '  hostId: node-1.eu_west', // 10
    '  address: host', // 11
    '  hostIP: 192.0.2.10', // 12
    '  ttl: 1m', // 13
    'log:', // 14
    '  level: DEBUG', // 15
  ].join('\n'),
  'other.yml': 'registrar:\n  hostId: from-other-file\n',
  'host.yml': 'registrar:\n  address: host\n',
  'bracketed.yml': 'registrar:\n  address: host\n  hostIP: "[::1]"\n',
  'typos.yml': 'registar:\n  hostId: h1\nconsul:\n  stale: true\n  namespace: ns\n',
};
const readFile = (path: string): string => {
  const text = files[path];
  if (text === undefined) throw new Error(`ENOENT: no such file or directory, open '${path}'`);
  return text;
};
const load = (args: string[], env: Record<string, string | undefined> = {}): LoadRegistrarResult =>
  loadRegistrarConfig({ args, env, readFile });

const DEFAULTS: RegistrarConfig = {
  providers: {
    docker: {
      endpoint: 'unix:///var/run/docker.sock',
      labelPrefix: 'wharf',
      exposedByDefault: true,
      defaultRule: 'Host(`{{ normalize .Name }}`)',
      allowEmptyServices: false,
      watch: true,
      useBindPortIP: false,
    },
  },
  consul: { endpoints: ['127.0.0.1:8500'], rootKey: 'wharf' },
  registrar: {
    address: 'container',
    ttl: 30_000,
    healthFile: join(tmpdir(), 'wharf-registrar.health.json'),
    healthMaxAge: 30_000,
  },
  log: { level: 'INFO', format: 'common' },
};
const FROM_FILE: RegistrarConfig = {
  providers: {
    docker: { ...DEFAULTS.providers.docker, endpoint: 'tcp://docker.internal:2376', labelPrefix: 'traefik' },
  },
  consul: { endpoints: ['consul-1:8500', 'consul-2:8500'], token: 'secret', rootKey: 'edge' },
  registrar: {
    ...DEFAULTS.registrar,
    hostId: 'node-1.eu_west',
    address: 'host',
    hostIP: '192.0.2.10',
    ttl: 60_000,
  },
  log: { level: 'DEBUG', format: 'common' },
};
/** DEFAULTS with some registrar options changed. */
const withRegistrar = (registrar: Partial<RegistrarConfig['registrar']>): RegistrarConfig => ({
  ...DEFAULTS,
  registrar: { ...DEFAULTS.registrar, ...registrar },
});

describe('loadRegistrarConfig: sources, precedence and defaults', () => {
  const cases: {
    name: string;
    args: string[];
    env?: Record<string, string | undefined>;
    result: LoadRegistrarResult;
  }[] = [
    { name: 'defaults only', args: [], result: { ok: true, config: DEFAULTS, warnings: [] } },
    {
      name: 'a YAML file',
      args: ['--configFile=registrar.yml'],
      result: { ok: true, config: FROM_FILE, configFile: 'registrar.yml', warnings: [] },
    },
    {
      name: 'flags beat env beat file, merged key by key',
      args: ['--configFile', 'registrar.yml', '--registrar.hostId=from-flag', '--log.format', 'json'],
      env: {
        WHARF_REGISTRAR_REGISTRAR_HOSTID: 'from-env',
        WHARF_REGISTRAR_REGISTRAR_TTL: '45s',
        WHARF_REGISTRAR_LOG_FORMAT: 'common',
        WHARF_REGISTRAR_CONSUL_TOKEN: 'env-token',
        PATH: '/usr/bin',
      },
      result: {
        ok: true,
        config: {
          ...FROM_FILE,
          consul: { ...FROM_FILE.consul, token: 'env-token' },
          registrar: { ...FROM_FILE.registrar, hostId: 'from-flag', ttl: 45_000 },
          log: { level: 'DEBUG', format: 'json' },
        },
        configFile: 'registrar.yml',
        warnings: [],
      },
    },
    {
      name: 'WHARF_REGISTRAR_CONFIGFILE names the file',
      args: [],
      env: { WHARF_REGISTRAR_CONFIGFILE: 'registrar.yml' },
      result: { ok: true, config: FROM_FILE, configFile: 'registrar.yml', warnings: [] },
    },
    {
      name: '--configFile wins over WHARF_REGISTRAR_CONFIGFILE',
      args: ['--configFile=other.yml'],
      env: { WHARF_REGISTRAR_CONFIGFILE: 'registrar.yml' },
      result: {
        ok: true,
        config: withRegistrar({ hostId: 'from-other-file' }),
        configFile: 'other.yml',
        warnings: [],
      },
    },
    {
      name: "the router's WHARF_* variables are not the registrar's",
      args: [],
      env: {
        WHARF_CONFIGFILE: 'missing.yml',
        WHARF_LOG_LEVEL: 'DEBUG',
        WHARF_ENTRYPOINTS_WEB_ADDRESS: ':80',
      },
      result: { ok: true, config: DEFAULTS, warnings: [] },
    },
    {
      name: 'env: lists by comma, as the router reads them',
      args: [],
      env: {
        WHARF_REGISTRAR_REGISTRAR_HOSTID: 'h1',
        WHARF_REGISTRAR_CONSUL_ENDPOINTS: 'consul-1:8500, https://consul-2:8501',
      },
      result: {
        ok: true,
        config: {
          ...withRegistrar({ hostId: 'h1' }),
          consul: { endpoints: ['consul-1:8500', 'https://consul-2:8501'], rootKey: 'wharf' },
        },
        warnings: [],
      },
    },
    {
      name: 'env and flags: lists by index',
      args: ['--consul.endpoints[1]=b:8500', '--consul.endpoints[0]=a:8500'],
      env: { WHARF_REGISTRAR_CONSUL_TLS_CA: '/ca.pem' },
      result: {
        ok: true,
        config: {
          ...DEFAULTS,
          consul: { endpoints: ['a:8500', 'b:8500'], rootKey: 'wharf', tls: { ca: '/ca.pem' } },
        },
        warnings: [],
      },
    },
    {
      name: 'env lists by index',
      args: [],
      env: { WHARF_REGISTRAR_CONSUL_ENDPOINTS_1: 'b:8500', WHARF_REGISTRAR_CONSUL_ENDPOINTS_0: 'a:8500' },
      result: {
        ok: true,
        config: { ...DEFAULTS, consul: { endpoints: ['a:8500', 'b:8500'], rootKey: 'wharf' } },
        warnings: [],
      },
    },
    {
      name: 'keys are case-insensitive in flags and env',
      args: ['--registrar.hostID=h1', '--REGISTRAR.ADDRESS', 'host', '--Consul.RootKey=edge'],
      env: { WHARF_REGISTRAR_REGISTRAR_HOSTIP: '2001:db8::10', WHARF_REGISTRAR_registrar_healthMaxAge: '1m' },
      result: {
        ok: true,
        config: {
          ...withRegistrar({ hostId: 'h1', address: 'host', hostIP: '2001:db8::10', healthMaxAge: 60_000 }),
          consul: { endpoints: ['127.0.0.1:8500'], rootKey: 'edge' },
        },
        warnings: [],
      },
    },
    {
      name: 'boundaries that are allowed: 128-character host id, ttl of 10s and 24h, bare seconds',
      args: [
        `--registrar.hostId=9${'a_.-'.repeat(31)}abc`,
        '--registrar.ttl=10',
        '--registrar.healthFile=/run/h',
      ],
      result: {
        ok: true,
        config: withRegistrar({ hostId: `9${'a_.-'.repeat(31)}abc`, ttl: 10_000, healthFile: '/run/h' }),
        warnings: [],
      },
    },
    {
      name: 'ttl of 24h',
      args: ['--registrar.ttl=24h', '--registrar.healthMaxAge=500ms'],
      result: { ok: true, config: withRegistrar({ ttl: 86_400_000, healthMaxAge: 500 }), warnings: [] },
    },
    {
      name: 'hostIP may be given in container mode too',
      args: ['--registrar.hostIP=10.0.0.7'],
      result: { ok: true, config: withRegistrar({ hostIP: '10.0.0.7' }), warnings: [] },
    },
  ];
  it.each(cases)('$name', ({ args, env, result }) => {
    expect(load(args, env)).toEqual(result);
  });
});

const HOST_ID_PROBLEM =
  'is invalid: use 1 to 128 characters: letters, digits, "_", "." and "-", starting with a letter or digit (it becomes a Consul key segment)';
const HOST_IP_MISSING =
  "required when registrar.address is host: each server is then published as this IP with the container's published port; set it to an IP address of this host that routers can reach";
const notAnIP = (text: string) =>
  `"${text}" is not an IP address; give an IPv4 or IPv6 literal (e.g. 192.0.2.10 or 2001:db8::10, no brackets), not a host name`;
const TTL_RANGE = 'is out of range: Consul accepts session TTLs from 10s to 24h';

describe('loadRegistrarConfig: problems', () => {
  const cases: { name: string; args: string[]; env?: Record<string, string>; errors: unknown[] }[] = [
    {
      name: 'hostId with characters a Consul key segment cannot take',
      args: ['--registrar.hostId=node/1'],
      errors: [`[CONFIG_INVALID_VALUE] --registrar.hostId: "node/1" ${HOST_ID_PROBLEM} (flag)`],
    },
    {
      name: 'hostId starting with a punctuation mark (env)',
      args: [],
      env: { WHARF_REGISTRAR_REGISTRAR_HOSTID: '-node' },
      errors: [
        `[CONFIG_INVALID_VALUE] WHARF_REGISTRAR_REGISTRAR_HOSTID: "-node" ${HOST_ID_PROBLEM} (environment)`,
      ],
    },
    {
      name: 'hostId longer than 128 characters',
      args: [`--registrar.hostId=${'a'.repeat(129)}`],
      errors: [`[CONFIG_INVALID_VALUE] --registrar.hostId: "${'a'.repeat(129)}" ${HOST_ID_PROBLEM} (flag)`],
    },
    {
      name: 'empty hostId',
      args: ['--registrar.hostId='],
      errors: ['[CONFIG_EMPTY_VALUE] --registrar.hostId: empty value; give a value or remove the key (flag)'],
    },
    {
      name: 'host mode without hostIP, set by a flag',
      args: ['--registrar.address=host'],
      errors: [`[CONFIG_INVALID_VALUE] --registrar.hostIP: ${HOST_IP_MISSING} (flag)`],
    },
    {
      name: 'host mode without hostIP, set by env',
      args: [],
      env: { WHARF_REGISTRAR_REGISTRAR_ADDRESS: 'host' },
      errors: [`[CONFIG_INVALID_VALUE] WHARF_REGISTRAR_REGISTRAR_HOSTIP: ${HOST_IP_MISSING} (environment)`],
    },
    {
      name: 'host mode without hostIP, set in the file',
      args: ['--configFile=host.yml'],
      errors: [`[CONFIG_INVALID_VALUE] registrar.hostIP: ${HOST_IP_MISSING} (host.yml, line 1)`],
    },
    {
      name: 'hostIP is a host name',
      args: ['--registrar.hostIP=node-1.example'],
      errors: [`[CONFIG_INVALID_VALUE] --registrar.hostIP: ${notAnIP('node-1.example')} (flag)`],
    },
    {
      name: 'hostIP is a bracketed IPv6 address (file)',
      args: ['--configFile=bracketed.yml'],
      errors: [`[CONFIG_INVALID_VALUE] registrar.hostIP: ${notAnIP('[::1]')} (bracketed.yml, line 3)`],
    },
    {
      name: 'hostIP with a port (env)',
      args: ['--registrar.address=host'],
      env: { WHARF_REGISTRAR_REGISTRAR_HOSTIP: '192.0.2.10:80' },
      errors: [
        `[CONFIG_INVALID_VALUE] WHARF_REGISTRAR_REGISTRAR_HOSTIP: ${notAnIP('192.0.2.10:80')} (environment)`,
      ],
    },
    {
      name: 'ttl below 10s',
      args: ['--registrar.ttl=9s'],
      errors: [`[CONFIG_INVALID_VALUE] --registrar.ttl: 9s ${TTL_RANGE} (flag)`],
    },
    {
      name: 'ttl above 24h',
      args: [],
      env: { WHARF_REGISTRAR_REGISTRAR_TTL: '24h1ms' },
      errors: [`[CONFIG_INVALID_VALUE] WHARF_REGISTRAR_REGISTRAR_TTL: 86400001ms ${TTL_RANGE} (environment)`],
    },
    {
      name: 'negative ttl',
      args: ['--registrar.ttl=-30s'],
      errors: [`[CONFIG_INVALID_VALUE] --registrar.ttl: -30s ${TTL_RANGE} (flag)`],
    },
    {
      name: 'ttl and healthMaxAge that are not durations or not positive',
      args: ['--registrar.ttl=soon', '--registrar.healthMaxAge=0'],
      errors: [
        '[CONFIG_INVALID_VALUE] --registrar.ttl: "soon" is not a duration: write a number with a unit, e.g. "100ms", "10s", "1m30s", or a number of seconds (flag)',
        '[CONFIG_INVALID_VALUE] --registrar.healthMaxAge: 0s is not a positive duration (flag)',
      ],
    },
    {
      name: 'address other than container or host',
      args: ['--registrar.address=bridge'],
      errors: [
        expect.stringMatching(
          /^\[CONFIG_INVALID_VALUE\] --registrar\.address: "bridge" is invalid.*"container".*"host".* \(flag\)$/,
        ),
      ],
    },
    {
      name: 'unknown keys in every source, with a suggestion where one is close',
      args: ['--configFile=typos.yml', '--registrar.hostid2=h1'],
      env: { WHARF_REGISTRAR_CONSUL_ENDPIONTS: 'a:8500' },
      errors: [
        '[CONFIG_UNKNOWN_KEY] unknown key "--registrar.hostid2"; did you mean "--registrar.hostId"? (flag)',
        '[CONFIG_UNKNOWN_KEY] unknown key "WHARF_REGISTRAR_CONSUL_ENDPIONTS"; did you mean "WHARF_REGISTRAR_CONSUL_ENDPOINTS"? (environment)',
        '[CONFIG_UNKNOWN_KEY] unknown key "registar"; did you mean "registrar"? (typos.yml, line 1)',
        // The router's Consul provider has these; the registrar does not.
        '[CONFIG_UNKNOWN_KEY] unknown key "consul.stale" (typos.yml, line 4)',
        '[CONFIG_UNKNOWN_KEY] unknown key "consul.namespace" (typos.yml, line 5)',
      ],
    },
    {
      name: "router keys are not the registrar's",
      args: ['--entryPoints.web.address=:80', '--providers.consul.endpoints=a:8500'],
      errors: [
        '[CONFIG_UNKNOWN_KEY] unknown key "--entryPoints" (flag)',
        '[CONFIG_UNKNOWN_KEY] unknown key "--providers.consul" (flag)',
      ],
    },
    {
      name: 'one key written twice in different case',
      args: ['--registrar.hostId=a', '--registrar.HOSTID=b'],
      errors: [
        '[CONFIG_INVALID_VALUE] --registrar.HOSTID: set twice, as "--registrar.hostId" and as "--registrar.HOSTID" (keys are case-insensitive); keep one (flag)',
      ],
    },
    {
      name: 'stray arguments and an unreadable file',
      args: ['healthcheck', '--configFile=nope.yml'],
      errors: [
        '[CONFIG_UNKNOWN_KEY] unexpected argument "healthcheck"; flags are written --consul.endpoints=127.0.0.1:8500',
        expect.stringMatching(/^\[CONFIG_READ_ERROR\] cannot read nope\.yml: ENOENT/),
      ],
    },
  ];
  it.each(cases)('$name', ({ args, env, errors }) => {
    expect(load(args, env)).toEqual({ ok: false, errors });
  });
});
