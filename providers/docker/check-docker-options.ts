import type { Diagnostic } from '../../config/diagnostics.ts';
import type { DockerProviderConfig } from '../../config/static.ts';
import { staticDiagnostic } from '../static-diagnostic.ts';
import { parseConstraints } from './constraints.ts';
import { dockerOptions } from './endpoint.ts';
import { parseRuleTemplate } from './rule-template.ts';

/**
 * The Docker provider's checks of its own options (Traefik's provider `Init()`): the endpoint (or
 * DOCKER_HOST) and its TLS files, `constraints` and `defaultRule`. Each problem stops the start.
 */
export function checkDockerOptions(
  config: DockerProviderConfig,
  env: Record<string, string | undefined>,
): Diagnostic[] {
  const out: Diagnostic[] = [];
  const problem = (key: string, code: Diagnostic['code'], message: string, value: string) =>
    out.push({
      source: 'static',
      subject: key,
      code,
      message,
      severity: 'error',
      item: { kind: 'provider', name: 'docker' },
      key,
      value,
    });
  try {
    dockerOptions(config, env);
  } catch (err) {
    out.push(staticDiagnostic('docker', 'providers.docker.endpoint', err));
  }
  const constraints = config.constraints ? parseConstraints(config.constraints) : undefined;
  if (constraints && !constraints.ok)
    problem(
      'providers.docker.constraints',
      'DOCKER_CONSTRAINTS',
      `providers.docker.constraints: ${constraints.message}`,
      config.constraints as string,
    );
  const rule = parseRuleTemplate(config.defaultRule);
  if (!rule.ok)
    problem(
      'providers.docker.defaultRule',
      'DOCKER_DEFAULT_RULE',
      `providers.docker.defaultRule: ${rule.message}`,
      config.defaultRule,
    );
  return out;
}
