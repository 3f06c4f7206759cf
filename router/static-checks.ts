import type { EntryPointConfig, StaticConfig } from '../config/static.ts';
import { ConsulKvClient } from '../providers/consul/kv-client.ts';
import { parseConstraints } from '../providers/docker/constraints.ts';
import { dockerOptions } from '../providers/docker/endpoint.ts';
import { parseRuleTemplate } from '../providers/docker/rule-template.ts';
import { acmeStaticProblems } from './acme/static-problems.ts';
import { parseAddress } from './http/entrypoint.ts';
import { compileIpMatcher } from './proxy/ip-matcher.ts';

/**
 * Problems in the static configuration that make starting impossible: bad addresses, unknown redirect
 * targets, bad trustedIPs, ping on a missing entryPoint, a file provider given both a file and a directory.
 */
export function checkStatic(config: StaticConfig, eps: Record<string, EntryPointConfig>): string[] {
  const problems: string[] = [...acmeStaticProblems(config, eps)];
  if (config.ping && !eps[config.ping.entryPoint]) {
    problems.push(
      `ping.entryPoint: "${config.ping.entryPoint}" is not an entryPoint (${Object.keys(eps).join(', ')})`,
    );
  }
  const file = config.providers.file;
  if (file?.filename && file.directory) {
    problems.push('providers.file: set either filename or directory, not both');
  }
  if (file && !file.filename && !file.directory) {
    problems.push('providers.file: set filename (one file) or directory (every file in it)');
  }
  const consul = config.providers.consul;
  if (consul) {
    try {
      // Reads the TLS files, so a wrong path fails at start with the option named.
      void new ConsulKvClient(consul).close();
    } catch (err) {
      problems.push((err as Error).message);
    }
  }
  const docker = config.providers.docker;
  if (docker) {
    try {
      dockerOptions(docker, process.env);
    } catch (err) {
      problems.push((err as Error).message);
    }
    const constraints = docker.constraints ? parseConstraints(docker.constraints) : undefined;
    if (constraints && !constraints.ok) problems.push(`providers.docker.constraints: ${constraints.message}`);
    const rule = parseRuleTemplate(docker.defaultRule);
    if (!rule.ok) problems.push(`providers.docker.defaultRule: ${rule.message}`);
  }
  for (const [name, ep] of Object.entries(eps)) {
    if (!parseAddress(ep.address))
      problems.push(
        `entryPoints.${name}.address: "${ep.address}" is not an address; write ":80", "127.0.0.1:8000" or "[::1]:8080"`,
      );
    const to = ep.http?.redirections?.entryPoint.to;
    if (to !== undefined && !eps[to] && !/^:?\d+$/.test(to)) {
      problems.push(
        `entryPoints.${name}.http.redirections.entryPoint.to: "${to}" is neither an entryPoint (${Object.keys(eps).join(', ')}) nor a port like ":443"`,
      );
    }
    try {
      compileIpMatcher(ep.forwardedHeaders?.trustedIPs ?? []);
    } catch (err) {
      problems.push(`entryPoints.${name}.forwardedHeaders.trustedIPs: ${(err as Error).message}`);
    }
  }
  return problems;
}

/** Static options that do nothing as written: said once at start and by `wharf check`. */
export function staticWarnings(config: StaticConfig, eps: Record<string, EntryPointConfig>): string[] {
  const out: string[] = [];
  const resolvers = Object.keys(config.certificatesResolvers ?? {});
  for (const [name, ep] of Object.entries(eps)) {
    const resolver = ep.http?.tls?.certResolver;
    if (resolver !== undefined && !resolvers.includes(resolver)) {
      out.push(
        `entryPoints.${name}.http.tls.certResolver: "${resolver}" is not in certificatesResolvers (${resolvers.join(', ') || 'none'}); ${name} serves the configured certificates or the default one`,
      );
    }
  }
  return out;
}
