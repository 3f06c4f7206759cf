import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type ConfigIssue, canonicalize, issueMessage } from './canonicalize.ts';
import { DynamicConfigSchema, MIDDLEWARE_KINDS, UNSUPPORTED_MIDDLEWARE_TYPES } from './dynamic.ts';
import type { AnySchema } from './schema-keys.ts';

describe('canonicalize', () => {
  const cases: { name: string; input: unknown; value: unknown; issues: ConfigIssue[] }[] = [
    {
      name: 'maps keys to their canonical spelling, keeps record keys as written',
      input: {
        HTTP: {
          Routers: { MyRouter: { RULE: 'Host(`a`)', entrypoints: ['web'], TLS: { certresolver: 'le' } } },
          services: { Svc: { loadbalancer: { servers: [{ URL: 'http://a' }], passhostheader: false } } },
          middlewares: { H: { headers: { customrequestheaders: { 'X-Custom': 'v', 'x-lower': '' } } } },
        },
      },
      value: {
        http: {
          routers: { MyRouter: { rule: 'Host(`a`)', entryPoints: ['web'], tls: { certResolver: 'le' } } },
          services: { Svc: { loadBalancer: { servers: [{ url: 'http://a' }], passHostHeader: false } } },
          middlewares: { H: { headers: { customRequestHeaders: { 'X-Custom': 'v', 'x-lower': '' } } } },
        },
      },
      issues: [],
    },
    {
      name: 'reports unknown keys with the full path and a suggestion, and leaves them out',
      input: { http: { routers: { web: { rule: 'x', priorty: 5, entrypoint: ['a'], zzz: { a: 1 } } } } },
      value: { http: { routers: { web: { rule: 'x' } } } },
      issues: [
        {
          code: 'CONFIG_UNKNOWN_KEY',
          severity: 'error',
          path: ['http', 'routers', 'web', 'priorty'],
          suggestion: 'priority',
          value: '5',
        },
        {
          code: 'CONFIG_UNKNOWN_KEY',
          severity: 'error',
          path: ['http', 'routers', 'web', 'entrypoint'],
          suggestion: 'entryPoints',
        },
        { code: 'CONFIG_UNKNOWN_KEY', severity: 'error', path: ['http', 'routers', 'web', 'zzz'] },
      ],
    },
    {
      name: 'reports Traefik middleware types Wharf does not implement as unsupported, not unknown',
      input: {
        http: { middlewares: { plug: { Plugin: { demo: { average: 5 } } }, typo: { stripPrefx: {} } } },
      },
      value: { http: { middlewares: { plug: {}, typo: {} } } },
      issues: [
        {
          code: 'MIDDLEWARE_TYPE_UNSUPPORTED',
          severity: 'error',
          path: ['http', 'middlewares', 'plug', 'Plugin'],
          params: {
            name: 'plug',
            type: 'plugin',
            // Derived, so a new middleware kind does not change this case.
            supported: MIDDLEWARE_KINDS.join(', '),
          },
        },
        {
          code: 'CONFIG_UNKNOWN_KEY',
          severity: 'error',
          path: ['http', 'middlewares', 'typo', 'stripPrefx'],
          suggestion: 'stripPrefix',
        },
      ],
    },
    {
      name: 'warns about known Traefik sections Wharf ignores',
      input: {
        tcp: { routers: {} },
        UDP: {},
        http: {
          serversTransports: {
            t: { insecureSkipVerify: true, forwardingTimeouts: { dialTimeout: '1s', pingTimeout: '1s' } },
          },
          routers: {},
        },
      },
      value: {
        http: {
          serversTransports: {
            t: { insecureSkipVerify: true, forwardingTimeouts: { dialTimeout: '1s', pingTimeout: '1s' } },
          },
          routers: {},
        },
      },
      issues: [
        { code: 'CONFIG_UNSUPPORTED', severity: 'warning', path: ['tcp'], params: { what: 'TCP routing' } },
        { code: 'CONFIG_UNSUPPORTED', severity: 'warning', path: ['UDP'], params: { what: 'UDP routing' } },
      ],
    },
    {
      name: 'accepts a deprecated Traefik key with a warning naming its replacement',
      input: { http: { middlewares: { old: { IPWhiteList: { sourceRange: ['10.0.0.0/8'] } } } } },
      value: { http: { middlewares: { old: { ipWhiteList: { sourceRange: ['10.0.0.0/8'] } } } } },
      issues: [
        {
          code: 'CONFIG_DEPRECATED',
          severity: 'warning',
          path: ['http', 'middlewares', 'old', 'ipWhiteList'],
          params: { replacement: 'use ipAllowList instead' },
        },
      ],
    },
    {
      name: 'warns about deprecated keys Traefik still accepts, naming what to use instead, and keeps them',
      input: {
        http: { middlewares: { h: { headers: { SSLRedirect: true, featurePolicy: 'x', frameDeny: true } } } },
      },
      value: {
        http: { middlewares: { h: { headers: { sslRedirect: true, featurePolicy: 'x', frameDeny: true } } } },
      },
      issues: [
        {
          code: 'CONFIG_DEPRECATED',
          severity: 'warning',
          path: ['http', 'middlewares', 'h', 'headers', 'sslRedirect'],
          params: {
            replacement:
              "Traefik v3 ignores it, and so does Wharf: no redirection happens. Redirect with a redirectScheme middleware or the entryPoint's http.redirections instead",
          },
        },
        {
          code: 'CONFIG_DEPRECATED',
          severity: 'warning',
          path: ['http', 'middlewares', 'h', 'headers', 'featurePolicy'],
          params: {
            replacement:
              'Traefik v3 ignores it, and so does Wharf: no Feature-Policy header is sent. Use permissionsPolicy instead',
          },
        },
      ],
    },
    {
      name: 'turns empty sections into {} and empty header values into "", reports other empty values',
      input: {
        http: {
          routers: { web: { tls: null, priority: null } },
          middlewares: { h: { headers: { customResponseHeaders: { Server: null } } } },
        },
      },
      value: {
        http: {
          routers: { web: { tls: {} } },
          middlewares: { h: { headers: { customResponseHeaders: { Server: '' } } } },
        },
      },
      issues: [
        { code: 'CONFIG_EMPTY_VALUE', severity: 'error', path: ['http', 'routers', 'web', 'priority'] },
      ],
    },
    {
      name: 'reports a key written twice in different cases',
      input: { http: { routers: { web: { rule: 'a', Rule: 'b' } } } },
      value: { http: { routers: { web: { rule: 'a' } } } },
      issues: [
        {
          code: 'CONFIG_INVALID_VALUE',
          severity: 'error',
          path: ['http', 'routers', 'web', 'Rule'],
          params: { problem: 'set twice, as "rule" and as "Rule" (keys are case-insensitive); keep one' },
        },
      ],
    },
    {
      name: 'leaves values of the wrong shape for the schema to report',
      input: { http: { routers: ['a'], services: { s: 'x' } } },
      value: { http: { routers: ['a'], services: { s: 'x' } } },
      issues: [],
    },
    { name: 'null document is an empty configuration', input: null, value: {}, issues: [] },
  ];
  it.each(cases)('$name', ({ input, value, issues }) => {
    expect(canonicalize(input, DynamicConfigSchema)).toEqual({ value, issues });
  });

  it('starts at a sub-schema and path, with extra unsupported keys', () => {
    const schema = z.strictObject({ a: z.strictObject({ keep: z.string() }) });
    const inner = schema.shape.a;
    const unsupported = new Map<AnySchema, Record<string, string>>([[inner, { old: 'the old option' }]]);
    expect(canonicalize({ KEEP: 'x', OLD: 1 }, inner, ['root', 'a'], { unsupported })).toEqual({
      value: { keep: 'x' },
      issues: [
        {
          code: 'CONFIG_UNSUPPORTED',
          severity: 'warning',
          path: ['root', 'a', 'OLD'],
          params: { what: 'the old option' },
        },
      ],
    });
  });
});

describe('issueMessage', () => {
  it('puts the key first and adds the suggestion', () => {
    const unknown: ConfigIssue = {
      code: 'CONFIG_UNKNOWN_KEY',
      severity: 'error',
      path: ['a'],
      suggestion: 'priority',
    };
    expect(issueMessage(unknown, 'http.routers.web.priorty')).toBe(
      'unknown key "http.routers.web.priorty"; did you mean "priority"?',
    );
    const at: ConfigIssue = {
      code: 'NAME_HAS_AT',
      severity: 'error',
      path: ['a'],
      params: { kind: 'router', name: 'a@b' },
    };
    const deprecated: ConfigIssue = {
      code: 'CONFIG_DEPRECATED',
      severity: 'warning',
      path: ['a'],
      params: { replacement: 'use permissionsPolicy instead' },
    };
    expect(issueMessage(deprecated, 'wharf.http.middlewares.h.headers.featurepolicy')).toBe(
      'wharf.http.middlewares.h.headers.featurepolicy is deprecated: use permissionsPolicy instead',
    );
    expect(issueMessage(at, 'http.routers.a@b')).toMatch(
      /^http\.routers\.a@b: router name "a@b" contains "@"/,
    );
  });
});

describe('middleware kinds', () => {
  it('a kind is either supported or listed as not supported yet, never both', () => {
    const supported = new Set<string>(MIDDLEWARE_KINDS);
    expect(UNSUPPORTED_MIDDLEWARE_TYPES.filter((t) => supported.has(t))).toEqual([]);
  });
});
