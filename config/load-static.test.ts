import { describe, expect, it } from 'vitest';
import { type LoadStaticResult, loadStaticConfig } from './load-static.ts';
import type { StaticConfig } from './static.ts';

const files: Record<string, string> = {
  'wharf.yml': [
    'entryPoints:', // 1
    '  web:', // 2
    '    address: ":80"', // 3
    '  websecure:', // 4
    '    address: ":443"', // 5
    'log:', // 6
    '  level: DEBUG', // 7
    'api:', // 8
    '  insecure: true', // 9
    'providers:', // 10
    '  file:', // 11
    '    filename: /etc/wharf/dynamic.yml', // 12
  ].join('\n'),
  'wharf.toml':
    '[entryPoints.web]\naddress = ":80"\n[entryPoints.websecure]\naddress = ":443"\n[log]\nlevel = "DEBUG"\n[api]\ninsecure = true\n[providers.file]\nfilename = "/etc/wharf/dynamic.yml"\n',
  'wharf.json':
    '{"entryPoints": {"web": {"address": ":80"}, "websecure": {"address": ":443"}}, "log": {"level": "DEBUG"}, "api": {"insecure": true}, "providers": {"file": {"filename": "/etc/wharf/dynamic.yml"}}}',
  'typos.yml': [
    'entrypoints:', // 1
    '  web:', // 2
    '    adress: ":80"', // 3
    'log:', // 4
    '  level: verbose', // 5
    'ping:', // 6
    '  terminatingStatusCode: "x"', // 7
  ].join('\n'),
  'traefik.yml':
    'global:\n  checkNewVersion: false\nproviders:\n  swarm:\n    exposedByDefault: false\nentryPoints:\n  web:\n    address: ":80"\n    http3: {}\n',
  'broken.yml': 'log:\n  level: [\n',
  'broken.toml': '[log]\nlevel = \n',
};
const readFile = (path: string): string => {
  const text = files[path];
  if (text === undefined) throw new Error(`ENOENT: no such file or directory, open '${path}'`);
  return text;
};
const load = (args: string[], env: Record<string, string | undefined> = {}): LoadStaticResult =>
  loadStaticConfig({ args, env, readFile });

const DEFAULTS = {
  providers: { providersThrottleDuration: 100 },
  log: { level: 'INFO', format: 'common' },
} as const;
const FROM_FILE: StaticConfig = {
  entryPoints: { web: { address: ':80' }, websecure: { address: ':443' } },
  providers: { providersThrottleDuration: 100, file: { filename: '/etc/wharf/dynamic.yml', watch: true } },
  api: { basePath: '/', insecure: true, dashboard: true, debug: false, disableDashboardAd: false },
  log: { level: 'DEBUG', format: 'common' },
};

describe('loadStaticConfig: sources and precedence', () => {
  const cases: {
    name: string;
    args: string[];
    env?: Record<string, string | undefined>;
    result: LoadStaticResult;
  }[] = [
    { name: 'defaults only', args: [], result: { ok: true, config: DEFAULTS, warnings: [] } },
    ...(['wharf.yml', 'wharf.toml', 'wharf.json'] as const).map((file) => ({
      name: `a ${file.split('.')[1]} file`,
      args: [`--configFile=${file}`],
      result: { ok: true, config: FROM_FILE, configFile: file, warnings: [] } as LoadStaticResult,
    })),
    {
      name: 'flags beat env beat file, merged key by key',
      args: ['--configFile', 'wharf.yml', '--entryPoints.web.address=:8000', '--log.format', 'json'],
      env: {
        WHARF_ENTRYPOINTS_WEB_ADDRESS: ':7000',
        WHARF_ENTRYPOINTS_WEBSECURE_ADDRESS: ':7443',
        WHARF_LOG_FORMAT: 'common',
        WHARF_LOG_LEVEL: 'warn',
        PATH: '/usr/bin',
      },
      result: {
        ok: true,
        config: {
          ...FROM_FILE,
          entryPoints: { web: { address: ':8000' }, websecure: { address: ':7443' } },
          log: { level: 'warn', format: 'json' },
        },
        configFile: 'wharf.yml',
        warnings: [],
      },
    },
    {
      name: 'WHARF_CONFIGFILE names the file; --configFile wins over it',
      args: ['--configFile=wharf.toml'],
      env: { WHARF_CONFIGFILE: 'missing.yml' },
      result: { ok: true, config: FROM_FILE, configFile: 'wharf.toml', warnings: [] },
    },
    {
      name: "WHARF_MALLOC is the launcher's (bin/launch.js), not a configuration key",
      args: ['--configFile=wharf.json'],
      env: { WHARF_MALLOC: 'glibc' },
      result: { ok: true, config: FROM_FILE, configFile: 'wharf.json', warnings: [] },
    },
    {
      name: 'WHARF_CONFIGFILE alone',
      args: [],
      env: { WHARF_CONFIGFILE: 'wharf.json' },
      result: { ok: true, config: FROM_FILE, configFile: 'wharf.json', warnings: [] },
    },
    {
      name: 'boolean flags alone mean true, sections alone are enabled, lists by comma or index',
      args: [
        '--api',
        '--ping',
        '--entryPoints.web.address=:80',
        '--entryPoints.web.asDefault',
        '--entryPoints.web.forwardedHeaders.insecure',
        'false',
        '--entryPoints.web.http.middlewares=auth@file,compress@file',
        '--entryPoints.web.forwardedHeaders.trustedIPs[1]=10.0.0.0/8',
        '--entryPoints.web.forwardedHeaders.trustedIPs[0]=127.0.0.1/32',
        '--providers.providersThrottleDuration',
        '2s',
      ],
      result: {
        ok: true,
        config: {
          entryPoints: {
            web: {
              address: ':80',
              asDefault: true,
              http: { middlewares: ['auth@file', 'compress@file'], sanitizePath: true },
              forwardedHeaders: { insecure: false, trustedIPs: ['127.0.0.1/32', '10.0.0.0/8'] },
            },
          },
          providers: { providersThrottleDuration: 2000 },
          api: { basePath: '/', insecure: false, dashboard: true, debug: false, disableDashboardAd: false },
          ping: { entryPoint: 'wharf', manualRouting: false, terminatingStatusCode: 503 },
          log: { level: 'INFO', format: 'common' },
        },
        warnings: [],
      },
    },
    {
      name: 'keys are case-insensitive; env record names are lower-cased and may contain underscores',
      args: ['--ENTRYPOINTS.Admin.ADDRESS=:9000'],
      env: {
        WHARF_ENTRYPOINTS_WEB_SECURE_ADDRESS: ':443',
        WHARF_ENTRYPOINTS_WEB_SECURE_HTTP_TLS_CERTRESOLVER: 'le',
        WHARF_API_INSECURE: 'TRUE',
      },
      result: {
        ok: true,
        config: {
          ...DEFAULTS,
          entryPoints: {
            Admin: { address: ':9000' },
            web_secure: { address: ':443', http: { tls: { certResolver: 'le' }, sanitizePath: true } },
          },
          api: { basePath: '/', insecure: true, dashboard: true, debug: false, disableDashboardAd: false },
        },
        warnings: [],
      },
    },
    {
      name: "the registrar's WHARF_REGISTRAR_* variables are skipped: one .env file may configure both programs",
      args: [],
      env: {
        WHARF_REGISTRAR_CONFIGFILE: 'missing.yml',
        WHARF_REGISTRAR_CONSUL_ENDPOINTS: 'consul-1:8500,consul-2:8500',
        WHARF_REGISTRAR_REGISTRAR_HOSTID: 'h1',
        WHARF_REGISTRAR_LOG_LEVEL: 'not-a-level',
        WHARF_LOG_LEVEL: 'DEBUG',
      },
      result: { ok: true, config: { ...DEFAULTS, log: { level: 'DEBUG', format: 'common' } }, warnings: [] },
    },
    {
      name: 'Traefik sections Wharf ignores are warnings',
      args: ['--configFile=traefik.yml'],
      result: {
        ok: true,
        config: { ...DEFAULTS, entryPoints: { web: { address: ':80' } } },
        configFile: 'traefik.yml',
        warnings: [
          expect.stringMatching(/^\[CONFIG_UNSUPPORTED\] global: .*\(traefik\.yml, line 1\)$/),
          expect.stringMatching(/^\[CONFIG_UNSUPPORTED\] providers\.swarm: .*\(traefik\.yml, line 4\)$/),
          expect.stringMatching(
            /^\[CONFIG_UNSUPPORTED\] entryPoints\.web\.http3: .*\(traefik\.yml, line 9\)$/,
          ),
        ],
      },
    },
    {
      name: 'serversTransport: its Traefik keys are read, spiffe is a warning',
      args: [
        '--serversTransport.forwardingTimeouts.dialTimeout=5s',
        '--serversTransport.insecureSkipVerify=true',
        '--serversTransport.maxIdleConnsPerHost=-1',
        '--serversTransport.spiffe=true',
      ],
      env: { WHARF_SERVERSTRANSPORT_FORWARDINGTIMEOUTS_RESPONSEHEADERTIMEOUT: '2s' },
      result: {
        ok: true,
        config: {
          ...DEFAULTS,
          serversTransport: {
            insecureSkipVerify: true,
            maxIdleConnsPerHost: -1,
            forwardingTimeouts: { dialTimeout: 5000, responseHeaderTimeout: 2000 },
          },
        },
        warnings: [
          expect.stringMatching(
            /^\[CONFIG_UNSUPPORTED\] --serversTransport\.spiffe: SPIFFE verification .*\(flag\)$/,
          ),
        ],
      },
    },
  ];
  it.each(cases)('$name', ({ args, env, result }) => {
    expect(load(args, env)).toEqual(result);
  });
});

describe('loadStaticConfig: problems', () => {
  const cases: { name: string; args: string[]; env?: Record<string, string>; errors: unknown[] }[] = [
    {
      name: 'unknown keys in every source, each named as written, with where and a suggestion',
      args: ['--configFile=typos.yml', '--entryPoints.web.adress=:81', '--api.insecur'],
      env: { WHARF_ENTRYPOINTS_WEB_SECURE_ADRESS: ':443', WHARF_LOGG_LEVEL: 'debug' },
      errors: [
        '[CONFIG_UNKNOWN_KEY] unknown key "--entryPoints.web.adress"; did you mean "--entryPoints.web.address"? (flag)',
        '[CONFIG_UNKNOWN_KEY] unknown key "--api.insecur"; did you mean "--api.insecure"? (flag)',
        '[CONFIG_UNKNOWN_KEY] unknown key "WHARF_ENTRYPOINTS_WEB_SECURE_ADRESS"; did you mean "WHARF_ENTRYPOINTS_WEB_SECURE_ADDRESS"? (environment)',
        '[CONFIG_UNKNOWN_KEY] unknown key "WHARF_LOGG"; did you mean "WHARF_LOG"? (environment)',
        '[CONFIG_UNKNOWN_KEY] unknown key "entryPoints.web.adress"; did you mean "entryPoints.web.address"? (typos.yml, line 3)',
        expect.stringMatching(
          /^\[CONFIG_INVALID_VALUE\] ping\.terminatingStatusCode: "x" is not a number \(typos\.yml, line 7\)$/,
        ),
        expect.stringMatching(
          /^\[CONFIG_INVALID_VALUE\] log\.level: "verbose" is invalid.*\(typos\.yml, line 5\)$/,
        ),
      ],
    },
    {
      name: 'the HTTP/2 timeouts of dynamic transports are not static keys (as in Traefik)',
      args: ['--serversTransport.forwardingTimeouts.pingTimeout=1s'],
      errors: [
        expect.stringMatching(
          /^\[CONFIG_UNKNOWN_KEY\] unknown key "--serversTransport\.forwardingTimeouts\.pingTimeout"/,
        ),
      ],
    },
    {
      name: 'invalid values are named in the source that set them',
      args: ['--configFile=wharf.yml', '--ping.terminatingStatusCode=abc'],
      env: { WHARF_LOG_FORMAT: 'xml', WHARF_ENTRYPOINTS_ADMIN_ASDEFAULT: 'true' },
      errors: [
        expect.stringMatching(
          /^\[CONFIG_INVALID_VALUE\] WHARF_ENTRYPOINTS_ADMIN_ADDRESS: missing.* \(environment\)$/,
        ),
        expect.stringMatching(
          /^\[CONFIG_INVALID_VALUE\] --ping\.terminatingStatusCode: "abc" is not a number \(flag\)$/,
        ),
        expect.stringMatching(
          /^\[CONFIG_INVALID_VALUE\] WHARF_LOG_FORMAT: "xml" is invalid.* \(environment\)$/,
        ),
      ],
    },
    {
      name: 'only WHARF_REGISTRAR_ with its underscore belongs to the registrar',
      args: [],
      env: { WHARF_REGISTRAR: 'x', WHARF_REGISTRARS_LOG_LEVEL: 'DEBUG' },
      errors: [
        '[CONFIG_UNKNOWN_KEY] unknown key "WHARF_REGISTRAR" (environment)',
        '[CONFIG_UNKNOWN_KEY] unknown key "WHARF_REGISTRARS" (environment)',
      ],
    },
    {
      name: 'a YAML parse error names the file and line',
      args: ['--configFile=broken.yml'],
      errors: [
        expect.stringMatching(/^\[CONFIG_PARSE_ERROR\] cannot parse broken\.yml \(line 3, column 1\): /),
      ],
    },
    {
      name: 'a TOML parse error names the file and line',
      args: ['--configFile=broken.toml'],
      errors: [
        expect.stringMatching(/^\[CONFIG_PARSE_ERROR\] cannot parse broken\.toml \(line 2, column \d+\): /),
      ],
    },
    {
      name: 'an unreadable file, empty values and stray arguments are all reported',
      args: ['--configFile=nope.yml', 'serve', '--entryPoints.web.address', '--log.level='],
      errors: [
        '[CONFIG_UNKNOWN_KEY] unexpected argument "serve"; flags are written --entryPoints.web.address=:80',
        expect.stringMatching(/^\[CONFIG_EMPTY_VALUE\] --entryPoints\.web\.address: empty value.* \(flag\)$/),
        expect.stringMatching(/^\[CONFIG_EMPTY_VALUE\] --log\.level: empty value.* \(flag\)$/),
        expect.stringMatching(/^\[CONFIG_READ_ERROR\] cannot read nope\.yml: ENOENT/),
      ],
    },
    {
      name: '--configFile without a path',
      args: ['--configFile'],
      errors: [expect.stringMatching(/^\[CONFIG_EMPTY_VALUE\] --configFile/)],
    },
  ];
  it.each(cases)('$name', ({ args, env, errors }) => {
    expect(load(args, env)).toEqual({ ok: false, errors });
  });
});

describe('loadStaticConfig: certificatesResolvers (ACME)', () => {
  it('reads a resolver from flags and environment, merged key by key, with defaults', () => {
    const r = load(
      [
        '--certificatesResolvers.le.acme.email=ops@example.com',
        '--certificatesResolvers.le.acme.httpChallenge.entryPoint=web',
      ],
      { WHARF_CERTIFICATESRESOLVERS_LE_ACME_STORAGE: 'consul' },
    );
    expect(r.ok).toBe(true);
    const acme = r.ok ? r.config.certificatesResolvers?.le?.acme : undefined;
    expect(acme).toMatchObject({
      email: 'ops@example.com',
      storage: 'consul',
      httpChallenge: { entryPoint: 'web' },
    });
  });

  it('names a misspelled resolver key, with a suggestion when one is near', () => {
    const r = load([
      '--certificatesResolvers.le.acme.emial=ops@example.com',
      '--certificatesResolvers.le.acme.storag=x',
    ]);
    expect(r.ok).toBe(false);
    expect(r.ok ? [] : r.errors).toEqual([
      expect.stringContaining('unknown key "--certificatesResolvers.le.acme.emial"'),
      expect.stringContaining('did you mean "--certificatesResolvers.le.acme.storage"'),
    ]);
  });
});
