import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { WharfError } from '../config/errors.ts';
import { type StaticConfigInput, StaticConfigSchema } from '../config/static.ts';
import { silentLogger } from '../core/log.ts';
import { resolveEntryPoints } from './entry-points.ts';
import { checkStatic } from './static-checks.ts';
import { Wharf } from './wharf.ts';

const web = { web: { address: ':80' } };
const check = (input: StaticConfigInput, env: Record<string, string | undefined> = {}) => {
  const config = StaticConfigSchema.parse(input);
  return checkStatic(config, resolveEntryPoints(config), env).map((d) => [d.code, d.severity, d.key]);
};

describe('checkStatic: each provider checks its own options, the router its own; codes from the catalog', () => {
  it.each<{ name: string; input: StaticConfigInput; expected: unknown[] }>([
    {
      name: 'a valid configuration',
      input: {
        entryPoints: {
          ...web,
          websecure: { address: '127.0.0.1:443', http: { tls: { certResolver: 'le' } } },
        },
        providers: { file: { filename: 'x.yml' }, docker: { constraints: 'Label(`a`, `b`)' } },
        certificatesResolvers: { le: { acme: { httpChallenge: { entryPoint: 'web' } } } },
        ping: { entryPoint: 'web' },
      },
      expected: [],
    },
    {
      name: 'entryPoints: address, redirect target, trustedIPs, an unknown certResolver (a warning)',
      input: {
        entryPoints: {
          web: {
            address: 'nonsense',
            http: { redirections: { entryPoint: { to: 'nowhere' } }, tls: { certResolver: 'le' } },
            forwardedHeaders: { trustedIPs: ['10.0.0.0/99'] },
            proxyProtocol: { trustedIPs: ['not-an-ip'] },
          },
        },
      },
      expected: [
        ['ENTRYPOINT_ADDRESS_INVALID', 'error', 'entryPoints.web.address'],
        ['ENTRYPOINT_REDIRECT_UNKNOWN', 'error', 'entryPoints.web.http.redirections.entryPoint.to'],
        ['ENTRYPOINT_TRUSTED_IPS_INVALID', 'error', 'entryPoints.web.forwardedHeaders.trustedIPs'],
        ['ENTRYPOINT_TRUSTED_IPS_INVALID', 'error', 'entryPoints.web.proxyProtocol.trustedIPs'],
        ['ENTRYPOINT_CERT_RESOLVER_UNKNOWN', 'warning', 'entryPoints.web.http.tls.certResolver'],
      ],
    },
    {
      name: 'tracing: an OTLP endpoint that is not a URL',
      input: { entryPoints: web, tracing: { otlp: { http: { endpoint: 'collector:4318' } } } },
      expected: [['OTLP_OPTION_INVALID', 'error', 'tracing.otlp.http.endpoint']],
    },
    {
      name: 'tracing.otlp.grpc: insecure and tls both set (TLS is used, as in Traefik)',
      input: { entryPoints: web, tracing: { otlp: { grpc: { insecure: true, tls: {} } } } },
      expected: [['OTLP_OPTION_INVALID', 'warning', 'tracing.otlp.grpc']],
    },
    {
      name: 'metrics.otlp: a gRPC endpoint that is not host:port',
      input: { entryPoints: web, metrics: { otlp: { grpc: { endpoint: 'http://collector:4317' } } } },
      expected: [['OTLP_OPTION_INVALID', 'error', 'metrics.otlp.grpc.endpoint']],
    },
    {
      name: 'ping on an entryPoint that does not exist',
      input: { entryPoints: web, ping: { entryPoint: 'health' } },
      expected: [['PING_ENTRYPOINT_UNKNOWN', 'error', 'ping.entryPoint']],
    },
    {
      name: 'metrics on an entryPoint that does not exist (none with manualRouting; the default one is made)',
      input: { entryPoints: web, metrics: { prometheus: { entryPoint: 'metrics' } } },
      expected: [['METRICS_ENTRYPOINT_UNKNOWN', 'error', 'metrics.prometheus.entryPoint']],
    },
    {
      name: 'metrics with manualRouting, or on the internal entryPoint',
      input: { entryPoints: web, metrics: { prometheus: { entryPoint: 'metrics', manualRouting: true } } },
      expected: [],
    },
    {
      name: 'metrics on the default internal entryPoint',
      input: { entryPoints: web, metrics: { prometheus: {} } },
      expected: [],
    },
    {
      name: 'file provider with both a file and a directory',
      input: { entryPoints: web, providers: { file: { filename: 'a.yml', directory: 'conf.d' } } },
      expected: [['FILE_PROVIDER_SOURCE', 'warning', 'providers.file']],
    },
    {
      name: 'file provider with neither',
      input: { entryPoints: web, providers: { file: {} } },
      expected: [['FILE_PROVIDER_SOURCE', 'error', 'providers.file']],
    },
    {
      name: 'consul provider with an unreadable TLS file',
      input: { entryPoints: web, providers: { consul: { tls: { ca: '/nonexistent/ca.pem' } } } },
      expected: [['PROVIDER_TLS_FILE_UNREADABLE', 'error', 'providers.consul.tls']],
    },
    {
      name: 'docker provider: endpoint, constraints, defaultRule',
      input: {
        entryPoints: web,
        providers: {
          docker: { endpoint: 'ftp://docker', constraints: 'Label(`a`', defaultRule: 'Host(`{{ .Nope`)' },
        },
      },
      expected: [
        ['DOCKER_ENDPOINT_INVALID', 'error', 'providers.docker.endpoint'],
        ['DOCKER_CONSTRAINTS', 'error', 'providers.docker.constraints'],
        ['DOCKER_DEFAULT_RULE', 'error', 'providers.docker.defaultRule'],
      ],
    },
    {
      name: 'certificate resolvers: no challenge; an unknown challenge entryPoint; consul storage without Consul',
      input: {
        entryPoints: web,
        certificatesResolvers: {
          a: { acme: {} },
          b: { acme: { httpChallenge: { entryPoint: 'nope' }, storage: 'consul' } },
        },
      },
      expected: [
        ['ACME_CONFIG_INVALID', 'error', 'certificatesResolvers.a.acme'],
        ['ACME_CONFIG_INVALID', 'error', 'certificatesResolvers.b.acme.httpChallenge.entryPoint'],
        ['ACME_CONFIG_INVALID', 'error', 'certificatesResolvers.b.acme.storage'],
      ],
    },
  ])('$name', ({ input, expected }) => {
    expect(check(input)).toEqual(expected);
  });

  it('DOCKER_HOST counts when the endpoint is left at its default, and the message says so', () => {
    const config = StaticConfigSchema.parse({ entryPoints: web, providers: { docker: {} } });
    const [d] = checkStatic(config, resolveEntryPoints(config), { DOCKER_HOST: 'bogus' });
    expect(d?.code).toBe('DOCKER_ENDPOINT_INVALID');
    expect(d?.message).toBe(
      'providers.docker.endpoint (from DOCKER_HOST): "bogus" is not unix:///path/docker.sock or tcp://host:port',
    );
  });
});

describe('Wharf.start: start-up errors are catalog errors', () => {
  const start = (input: StaticConfigInput) =>
    Wharf.start({ staticConfig: StaticConfigSchema.parse(input), logger: silentLogger(), providers: [] });

  it('STATIC_CONFIG_INVALID lists every error of the checks with its code', async () => {
    const err = await start({
      entryPoints: { web: { address: 'nonsense' } },
      ping: { entryPoint: 'x' },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WharfError);
    expect((err as WharfError).code).toBe('STATIC_CONFIG_INVALID');
    expect((err as WharfError).message).toMatch(
      /^invalid static configuration:\n {2}\[PING_ENTRYPOINT_UNKNOWN\] .*\n {2}\[ENTRYPOINT_ADDRESS_INVALID\] /,
    );
  });

  it('ENTRYPOINT_LISTEN_FAILED names the entryPoint, the address and why', async () => {
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const { port } = taken.address() as { port: number };
    try {
      const err = await start({ entryPoints: { web: { address: `127.0.0.1:${port}` } } }).catch(
        (e: unknown) => e,
      );
      expect((err as WharfError).code).toBe('ENTRYPOINT_LISTEN_FAILED');
      expect((err as WharfError).message).toBe(
        `entryPoint web: cannot listen on 127.0.0.1:${port}: the address is in use by another process`,
      );
    } finally {
      await new Promise((r) => taken.close(r));
    }
  });
});
