import { describe, expect, it } from 'vitest';
import type { Diagnostic } from './diagnostics.ts';
import type { DynamicConfig, DynamicConfigInput } from './dynamic.ts';
import { decodeFlatKeys, encodeFlatKeys, type FlatEntry } from './flat-keys.ts';

const label = { style: 'label', root: 'wharf', source: 'docker', subject: 'app-1' } as const;
const kv = { style: 'kv', root: 'wharf', source: 'consul', subject: 'wharf' } as const;

/** Label or KV entries from `key=value` lines. */
const entries = (...lines: string[]): FlatEntry[] =>
  lines.map((l) => ({ key: l.slice(0, l.indexOf('=')), value: l.slice(l.indexOf('=') + 1) }));

type Expected = Omit<Diagnostic, 'source' | 'subject' | 'message'> & { message?: string };
/** An expected diagnostic whose message contains its key (and `message` when given). */
const diag =
  (source: string, subject: string) =>
  ({ message, ...d }: Expected): Diagnostic => ({
    source,
    subject,
    message: expect.stringMatching(new RegExp(`${escapeRe(d.key ?? '')}.*${escapeRe(message ?? '')}`)),
    ...d,
  });
const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const labelDiag = diag('docker', 'app-1');
const kvDiag = diag('consul', 'wharf');

interface Case {
  name: string;
  entries: FlatEntry[];
  config: DynamicConfig;
  diagnostics: Diagnostic[];
}

describe('decodeFlatKeys, label style', () => {
  const cases: Case[] = [
    {
      name: 'a router with lists, tls and observability',
      entries: entries(
        'wharf.http.routers.web.rule=Host(`a.com`) || Host(`b.com`)',
        'wharf.http.routers.web.entrypoints=web, websecure',
        'wharf.http.routers.web.middlewares=strip,auth@file',
        'wharf.http.routers.web.service=app',
        'wharf.http.routers.web.priority=42',
        'wharf.http.routers.web.tls=true',
        'wharf.http.routers.web.tls.certresolver=le',
        'wharf.http.routers.web.tls.domains[0].main=a.com',
        'wharf.http.routers.web.tls.domains[0].sans=www.a.com,api.a.com',
        'wharf.http.routers.web.tls.domains[1].main=b.com',
        'wharf.http.routers.web.observability.accesslogs=FALSE',
        'wharf.http.routers.plain.rule=Path(`/`)',
        'wharf.http.routers.plain.tls=true',
      ),
      config: {
        http: {
          routers: {
            web: {
              rule: 'Host(`a.com`) || Host(`b.com`)',
              entryPoints: ['web', 'websecure'],
              middlewares: ['strip', 'auth@file'],
              service: 'app',
              priority: 42,
              tls: {
                certResolver: 'le',
                domains: [{ main: 'a.com', sans: ['www.a.com', 'api.a.com'] }, { main: 'b.com' }],
              },
              observability: { accessLogs: false },
            },
            plain: { rule: 'Path(`/`)', tls: {} },
          },
        },
      },
      diagnostics: [],
    },
    {
      name: 'a load balancer with servers, health check and sticky cookie',
      entries: entries(
        'wharf.http.services.app.loadbalancer.servers[0].url=http://10.0.0.1:8080',
        'wharf.http.services.app.loadbalancer.servers[1].url=http://10.0.0.2:8080',
        'wharf.http.services.app.loadbalancer.servers[1].weight=3',
        'wharf.http.services.app.loadbalancer.passhostheader=false',
        'wharf.http.services.app.loadbalancer.healthcheck.path=/health',
        'wharf.http.services.app.loadbalancer.healthcheck.interval=10s',
        'wharf.http.services.app.loadbalancer.healthcheck.timeout=3',
        'wharf.http.services.app.loadbalancer.healthcheck.headers.X-Probe=wharf',
        'wharf.http.services.app.loadbalancer.sticky.cookie.name=srv',
        'wharf.http.services.app.loadbalancer.sticky.cookie.samesite=',
        'wharf.http.services.app.loadbalancer.responseforwarding.flushinterval=50ms',
      ),
      config: {
        http: {
          services: {
            app: {
              loadBalancer: {
                servers: [{ url: 'http://10.0.0.1:8080' }, { url: 'http://10.0.0.2:8080', weight: 3 }],
                passHostHeader: false,
                healthCheck: {
                  path: '/health',
                  interval: 10_000,
                  timeout: 3000,
                  headers: { 'X-Probe': 'wharf' },
                },
                sticky: { cookie: { name: 'srv', sameSite: '' } },
                responseForwarding: { flushInterval: 50 },
              },
            },
          },
        },
      },
      diagnostics: [],
    },
    {
      name: 'middlewares with header maps (names keep their case, empty values remove headers)',
      entries: entries(
        'wharf.http.middlewares.hdr.headers.customrequestheaders.X-Forwarded-Proto=https',
        'wharf.http.middlewares.hdr.headers.customresponseheaders.Server=',
        'wharf.http.middlewares.hdr.headers.stsseconds=31536000',
        'wharf.http.middlewares.strip.stripprefix.prefixes=/api,/v1',
        'wharf.http.middlewares.redir.redirectscheme.scheme=https',
        'wharf.http.middlewares.redir.redirectscheme.port=443',
        'wharf.http.middlewares.redir.redirectscheme.permanent=true',
        'wharf.http.middlewares.both.chain.middlewares=hdr,strip',
      ),
      config: {
        http: {
          middlewares: {
            hdr: {
              headers: {
                customRequestHeaders: { 'X-Forwarded-Proto': 'https' },
                customResponseHeaders: { Server: '' },
                stsSeconds: 31_536_000,
              },
            },
            strip: { stripPrefix: { prefixes: ['/api', '/v1'] } },
            redir: { redirectScheme: { scheme: 'https', port: '443', permanent: true } },
            both: { chain: { middlewares: ['hdr', 'strip'] } },
          },
        },
      },
      diagnostics: [],
    },
    {
      name: 'keys, the prefix and names are case-insensitive (as in Traefik); a name keeps its first spelling',
      entries: entries(
        'WHARF.HTTP.Routers.MyApp.RULE=Host(`x`)',
        'wharf.http.routers.MyApp.EntryPoints=web',
        'wharf.http.routers.myapp.service=s',
      ),
      config: {
        http: { routers: { MyApp: { rule: 'Host(`x`)', entryPoints: ['web'], service: 's' } } },
      },
      diagnostics: [],
    },
    {
      name: 'scalar lists by index, sorted numerically',
      entries: entries(
        'wharf.http.routers.r.entrypoints[10]=k',
        'wharf.http.routers.r.entrypoints[2]=c',
        'wharf.http.routers.r.entrypoints[0]=a',
      ),
      config: { http: { routers: { r: { entryPoints: ['a', 'c', 'k'] } } } },
      diagnostics: [],
    },
    {
      name: 'labels outside http and tls are ignored; near misses and tcp are warned about',
      entries: entries(
        'wharf.enable=true',
        'wharf.docker.network=front',
        'traefik.http.routers.other.rule=Host(`o`)',
        'com.docker.compose.service=app',
        'wharf.htp.routers.x.rule=Host(`x`)',
        'wharf.tcp.routers.t.rule=HostSNI(`*`)',
        'wharf.http.routers.ok.rule=Host(`ok`)',
      ),
      config: { http: { routers: { ok: { rule: 'Host(`ok`)' } } } },
      diagnostics: [
        labelDiag({ code: 'CONFIG_UNKNOWN_KEY', severity: 'warning', key: 'wharf.htp', suggestion: 'http' }),
        labelDiag({ code: 'CONFIG_UNSUPPORTED', severity: 'warning', key: 'wharf.tcp' }),
      ],
    },
    {
      name: 'one bad label disables only its router, naming the label as written',
      entries: entries(
        'wharf.http.routers.typo.rule=Host(`a`)',
        'wharf.http.routers.typo.priorty=1',
        'wharf.http.routers.num.priority=abc',
        'wharf.http.routers.bool.observability.metrics=yes',
        'wharf.http.routers.empty.rule=',
        'wharf.http.routers.good.rule=Host(`good`)',
        'wharf.http.services.svc.loadbalancer.passHostHeader=maybe',
        'wharf.http.services.ok.loadbalancer.servers[0].url=http://ok',
        'wharf.http.middlewares.plug.plugin.demo.average=5',
        'wharf.http.middlewares.plug.plugin.demo.burst=10',
      ),
      config: {
        http: {
          routers: { good: { rule: 'Host(`good`)' } },
          services: { ok: { loadBalancer: { servers: [{ url: 'http://ok' }] } } },
          middlewares: {},
        },
      },
      diagnostics: [
        labelDiag({
          code: 'CONFIG_INVALID_VALUE',
          severity: 'error',
          item: { kind: 'router', name: 'bool' },
          key: 'wharf.http.routers.bool.observability.metrics',
          value: 'yes',
        }),
        labelDiag({
          code: 'CONFIG_EMPTY_VALUE',
          severity: 'error',
          item: { kind: 'router', name: 'empty' },
          key: 'wharf.http.routers.empty.rule',
          value: '',
        }),
        labelDiag({
          code: 'CONFIG_INVALID_VALUE',
          severity: 'error',
          item: { kind: 'router', name: 'num' },
          key: 'wharf.http.routers.num.priority',
          value: 'abc',
          message: '"abc"',
        }),
        labelDiag({
          code: 'CONFIG_UNKNOWN_KEY',
          severity: 'error',
          item: { kind: 'router', name: 'typo' },
          key: 'wharf.http.routers.typo.priorty',
          value: '1',
          suggestion: 'priority',
        }),
        labelDiag({
          code: 'CONFIG_INVALID_VALUE',
          severity: 'error',
          item: { kind: 'service', name: 'svc' },
          key: 'wharf.http.services.svc.loadbalancer.passHostHeader',
          value: 'maybe',
        }),
        labelDiag({
          code: 'MIDDLEWARE_TYPE_UNSUPPORTED',
          severity: 'error',
          item: { kind: 'middleware', name: 'plug' },
          key: 'wharf.http.middlewares.plug.plugin',
          message: 'not supported by Wharf yet',
        }),
      ],
    },
    {
      name: 'values given to sections, sub-keys of values and conflicting spellings are reported',
      entries: entries(
        'wharf.http.routers.a.tls.domains=a.com',
        'wharf.http.routers.b.rule.x=1',
        'wharf.http.services.c.loadbalancer=5',
        'wharf.http.routers.d.entrypoints=web',
        'wharf.http.routers.d.entrypoints[0]=websecure',
        'wharf.http.routers.e.rule=Host(`a`)',
        'wharf.http.routers.e.RULE=Host(`b`)',
      ),
      config: { http: { routers: {}, services: {} } },
      diagnostics: [
        labelDiag({
          code: 'CONFIG_INVALID_VALUE',
          severity: 'error',
          item: { kind: 'router', name: 'a' },
          key: 'wharf.http.routers.a.tls.domains',
          value: 'a.com',
        }),
        labelDiag({
          code: 'CONFIG_INVALID_VALUE',
          severity: 'error',
          item: { kind: 'router', name: 'b' },
          key: 'wharf.http.routers.b.rule',
        }),
        labelDiag({
          code: 'CONFIG_INVALID_VALUE',
          severity: 'error',
          item: { kind: 'router', name: 'd' },
          key: 'wharf.http.routers.d.entrypoints[0]',
          value: 'websecure',
          message: 'set twice',
        }),
        labelDiag({
          code: 'CONFIG_INVALID_VALUE',
          severity: 'error',
          item: { kind: 'router', name: 'e' },
          key: 'wharf.http.routers.e.RULE',
          value: 'Host(`b`)',
        }),
        labelDiag({
          code: 'CONFIG_INVALID_VALUE',
          severity: 'error',
          item: { kind: 'service', name: 'c' },
          key: 'wharf.http.services.c.loadbalancer',
          value: '5',
        }),
      ],
    },
  ];
  it.each(cases)('$name', ({ entries, config, diagnostics }) => {
    expect(decodeFlatKeys(entries, label)).toEqual({ config, diagnostics });
  });

  // Traefik (paerser's allowEmpty): a section set to anything but true is off, its sub-keys ignored.
  const switchedOff: Case[] = [
    {
      name: 'tls=false with tls.certresolver makes no TLS router',
      entries: entries(
        'wharf.http.routers.web.rule=Host(`a.com`)',
        'wharf.http.routers.web.tls=false',
        'wharf.http.routers.web.tls.certresolver=le',
      ),
      config: { http: { routers: { web: { rule: 'Host(`a.com`)' } } } },
      diagnostics: [
        labelDiag({
          code: 'CONFIG_SECTION_OFF',
          severity: 'warning',
          item: { kind: 'router', name: 'web' },
          key: 'wharf.http.routers.web.tls.certresolver',
          message: 'wharf.http.routers.web.tls=false switches that section off',
        }),
      ],
    },
    {
      name: 'sticky=false with sticky.cookie.name does not make a sticky service',
      entries: entries(
        'wharf.http.services.s.loadbalancer.sticky=false',
        'wharf.http.services.s.loadbalancer.sticky.cookie.name=x',
        'wharf.http.services.s.loadbalancer.servers[0].url=http://10.0.0.1',
      ),
      config: { http: { services: { s: { loadBalancer: { servers: [{ url: 'http://10.0.0.1' }] } } } } },
      diagnostics: [
        labelDiag({
          code: 'CONFIG_SECTION_OFF',
          severity: 'warning',
          item: { kind: 'service', name: 's' },
          key: 'wharf.http.services.s.loadbalancer.sticky.cookie.name',
        }),
      ],
    },
    {
      name: 'sticky.cookie=no (any value but true) with sticky.cookie.name keeps the cookie off',
      entries: entries(
        'wharf.http.services.s.loadbalancer.sticky.cookie=no',
        'wharf.http.services.s.loadbalancer.sticky.cookie.name=x',
        'wharf.http.services.s.loadbalancer.servers[0].url=http://10.0.0.1',
      ),
      config: {
        http: { services: { s: { loadBalancer: { sticky: {}, servers: [{ url: 'http://10.0.0.1' }] } } } },
      },
      diagnostics: [
        labelDiag({
          code: 'CONFIG_SECTION_OFF',
          severity: 'warning',
          item: { kind: 'service', name: 's' },
          key: 'wharf.http.services.s.loadbalancer.sticky.cookie.name',
        }),
      ],
    },
    {
      name: 'tls=TRUE turns the section on',
      entries: entries('wharf.http.routers.web.rule=Host(`a.com`)', 'wharf.http.routers.web.tls=TRUE'),
      config: { http: { routers: { web: { rule: 'Host(`a.com`)', tls: {} } } } },
      diagnostics: [],
    },
  ];
  it.each(switchedOff)('$name', ({ entries, config, diagnostics }) => {
    expect(decodeFlatKeys(entries, label)).toEqual({ config, diagnostics });
  });

  it('reads Traefik labels unchanged with root "traefik"', () => {
    const result = decodeFlatKeys(
      entries('traefik.http.routers.r.rule=Host(`a`)', 'wharf.http.routers.w.rule=x'),
      {
        ...label,
        root: 'traefik',
      },
    );
    expect(result).toEqual({ config: { http: { routers: { r: { rule: 'Host(`a`)' } } } }, diagnostics: [] });
  });
});

describe('decodeFlatKeys, KV style', () => {
  const middlewares = Array.from(
    { length: 12 },
    (_, i) => `wharf/http/routers/r/middlewares/${i}=m${i}`,
  ).reverse();
  const cases: Case[] = [
    {
      name: 'a router with numerically sorted lists (10 after 2) and tls',
      entries: entries(
        'wharf/http/routers/r/rule=Host(`a.com`)',
        ...middlewares,
        'wharf/http/routers/r/entrypoints/1=websecure',
        'wharf/http/routers/r/entrypoints/0=web',
        'wharf/http/routers/r/tls=',
        'wharf/http/routers/r/tls/certresolver=le',
        'wharf/http/routers/r/tls/domains/0/main=a.com',
        'wharf/http/routers/r/tls/domains/0/sans/1=y.a.com',
        'wharf/http/routers/r/tls/domains/0/sans/0=x.a.com',
        'wharf/http/routers/t/tls=true',
        'wharf/http/routers/t/priority=7',
      ),
      config: {
        http: {
          routers: {
            r: {
              rule: 'Host(`a.com`)',
              middlewares: ['m0', 'm1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7', 'm8', 'm9', 'm10', 'm11'],
              entryPoints: ['web', 'websecure'],
              tls: { certResolver: 'le', domains: [{ main: 'a.com', sans: ['x.a.com', 'y.a.com'] }] },
            },
            t: { tls: {}, priority: 7 },
          },
        },
      },
      diagnostics: [],
    },
    {
      name: 'load balancer, weighted, failover and mirroring services',
      entries: entries(
        'wharf/http/services/app/loadbalancer/servers/0/url=http://10.0.0.1:80',
        'wharf/http/services/app/loadbalancer/servers/0/weight=2',
        'wharf/http/services/app/loadbalancer/servers/1/url=http://10.0.0.2:80',
        'wharf/http/services/app/loadbalancer/servers/1/preservePath=true',
        'wharf/http/services/app/loadbalancer/healthcheck/interval=5s',
        'wharf/http/services/canary/weighted/services/0/name=app',
        'wharf/http/services/canary/weighted/services/0/weight=9',
        'wharf/http/services/canary/weighted/services/1/name=app-v2@docker',
        'wharf/http/services/canary/weighted/services/1/weight=1',
        'wharf/http/services/fo/failover/service=app',
        'wharf/http/services/fo/failover/fallback=canary',
        'wharf/http/services/mirror/mirroring/service=app',
        'wharf/http/services/mirror/mirroring/mirrors/0/name=canary',
        'wharf/http/services/mirror/mirroring/mirrors/0/percent=12.5',
        'wharf/http/services/mirror/mirroring/maxbodysize=-1',
      ),
      config: {
        http: {
          services: {
            app: {
              loadBalancer: {
                servers: [
                  { url: 'http://10.0.0.1:80', weight: 2 },
                  { url: 'http://10.0.0.2:80', preservePath: true },
                ],
                healthCheck: { interval: 5000 },
              },
            },
            canary: {
              weighted: {
                services: [
                  { name: 'app', weight: 9 },
                  { name: 'app-v2@docker', weight: 1 },
                ],
              },
            },
            fo: { failover: { service: 'app', fallback: 'canary' } },
            mirror: {
              mirroring: { service: 'app', mirrors: [{ name: 'canary', percent: 12.5 }], maxBodySize: -1 },
            },
          },
        },
      },
      diagnostics: [],
    },
    {
      name: 'middlewares, header maps and tls options',
      entries: entries(
        'wharf/http/middlewares/hdr/headers/customRequestHeaders/X-Script-Name=/app',
        'wharf/http/middlewares/hdr/headers/customRequestHeaders/X-Drop=',
        'wharf/http/middlewares/strip/stripPrefix/prefixes/0=/api',
        'wharf/http/middlewares/strip/stripPrefix/prefixes/1=/v1',
        'wharf/tls/options/modern/minVersion=VersionTLS13',
        'wharf/tls/options/modern/sniStrict=true',
      ),
      config: {
        http: {
          middlewares: {
            hdr: { headers: { customRequestHeaders: { 'X-Script-Name': '/app', 'X-Drop': '' } } },
            strip: { stripPrefix: { prefixes: ['/api', '/v1'] } },
          },
        },
        tls: { options: { modern: { minVersion: 'VersionTLS13', sniStrict: true } } },
      },
      diagnostics: [],
    },
    {
      name: 'folders and keys outside the root are skipped',
      entries: entries(
        'wharf/=',
        'wharf/http/=',
        'wharf/http/routers/r/=',
        'other/http/routers/x/rule=x',
        'wharfish/http/routers/y/rule=y',
        'wharf/http/routers/r/rule=ok',
      ),
      config: { http: { routers: { r: { rule: 'ok' } } } },
      diagnostics: [],
    },
    {
      name: 'conflicts, bad indexes, empty values and typos disable only their items',
      entries: entries(
        'wharf/http/routers/c1/service=x',
        'wharf/http/routers/c1/service/foo=y',
        'wharf/http/routers/c2/service/foo=y',
        'wharf/http/routers/c2/service=x',
        'wharf/http/routers/v/rule/x=1',
        'wharf/http/routers/i/entrypoints/first=web',
        'wharf/http/routers/e/rule=',
        'wharf/http/routers/p/priorty=3',
        'wharf/http/routers/n/priority=high',
        'wharf/http/routers/ok/rule=Host(`ok`)',
        'wharf/http/services/s/loadbalancer/servers/x/url=http://a',
        'wharf/foo/bar=1',
        'wharf/tcp/routers/t/rule=x',
      ),
      config: { http: { routers: { ok: { rule: 'Host(`ok`)' } }, services: {} } },
      diagnostics: [
        kvDiag({ code: 'CONFIG_UNKNOWN_KEY', severity: 'error', key: 'wharf/foo' }),
        kvDiag({ code: 'CONFIG_UNSUPPORTED', severity: 'warning', key: 'wharf/tcp' }),
        kvDiag({
          code: 'CONFIG_KEY_CONFLICT',
          severity: 'error',
          item: { kind: 'router', name: 'c1' },
          key: 'wharf/http/routers/c1/service',
          value: 'x',
          message: 'wharf/http/routers/c1/service/foo',
        }),
        kvDiag({
          code: 'CONFIG_KEY_CONFLICT',
          severity: 'error',
          item: { kind: 'router', name: 'c2' },
          key: 'wharf/http/routers/c2/service',
          value: 'x',
          message: 'wharf/http/routers/c2/service/foo',
        }),
        kvDiag({
          code: 'CONFIG_EMPTY_VALUE',
          severity: 'error',
          item: { kind: 'router', name: 'e' },
          key: 'wharf/http/routers/e/rule',
          value: '',
        }),
        kvDiag({
          code: 'CONFIG_BAD_INDEX',
          severity: 'error',
          item: { kind: 'router', name: 'i' },
          key: 'wharf/http/routers/i/entrypoints/first',
          value: 'web',
        }),
        kvDiag({
          code: 'CONFIG_INVALID_VALUE',
          severity: 'error',
          item: { kind: 'router', name: 'n' },
          key: 'wharf/http/routers/n/priority',
          value: 'high',
        }),
        kvDiag({
          code: 'CONFIG_UNKNOWN_KEY',
          severity: 'error',
          item: { kind: 'router', name: 'p' },
          key: 'wharf/http/routers/p/priorty',
          value: '3',
          suggestion: 'priority',
        }),
        kvDiag({
          code: 'CONFIG_INVALID_VALUE',
          severity: 'error',
          item: { kind: 'router', name: 'v' },
          key: 'wharf/http/routers/v/rule',
          message: 'not sub-keys',
        }),
        kvDiag({
          code: 'CONFIG_BAD_INDEX',
          severity: 'error',
          item: { kind: 'service', name: 's' },
          key: 'wharf/http/services/s/loadbalancer/servers/x',
        }),
      ],
    },
    {
      name: 'a missing required key is named as a KV key',
      entries: entries('wharf/http/services/fo/failover/service=app'),
      config: { http: { services: {} } },
      diagnostics: [
        kvDiag({
          code: 'CONFIG_INVALID_VALUE',
          severity: 'error',
          item: { kind: 'service', name: 'fo' },
          key: 'wharf/http/services/fo/failover/fallback',
        }),
      ],
    },
  ];
  it.each(cases)('$name', ({ entries, config, diagnostics }) => {
    expect(decodeFlatKeys(entries, kv)).toEqual({ config, diagnostics });
  });

  it('accepts a root of several segments', () => {
    const result = decodeFlatKeys(entries('apps/wharf/http/routers/r/rule=x', 'apps/http/routers/z/rule=y'), {
      ...kv,
      root: 'apps/wharf',
    });
    expect(result).toEqual({ config: { http: { routers: { r: { rule: 'x' } } } }, diagnostics: [] });
  });
});

describe('encodeFlatKeys', () => {
  const config: DynamicConfigInput = {
    http: {
      routers: {
        web: {
          rule: 'Host(`a.com`)',
          entryPoints: ['web', 'websecure'],
          tls: { domains: [{ main: 'a.com', sans: ['b.a.com'] }] },
        },
        bare: { rule: 'Path(`/`)', tls: {} },
      },
      services: {
        app: { loadBalancer: { servers: [{ url: 'http://a:80' }], healthCheck: { interval: '10s' } } },
      },
      middlewares: { hdr: { headers: { customRequestHeaders: { 'X-A': 'a,b' } } } },
    },
  };

  it('writes labels', () => {
    expect(encodeFlatKeys(config, { style: 'label', root: 'wharf' })).toEqual(
      entries(
        'wharf.http.routers.web.rule=Host(`a.com`)',
        'wharf.http.routers.web.entryPoints=web,websecure',
        'wharf.http.routers.web.tls.domains[0].main=a.com',
        'wharf.http.routers.web.tls.domains[0].sans=b.a.com',
        'wharf.http.routers.bare.rule=Path(`/`)',
        'wharf.http.routers.bare.tls=true',
        'wharf.http.services.app.loadBalancer.servers[0].url=http://a:80',
        'wharf.http.services.app.loadBalancer.healthCheck.interval=10s',
        'wharf.http.middlewares.hdr.headers.customRequestHeaders.X-A=a,b',
      ),
    );
  });

  it('writes KV keys', () => {
    expect(encodeFlatKeys(config, { style: 'kv', root: 'wharf' })).toEqual(
      entries(
        'wharf/http/routers/web/rule=Host(`a.com`)',
        'wharf/http/routers/web/entryPoints/0=web',
        'wharf/http/routers/web/entryPoints/1=websecure',
        'wharf/http/routers/web/tls/domains/0/main=a.com',
        'wharf/http/routers/web/tls/domains/0/sans/0=b.a.com',
        'wharf/http/routers/bare/rule=Path(`/`)',
        'wharf/http/routers/bare/tls=true',
        'wharf/http/services/app/loadBalancer/servers/0/url=http://a:80',
        'wharf/http/services/app/loadBalancer/healthCheck/interval=10s',
        'wharf/http/middlewares/hdr/headers/customRequestHeaders/X-A=a,b',
      ),
    );
  });

  it('indexes a label list whose items contain commas', () => {
    const c: DynamicConfigInput = {
      http: { middlewares: { s: { stripPrefix: { prefixes: ['/a,b', '/c'] } } } },
    };
    expect(encodeFlatKeys(c, { style: 'label', root: 'wharf' })).toEqual(
      entries(
        'wharf.http.middlewares.s.stripPrefix.prefixes[0]=/a,b',
        'wharf.http.middlewares.s.stripPrefix.prefixes[1]=/c',
      ),
    );
  });

  const model: DynamicConfig = {
    http: {
      routers: {
        web: {
          rule: 'Host(`a.com`) && PathPrefix(`/api`)',
          entryPoints: ['web', 'websecure'],
          middlewares: ['strip', 'auth@file'],
          service: 'app',
          priority: 5,
          tls: { certResolver: 'le', domains: [{ main: 'a.com', sans: ['b.a.com', 'c.a.com'] }] },
          observability: { accessLogs: false },
        },
        bare: { rule: 'Path(`/`)', tls: {} },
      },
      services: {
        app: {
          loadBalancer: {
            servers: Array.from({ length: 12 }, (_, i) => ({ url: `http://10.0.0.${i}:80`, weight: i })),
            passHostHeader: false,
            healthCheck: { path: '/h', interval: 90_000, timeout: 1500, headers: { 'X-Probe': '1' } },
            sticky: { cookie: { name: 'c', sameSite: 'lax', httpOnly: true } },
          },
        },
        canary: {
          weighted: {
            services: [
              { name: 'app', weight: 3 },
              { name: 'v2', weight: 1 },
            ],
            healthCheck: {},
          },
        },
        fo: { failover: { service: 'app', fallback: 'canary' } },
        mirror: {
          mirroring: { service: 'app', mirrors: [{ name: 'canary', percent: 5 }], mirrorBody: false },
        },
      },
      middlewares: {
        strip: { stripPrefix: { prefixes: ['/api'] } },
        hdr: { headers: { customRequestHeaders: { 'X-Env': 'prod', 'X-Drop': '' }, frameDeny: true } },
        redir: { redirectScheme: { scheme: 'https', port: '8443', permanent: true } },
      },
    },
    tls: { options: { modern: { minVersion: 'VersionTLS13', cipherSuites: ['A', 'B'] } } },
  };
  it.each(['label', 'kv'] as const)('round-trips the model through %s keys', (style) => {
    // Labels carry no TLS options (only tls.stores.default, below), so their model leaves tls out.
    const { tls: _tls, ...withoutTls } = model;
    const expected = style === 'label' ? withoutTls : model;
    const flat = encodeFlatKeys(expected, { style, root: 'wharf' });
    expect(decodeFlatKeys(flat, { style, root: 'wharf', source: 's', subject: 'x' })).toEqual({
      config: expected,
      diagnostics: [],
    });
  });

  it('labels may set only tls.stores.default: TLS options and certificates are dropped with a warning', () => {
    const out = decodeFlatKeys(
      [
        { key: 'wharf.tls.options.default.minversion', value: 'VersionTLS10' },
        { key: 'wharf.tls.certificates[0].certfile', value: '/etc/shadow' },
        { key: 'wharf.tls.stores.default.defaultcertificate.certfile', value: 'c.pem' },
        { key: 'wharf.tls.stores.default.defaultcertificate.keyfile', value: 'k.pem' },
      ],
      { style: 'label', root: 'wharf', source: 'docker', subject: 'c' },
    );
    expect(out.config.tls).toEqual({
      stores: { default: { defaultCertificate: { certFile: 'c.pem', keyFile: 'k.pem' } } },
    });
    expect(out.diagnostics.map((d) => [d.code, d.severity, d.key])).toEqual([
      ['CONFIG_UNSUPPORTED', 'warning', 'wharf.tls.certificates[0].certfile'],
      ['CONFIG_UNSUPPORTED', 'warning', 'wharf.tls.options.default.minversion'],
    ]);
  });
});

describe('names differing only in case', () => {
  it('are one item, so two different values for one key are an error naming both labels', () => {
    const out = decodeFlatKeys(
      [
        { key: 'wharf.http.routers.MyApp.rule', value: 'Host(`x`)' },
        { key: 'wharf.http.routers.myapp.rule', value: 'Host(`y`)' },
      ],
      { style: 'label', root: 'wharf', source: 'docker', subject: 'c' },
    );
    expect(out.config.http?.routers ?? {}).toEqual({});
    expect(out.diagnostics.map((d) => d.code)).toEqual(['CONFIG_INVALID_VALUE']);
    expect(out.diagnostics[0]?.message).toContain('wharf.http.routers.MyApp.rule');
    expect(out.diagnostics[0]?.message).toContain('wharf.http.routers.myapp.rule');
  });
});
