import type { Diagnostic } from '../config/diagnostics.ts';
import { type ErrorCode, formatError } from '../config/errors.ts';
import type { EntryPointConfig, StaticConfig } from '../config/static.ts';
import { compileIpMatcher } from '../core/net/ip-matcher.ts';
import { checkConsulOptions } from '../providers/consul/check-consul-options.ts';
import { checkDockerOptions } from '../providers/docker/check-docker-options.ts';
import { checkFileOptions } from '../providers/file/check-file-options.ts';
import { checkAcmeOptions } from './acme/check-acme-options.ts';
import { parseAddress } from './http/parse-address.ts';
import { METRICS } from './metrics/otlp-metrics.ts';
import { otlpProblems, tracingProblems } from './tracing/exporter.ts';

/**
 * Every check of the static configuration, as diagnostics with catalog codes: each provider and the
 * certificate resolvers check their own options (Traefik's `Init()`), then the router's own: entryPoint
 * addresses, redirect targets, trustedIPs, ping's entryPoint, entryPoints' certResolver. An error stops the
 * start (`wharf check` exits 1); a warning is said once at start and by `wharf check`.
 */
export function checkStatic(
  config: StaticConfig,
  eps: Record<string, EntryPointConfig>,
  env: Record<string, string | undefined> = process.env,
): Diagnostic[] {
  const out: Diagnostic[] = [...checkAcmeOptions(config, eps, env)];
  const { file, consul, docker } = config.providers;
  if (file) out.push(...checkFileOptions(file));
  if (consul) out.push(...checkConsulOptions(consul));
  if (docker) out.push(...checkDockerOptions(docker, env));
  const add = (
    severity: Diagnostic['severity'],
    key: string,
    code: ErrorCode,
    params: Record<string, string>,
    item?: Diagnostic['item'],
  ) =>
    out.push({
      source: 'static',
      subject: key,
      code,
      message: formatError(code, params),
      severity,
      key,
      ...(item ? { item } : {}),
    });
  for (const { option, problem } of config.tracing ? tracingProblems(config.tracing) : [])
    add('error', option, 'OTLP_OPTION_INVALID', { option, problem });
  for (const { option, problem } of config.metrics?.otlp ? otlpProblems(config.metrics.otlp, METRICS) : [])
    add('error', option, 'OTLP_OPTION_INVALID', { option, problem });
  for (const [option, grpc] of [
    ['tracing.otlp.grpc', config.tracing?.otlp?.grpc],
    ['metrics.otlp.grpc', config.metrics?.otlp?.grpc],
  ] as const)
    if (grpc?.insecure && grpc.tls)
      add('warning', option, 'OTLP_OPTION_INVALID', {
        option,
        problem: 'tls and insecure are both set: TLS is used, as in Traefik; remove one',
      });
  const known = Object.keys(eps).join(', ');
  if (config.ping && !eps[config.ping.entryPoint])
    add('error', 'ping.entryPoint', 'PING_ENTRYPOINT_UNKNOWN', { entryPoint: config.ping.entryPoint, known });
  const prom = config.metrics?.prometheus;
  if (prom && !prom.manualRouting && !eps[prom.entryPoint])
    add('error', 'metrics.prometheus.entryPoint', 'METRICS_ENTRYPOINT_UNKNOWN', {
      entryPoint: prom.entryPoint,
      known,
    });
  const resolvers = Object.keys(config.certificatesResolvers ?? {});
  for (const [name, ep] of Object.entries(eps)) {
    const item = { kind: 'entryPoint', name } as const;
    if (!parseAddress(ep.address))
      add(
        'error',
        `entryPoints.${name}.address`,
        'ENTRYPOINT_ADDRESS_INVALID',
        {
          entryPoint: name,
          address: ep.address,
        },
        item,
      );
    const to = ep.http?.redirections?.entryPoint.to;
    if (to !== undefined && !eps[to] && !/^:?\d+$/.test(to))
      add(
        'error',
        `entryPoints.${name}.http.redirections.entryPoint.to`,
        'ENTRYPOINT_REDIRECT_UNKNOWN',
        { entryPoint: name, to, known },
        item,
      );
    for (const section of ['forwardedHeaders', 'proxyProtocol'] as const) {
      try {
        compileIpMatcher(ep[section]?.trustedIPs ?? []);
      } catch (err) {
        add(
          'error',
          `entryPoints.${name}.${section}.trustedIPs`,
          'ENTRYPOINT_TRUSTED_IPS_INVALID',
          { entryPoint: name, section, problem: (err as Error).message },
          item,
        );
      }
    }
    const resolver = ep.http?.tls?.certResolver;
    if (resolver !== undefined && !resolvers.includes(resolver))
      add(
        'warning',
        `entryPoints.${name}.http.tls.certResolver`,
        'ENTRYPOINT_CERT_RESOLVER_UNKNOWN',
        { entryPoint: name, resolver, known: resolvers.join(', ') || 'none' },
        item,
      );
  }
  return out;
}
