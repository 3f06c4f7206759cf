import { describe, expect, it } from 'vitest';
import type { Diagnostic } from './diagnostics.ts';
import type { DynamicConfig } from './dynamic.ts';
import { dottedKey, itemOf, validateDynamic } from './validate-dynamic.ts';

const ctx = { source: 'file', subject: 'dyn.yml' };

/** An expected diagnostic: its message must contain the key. */
function diag({
  message,
  ...d
}: Omit<Diagnostic, 'source' | 'subject' | 'message'> & { message?: string }): Diagnostic {
  return {
    source: 'file',
    subject: 'dyn.yml',
    message: expect.stringContaining(message ?? d.key ?? ''),
    ...d,
  };
}

describe('validateDynamic', () => {
  const cases: { name: string; input: unknown; config: DynamicConfig; diagnostics: Diagnostic[] }[] = [
    {
      name: 'keeps a valid configuration and returns output types (durations in ms)',
      input: {
        http: {
          routers: {
            web: {
              rule: 'Host(`a.com`)',
              entrypoints: ['web'],
              middlewares: ['strip', 'auth@file'],
              service: 'app',
              priority: 10,
            },
            secure: {
              rule: 'Host(`a.com`)',
              tls: { certresolver: 'le', domains: [{ main: 'a.com', sans: ['b.a.com'] }] },
            },
          },
          services: {
            app: {
              loadbalancer: {
                servers: [{ url: 'http://10.0.0.1:80' }, { url: 'http://10.0.0.2:80', weight: 2 }],
                healthcheck: { path: '/health', interval: '10s', timeout: 3 },
                responseforwarding: { flushinterval: '100ms' },
              },
            },
            canary: {
              weighted: {
                services: [
                  { name: 'app', weight: 3 },
                  { name: 'app2@docker', weight: 1 },
                ],
              },
            },
            fo: { failover: { service: 'app', fallback: 'canary' } },
            mirror: { mirroring: { service: 'app', mirrors: [{ name: 'canary', percent: 10 }] } },
          },
          middlewares: {
            strip: { stripprefix: { prefixes: ['/api'] } },
            hdr: { headers: { customrequestheaders: { 'X-Env': 'prod', 'X-Remove': '' } } },
          },
        },
        tls: { certificates: [{ certFile: '/c.pem', keyFile: '/k.pem' }] },
      },
      config: {
        http: {
          routers: {
            web: {
              rule: 'Host(`a.com`)',
              entryPoints: ['web'],
              middlewares: ['strip', 'auth@file'],
              service: 'app',
              priority: 10,
            },
            secure: {
              rule: 'Host(`a.com`)',
              tls: { certResolver: 'le', domains: [{ main: 'a.com', sans: ['b.a.com'] }] },
            },
          },
          services: {
            app: {
              loadBalancer: {
                servers: [{ url: 'http://10.0.0.1:80' }, { url: 'http://10.0.0.2:80', weight: 2 }],
                healthCheck: { path: '/health', interval: 10_000, timeout: 3000 },
                responseForwarding: { flushInterval: 100 },
              },
            },
            canary: {
              weighted: {
                services: [
                  { name: 'app', weight: 3 },
                  { name: 'app2@docker', weight: 1 },
                ],
              },
            },
            fo: { failover: { service: 'app', fallback: 'canary' } },
            mirror: { mirroring: { service: 'app', mirrors: [{ name: 'canary', percent: 10 }] } },
          },
          middlewares: {
            strip: { stripPrefix: { prefixes: ['/api'] } },
            hdr: { headers: { customRequestHeaders: { 'X-Env': 'prod', 'X-Remove': '' } } },
          },
        },
        tls: { certificates: [{ certFile: '/c.pem', keyFile: '/k.pem' }] },
      },
      diagnostics: [],
    },
    {
      name: 'reads scalars the way Traefik does: quoted numbers and booleans, numbers for text',
      input: {
        http: {
          routers: { r: { priority: '10', service: 123, entryPoints: [8080] } },
          services: {
            s: { loadBalancer: { passHostHeader: 'TRUE', servers: [{ url: 'http://a', weight: ' 2 ' }] } },
          },
          middlewares: { h: { headers: { customRequestHeaders: { 'X-Count': 5, 'X-Flag': true } } } },
        },
      },
      config: {
        http: {
          routers: { r: { priority: 10, service: '123', entryPoints: ['8080'] } },
          services: {
            s: { loadBalancer: { passHostHeader: true, servers: [{ url: 'http://a', weight: 2 }] } },
          },
          middlewares: { h: { headers: { customRequestHeaders: { 'X-Count': '5', 'X-Flag': 'true' } } } },
        },
      },
      diagnostics: [],
    },
    {
      name: 'one bad router does not remove the others',
      input: {
        http: {
          routers: { a: { rule: 'x', priority: 'abc' }, b: { rule: 'y' }, c: { rule: 'z', priorty: 1 } },
        },
      },
      config: { http: { routers: { b: { rule: 'y' } } } },
      diagnostics: [
        diag({
          code: 'CONFIG_INVALID_VALUE',
          severity: 'error',
          item: { kind: 'router', name: 'a' },
          key: 'http.routers.a.priority',
          value: 'abc',
        }),
        diag({
          code: 'CONFIG_UNKNOWN_KEY',
          severity: 'error',
          item: { kind: 'router', name: 'c' },
          key: 'http.routers.c.priorty',
          value: '1',
          suggestion: 'priority',
        }),
      ],
    },
    {
      name: 'reports every problem of an item, with list indexes in the key',
      input: {
        http: {
          routers: {
            r: {
              entryPoints: ['web', [5]],
              tls: { domains: [{ main: { a: 1 } }] },
              observability: { metrics: 'yes' },
            },
          },
        },
      },
      config: { http: { routers: {} } },
      diagnostics: [
        diag({
          code: 'CONFIG_INVALID_VALUE',
          severity: 'error',
          item: { kind: 'router', name: 'r' },
          key: 'http.routers.r.entryPoints[1]',
        }),
        diag({
          code: 'CONFIG_INVALID_VALUE',
          severity: 'error',
          item: { kind: 'router', name: 'r' },
          key: 'http.routers.r.tls.domains[0].main',
        }),
        diag({
          code: 'CONFIG_INVALID_VALUE',
          severity: 'error',
          item: { kind: 'router', name: 'r' },
          key: 'http.routers.r.observability.metrics',
          value: 'yes',
        }),
      ],
    },
    {
      name: "rejects '@' in names",
      input: {
        http: { routers: { 'web@docker': { rule: 'x' } }, services: { 's@file': { loadBalancer: {} } } },
      },
      config: { http: { routers: {}, services: {} } },
      diagnostics: [
        diag({
          code: 'NAME_HAS_AT',
          severity: 'error',
          item: { kind: 'router', name: 'web@docker' },
          key: 'http.routers.web@docker',
        }),
        diag({
          code: 'NAME_HAS_AT',
          severity: 'error',
          item: { kind: 'service', name: 's@file' },
          key: 'http.services.s@file',
        }),
      ],
    },
    {
      name: 'reports an unsupported middleware type as such and keeps the other middlewares',
      input: {
        http: {
          middlewares: { plug: { plugin: { demo: { average: 10 } } }, add: { addPrefix: { prefix: '/v1' } } },
        },
      },
      config: { http: { middlewares: { add: { addPrefix: { prefix: '/v1' } } } } },
      diagnostics: [
        diag({
          code: 'MIDDLEWARE_TYPE_UNSUPPORTED',
          severity: 'error',
          item: { kind: 'middleware', name: 'plug' },
          key: 'http.middlewares.plug.plugin',
          message: 'not supported by Wharf yet',
        }),
      ],
    },
    {
      name: 'checks that a service and a middleware have exactly one type',
      input: {
        http: {
          services: { none: {}, two: { loadBalancer: {}, failover: { service: 'a', fallback: 'b' } } },
          middlewares: { two: { addPrefix: { prefix: '/a' }, replacePath: { path: '/b' } }, none: {} },
        },
      },
      config: { http: { services: {}, middlewares: {} } },
      diagnostics: [
        diag({
          code: 'SERVICE_TYPE_COUNT',
          severity: 'error',
          item: { kind: 'service', name: 'none' },
          key: 'http.services.none',
        }),
        diag({
          code: 'SERVICE_TYPE_COUNT',
          severity: 'error',
          item: { kind: 'service', name: 'two' },
          key: 'http.services.two',
        }),
        diag({
          code: 'MIDDLEWARE_TYPE_COUNT',
          severity: 'error',
          item: { kind: 'middleware', name: 'two' },
          key: 'http.middlewares.two',
        }),
        diag({
          code: 'MIDDLEWARE_TYPE_COUNT',
          severity: 'error',
          item: { kind: 'middleware', name: 'none' },
          key: 'http.middlewares.none',
        }),
      ],
    },
    {
      name: 'reports empty values, missing required keys and bad durations',
      input: {
        http: {
          routers: { r: { rule: null } },
          services: {
            f: { failover: { service: 'a' } },
            lb: { loadBalancer: { servers: [{ url: 'ftp://x' }], healthCheck: { interval: 'soon' } } },
          },
        },
      },
      config: { http: { routers: {}, services: {} } },
      diagnostics: [
        diag({
          code: 'CONFIG_EMPTY_VALUE',
          severity: 'error',
          item: { kind: 'router', name: 'r' },
          key: 'http.routers.r.rule',
        }),
        diag({
          code: 'CONFIG_INVALID_VALUE',
          severity: 'error',
          item: { kind: 'service', name: 'f' },
          key: 'http.services.f.failover.fallback',
        }),
        diag({
          code: 'CONFIG_INVALID_VALUE',
          severity: 'error',
          item: { kind: 'service', name: 'lb' },
          key: 'http.services.lb.loadBalancer.servers[0].url',
          value: 'ftp://x',
        }),
        diag({
          code: 'CONFIG_INVALID_VALUE',
          severity: 'error',
          item: { kind: 'service', name: 'lb' },
          key: 'http.services.lb.loadBalancer.healthCheck.interval',
          value: 'soon',
        }),
      ],
    },
    {
      name: 'a misspelled required key is reported once, as a typo',
      input: { http: { services: { fo: { failover: { service: 'a', fallbak: 'b' } } } } },
      config: { http: { services: {} } },
      diagnostics: [
        diag({
          code: 'CONFIG_UNKNOWN_KEY',
          severity: 'error',
          item: { kind: 'service', name: 'fo' },
          key: 'http.services.fo.failover.fallbak',
          value: 'b',
          suggestion: 'fallback',
        }),
      ],
    },
    {
      name: 'leaves out only the bad tls item: a certificate, an options entry or a store',
      input: {
        http: { routers: { r: { rule: 'x' } } },
        tls: {
          certificates: [{ certFile: '/c' }, { certFile: '/ok.pem', keyFile: '/ok.key' }],
          options: { modern: { minVersion: 'VersionTLS13' }, typo: { sniStric: true } },
          stores: { default: { defaultCertificate: { certFile: '/d.pem' } } },
        },
      },
      config: {
        http: { routers: { r: { rule: 'x' } } },
        tls: {
          certificates: [{ certFile: '/ok.pem', keyFile: '/ok.key' }],
          options: { modern: { minVersion: 'VersionTLS13' } },
          stores: {},
        },
      },
      diagnostics: [
        diag({
          code: 'CONFIG_INVALID_VALUE',
          severity: 'error',
          item: { kind: 'tls', name: 'certificates[0]' },
          key: 'tls.certificates[0].keyFile',
        }),
        diag({
          code: 'CONFIG_UNKNOWN_KEY',
          severity: 'error',
          item: { kind: 'tls', name: 'options.typo' },
          key: 'tls.options.typo.sniStric',
          value: 'true',
          suggestion: 'sniStrict',
        }),
        diag({
          code: 'CONFIG_INVALID_VALUE',
          severity: 'error',
          item: { kind: 'tls', name: 'stores.default' },
          key: 'tls.stores.default.defaultCertificate.keyFile',
        }),
      ],
    },
    {
      name: 'warns about unsupported sections and reports unknown top-level keys without dropping the rest',
      input: {
        tcp: { routers: {} },
        htp: {},
        http: {
          serversTransports: { t: { disableHTTP2: true }, strict: { spiffe: {} } },
          routers: { r: { rule: 'x' } },
        },
      },
      // Ignoring spiffe would weaken the checks of server certificates: that transport is left out.
      config: { http: { routers: { r: { rule: 'x' } }, serversTransports: { t: { disableHTTP2: true } } } },
      diagnostics: [
        diag({ code: 'CONFIG_UNSUPPORTED', severity: 'warning', key: 'tcp' }),
        diag({ code: 'CONFIG_UNKNOWN_KEY', severity: 'error', key: 'htp', suggestion: 'http' }),
        diag({
          code: 'CONFIG_UNSUPPORTED_UNSAFE',
          severity: 'error',
          key: 'http.serversTransports.strict.spiffe',
          item: { kind: 'serversTransport', name: 'strict' },
        }),
      ],
    },
    {
      // Traefik v3.7's Service.Middlewares: kept, and resolved by compile like a router's middlewares.
      name: 'keeps a service with middlewares and its load-balancing options',
      input: {
        http: {
          services: {
            guarded: { middlewares: ['auth', 'hdr@file'], loadBalancer: { servers: [{ url: 'http://a' }] } },
            lb: {
              loadBalancer: {
                strategy: 'p2c',
                servers: [{ url: 'http://a' }],
                passiveHealthCheck: { failureWindow: '3s', maxFailedAttempts: 2 },
              },
            },
            hrw: { middlewares: ['auth'], highestRandomWeight: { services: [{ name: 'lb', weight: 2 }] } },
            fo: { failover: { service: 'lb', fallback: 'hrw', errors: { status: ['500-599'] } } },
          },
        },
      },
      config: {
        http: {
          services: {
            guarded: { middlewares: ['auth', 'hdr@file'], loadBalancer: { servers: [{ url: 'http://a' }] } },
            lb: {
              loadBalancer: {
                strategy: 'p2c',
                servers: [{ url: 'http://a' }],
                passiveHealthCheck: { failureWindow: 3000, maxFailedAttempts: 2 },
              },
            },
            hrw: { middlewares: ['auth'], highestRandomWeight: { services: [{ name: 'lb', weight: 2 }] } },
            fo: { failover: { service: 'lb', fallback: 'hrw', errors: { status: ['500-599'] } } },
          },
        },
      },
      diagnostics: [],
    },
    {
      name: 'leaves out a servers transport with a bad timeout, keeping the others',
      input: {
        http: {
          serversTransports: {
            bad: { forwardingTimeouts: { dialTimeout: 'soon' } },
            good: { forwardingTimeouts: { responseHeaderTimeout: '2s' } },
          },
        },
      },
      config: {
        http: { serversTransports: { good: { forwardingTimeouts: { responseHeaderTimeout: 2000 } } } },
      },
      diagnostics: [
        diag({
          code: 'CONFIG_INVALID_VALUE',
          severity: 'error',
          key: 'http.serversTransports.bad.forwardingTimeouts.dialTimeout',
          value: 'soon',
          item: { kind: 'serversTransport', name: 'bad' },
        }),
      ],
    },
    {
      name: 'reports sections of the wrong shape',
      input: { http: { routers: ['a'], services: 'x' } },
      config: { http: {} },
      diagnostics: [
        diag({ code: 'CONFIG_INVALID_VALUE', severity: 'error', key: 'http.routers' }),
        diag({ code: 'CONFIG_INVALID_VALUE', severity: 'error', key: 'http.services', value: 'x' }),
      ],
    },
    { name: 'an empty document is an empty configuration', input: undefined, config: {}, diagnostics: [] },
    { name: 'null is an empty configuration', input: null, config: {}, diagnostics: [] },
    {
      name: 'a list is not a configuration',
      input: [1],
      config: {},
      diagnostics: [diag({ code: 'CONFIG_INVALID_VALUE', severity: 'error' })],
    },
  ];
  it.each(cases)('$name', ({ input, config, diagnostics }) => {
    expect(validateDynamic(input, ctx)).toEqual({ config, diagnostics });
  });

  it('names the item and the line in messages when a locator is given', () => {
    const locate = (path: readonly (string | number)[]) =>
      path.length >= 3 ? `line ${path.length}` : undefined;
    const { diagnostics } = validateDynamic(
      { http: { routers: { web: { priority: 'x' } } } },
      { ...ctx, locate },
    );
    expect(diagnostics.map((d) => d.message)).toEqual([
      'http.routers.web.priority: "x" is not a number (line 4); router "web" is left out',
    ]);
  });

  it('attributes decoder issues to items and shows keys with keyName', () => {
    const result = validateDynamic(
      { http: { routers: { web: { rule: 'x' }, other: { rule: 'y' } } } },
      {
        ...ctx,
        keyName: (path) => `K:${path.join('/')}`,
        issues: [
          {
            code: 'CONFIG_BAD_INDEX',
            severity: 'error',
            path: ['http', 'routers', 'web', 'entryPoints', 'x'],
            params: { index: 'x' },
          },
          {
            code: 'CONFIG_EMPTY_VALUE',
            severity: 'error',
            path: ['http', 'routers', 'gone', 'rule'],
            key: 'written/key',
          },
        ],
      },
    );
    expect(result).toEqual({
      config: { http: { routers: { other: { rule: 'y' } } } },
      diagnostics: [
        diag({
          code: 'CONFIG_BAD_INDEX',
          severity: 'error',
          item: { kind: 'router', name: 'web' },
          key: 'K:http/routers/web/entryPoints/x',
        }),
        diag({
          code: 'CONFIG_EMPTY_VALUE',
          severity: 'error',
          item: { kind: 'router', name: 'gone' },
          key: 'written/key',
        }),
      ],
    });
  });
});

describe('helpers', () => {
  it('shows paths dotted with list indexes', () => {
    expect(dottedKey(['http', 'routers', 'web', 'tls', 'domains', 0, 'main'])).toBe(
      'http.routers.web.tls.domains[0].main',
    );
  });
  it('finds the item of a path', () => {
    expect(itemOf(['http', 'services', 's', 'loadBalancer'])).toEqual({ kind: 'service', name: 's' });
    expect(itemOf(['tls', 'options'])).toEqual({ kind: 'tls', name: 'tls' });
    expect(itemOf(['tls', 'options', 'modern', 'minVersion'])).toEqual({
      kind: 'tls',
      name: 'options.modern',
    });
    expect(itemOf(['tls', 'certificates', 2, 'keyFile'])).toEqual({ kind: 'tls', name: 'certificates[2]' });
    expect(itemOf(['http', 'routers'])).toBeUndefined();
    expect(itemOf(['http', 'serversTransports', 'x'])).toEqual({ kind: 'serversTransport', name: 'x' });
  });
});
