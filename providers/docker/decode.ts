import type { Diagnostic, DiagnosticItem } from '../../config/diagnostics.ts';
import {
  type DynamicConfig,
  type RouterConfig,
  SERVICE_KINDS,
  type ServiceConfig,
} from '../../config/dynamic.ts';
import { decodeFlatKeys } from '../../config/flat-keys.ts';
import type { DockerProviderConfig } from '../../config/static.ts';
import { type AddressMode, containerAddress, lowestPort } from './address.ts';
import { buildServer, type ServerContext } from './build-server.ts';
import { type ConstraintParseResult, matchConstraints, parseConstraints } from './constraints.ts';
import type { ContainerInfo } from './container.ts';
import { labelDiagnostic, splitLabels } from './labels.ts';
import { mergeContainerConfigs } from './merge-containers.ts';
import { normalizeName, parseRuleTemplate, type RuleTemplateResult } from './rule-template.ts';

/** The provider options the label decoder reads (a DockerProviderConfig satisfies it). */
export type DockerDecodeOptions = Pick<
  DockerProviderConfig,
  'labelPrefix' | 'exposedByDefault' | 'defaultRule' | 'constraints' | 'network' | 'allowEmptyServices'
> &
  Partial<Pick<DockerProviderConfig, 'useBindPortIP'>> & {
    /**
     * How servers are addressed: `container` (default) is the container's IP on its network; `host` (the
     * registrar's `registrar.address=host`) is `hostIP` and the port the container publishes on the host.
     */
    address?: AddressMode;
  };

/** One container's configuration and problems; `skipped` says why a container was left out. */
export interface ContainerDecode {
  config: DynamicConfig;
  diagnostics: Diagnostic[];
  skipped?: string;
}

/** The container name without Docker's leading slash. */
export function containerName(c: ContainerInfo): string {
  return c.Name.replace(/^\//, '');
}

/** Traefik's service name: `<compose service>_<compose project>` or the container name, normalized. */
export function serviceNameOf(c: ContainerInfo): string {
  const labels = c.Config.Labels;
  const service = labels['com.docker.compose.service'];
  const project = labels['com.docker.compose.project'];
  return normalizeName(
    service !== undefined && project !== undefined ? `${service}_${project}` : containerName(c),
  );
}

// Options rarely change, and containers are decoded in batches: remember the last parse of each.
let lastConstraints: { text: string; result: ConstraintParseResult } | undefined;
let lastTemplate: { text: string; result: RuleTemplateResult } | undefined;
function constraintsOf(text: string): ConstraintParseResult {
  if (lastConstraints?.text !== text) lastConstraints = { text, result: parseConstraints(text) };
  return lastConstraints.result;
}
function templateOf(text: string): RuleTemplateResult {
  if (lastTemplate?.text !== text) lastTemplate = { text, result: parseRuleTemplate(text) };
  return lastTemplate.result;
}

const TRUE = /^(1|t|true)$/i;
const FALSE = /^(0|f|false)$/i;

/**
 * Decodes one container's labels into its routers, services and middlewares, with Traefik's filtering
 * and inference. A bad label leaves out only the item it belongs to; a left-out container says why.
 */
export function decodeContainer(c: ContainerInfo, opts: DockerDecodeOptions): ContainerDecode {
  const name = containerName(c);
  const prefix = opts.labelPrefix;
  const labels = c.Config.Labels;
  const split = splitLabels(labels, prefix, name);
  const skip = (skipped: string, diagnostics: Diagnostic[] = []) => ({ config: {}, diagnostics, skipped });

  // 1. Filtering: enable, constraints, state, health.
  if (split.misspelledEnable) {
    // Fail closed: whoever wrote `enabled=false` meant to keep the container out.
    const { key, value } = split.misspelledEnable;
    const params = { key, value, expected: `${prefix}.enable` };
    const d = labelDiagnostic(name, { code: 'DOCKER_ENABLE_MISSPELLED', key, value, params });
    return skip(`${key} is not ${prefix}.enable`, [d]);
  }
  if (split.enable && !TRUE.test(split.enable.value.trim())) {
    if (FALSE.test(split.enable.value.trim()))
      return skip(`disabled by ${split.enable.key}=${split.enable.value}`);
    const { key, value } = split.enable;
    const problem = `"${value}" is not true or false; the container is left out`;
    const d = labelDiagnostic(name, { code: 'CONFIG_INVALID_VALUE', key, value, params: { problem } });
    return skip(`${key} is not true or false`, [d]);
  }
  if (!split.enable && !opts.exposedByDefault)
    return skip(`not enabled: exposedByDefault is false and ${prefix}.enable is not set`);
  const constraints = constraintsOf(opts.constraints ?? '');
  if (!constraints.ok) {
    const d: Diagnostic = {
      source: 'docker',
      subject: 'providers.docker.constraints',
      code: 'DOCKER_CONSTRAINTS',
      message: `${constraints.message}; no container is routed until it is fixed`,
      severity: 'error',
      key: 'providers.docker.constraints',
      value: opts.constraints ?? '',
    };
    return skip('the constraints expression does not parse', [d]);
  }
  if (!matchConstraints(constraints.expr, labels))
    return skip(`does not match constraints ${opts.constraints}`);
  const status = c.State.Status !== '' ? c.State.Status : c.State.Running ? 'running' : 'stopped';
  const running = status === 'running' && !c.State.Paused;
  const allowNonRunning =
    split.allowNonRunning !== undefined && TRUE.test(split.allowNonRunning.value.trim());
  if (!running && !allowNonRunning) return skip(`not running (${c.State.Paused ? 'paused' : status})`);
  const health = c.State.Health?.Status;
  const unhealthy = health !== undefined && health !== '' && health !== 'healthy';
  if (unhealthy && !opts.allowEmptyServices) return skip(`health is "${health}", not healthy`);

  // 2. Labels through the shared codec; the provider's own keys were taken out by splitLabels.
  const decoded = decodeFlatKeys([...split.entries, ...implicitLoadBalancers(split.entries, prefix)], {
    style: 'label',
    root: prefix,
    source: 'docker',
    subject: name,
  });
  const diagnostics = [...split.diagnostics, ...decoded.diagnostics];
  const failed = (item: DiagnosticItem) =>
    diagnostics.some(
      (d) => d.severity === 'error' && d.item?.kind === item.kind && d.item.name === item.name,
    );
  const routers: Record<string, RouterConfig> = { ...decoded.config.http?.routers };
  const services: Record<string, ServiceConfig> = { ...decoded.config.http?.services };
  const middlewares = { ...decoded.config.http?.middlewares };
  const serviceName = serviceNameOf(c);
  // Traefik builds no HTTP router or service for a container whose labels only configure TCP or UDP.
  const httpWanted = split.http || !split.tcpOrUdp;
  const labelled = new Set(split.services);
  if (httpWanted && labelled.size === 0) {
    services[serviceName] = { loadBalancer: {} };
    labelled.add(serviceName);
  }
  for (const s of split.servers.keys())
    if (services[s] === undefined && !failed({ kind: 'service', name: s }))
      services[s] = { loadBalancer: {} };

  // 3. One server per service for this container: none while unhealthy or stopped (answers 503).
  const ctx: ServerContext = {
    container: c,
    name,
    prefix,
    empty: !running || unhealthy,
    network: {
      ...(split.network && { label: split.network }),
      option: opts.network,
      labelKey: `${prefix}.docker.network`,
    },
    address: undefined,
    addressOf: () => containerAddress(c, name, ctx.network),
    mode: opts.address ?? { mode: 'container' },
    useBindPortIP: opts.useBindPortIP === true,
    lowestPort: lowestPort(c),
    diagnostics,
  };
  for (const s of Object.keys(services).sort()) {
    const service = services[s] as ServiceConfig;
    if (failed({ kind: 'service', name: s })) {
      delete services[s]; // a bad server label: the codec could not know
      continue;
    }
    const fields = split.servers.get(s) ?? new Map();
    const lb = buildServer(ctx, s, service, fields);
    if (lb === undefined) delete services[s];
    else services[s] = lb;
  }

  // 4. Routers: the default one, default rules, the only service.
  if (httpWanted && split.routers.size === 0 && labelled.size <= 1) routers[serviceName] = {};
  if (httpWanted && split.routers.size === 0 && labelled.size > 1) {
    // Traefik drops the default router silently here ("too many services"); say why and what to set.
    const label = `${prefix}.http.routers.<name>.rule and ${prefix}.http.routers.<name>.service`;
    const params = {
      router: `${serviceName} (the default router)`,
      services: [...labelled].sort().join(', '),
      label,
    };
    diagnostics.push(
      labelDiagnostic(name, { code: 'DOCKER_SERVICE_AMBIGUOUS', params, severity: 'warning' }),
    );
  }
  const only = labelled.size === 1 ? ([...labelled][0] as string) : undefined;
  for (const r of Object.keys(routers).sort()) {
    const router = { ...(routers[r] as RouterConfig) };
    const item: DiagnosticItem = { kind: 'router', name: r };
    if (router.rule === undefined) {
      const template = templateOf(opts.defaultRule);
      if (!template.ok) {
        diagnostics.push(
          labelDiagnostic(name, {
            code: 'DOCKER_DEFAULT_RULE',
            params: {
              template: opts.defaultRule,
              problem: template.problem,
              column: String(template.column),
            },
            key: 'providers.docker.defaultRule',
            value: opts.defaultRule,
            item,
          }),
        );
        delete routers[r];
        continue;
      }
      router.rule = template.render({ Name: serviceName, ContainerName: name, Labels: labels });
    }
    if (router.service === undefined) {
      if (only === undefined) {
        const label = `${prefix}.http.routers.${r}.service`;
        const params = { router: r, services: [...labelled].sort().join(', '), label };
        diagnostics.push(
          labelDiagnostic(name, { code: 'DOCKER_SERVICE_AMBIGUOUS', key: label, params, item }),
        );
        delete routers[r];
        continue;
      }
      router.service = only;
    }
    routers[r] = router;
  }

  const http: NonNullable<DynamicConfig['http']> = {};
  if (Object.keys(routers).length > 0) http.routers = routers;
  if (Object.keys(services).length > 0) http.services = services;
  if (Object.keys(middlewares).length > 0) http.middlewares = middlewares;
  const config: DynamicConfig = {};
  if (Object.keys(http).length > 0) config.http = http;
  if (decoded.config.tls) config.tls = decoded.config.tls;
  return { config, diagnostics };
}

/**
 * Decodes every container and merges them into the provider's configuration: replicas of a service
 * share it (servers united), identical items are kept once, differing ones are left out and reported.
 */
export function decodeContainers(
  cs: readonly ContainerInfo[],
  opts: DockerDecodeOptions,
): { config: DynamicConfig; diagnostics: Diagnostic[] } {
  const sorted = [...cs].sort((a, b) => compare(containerName(a), containerName(b)) || compare(a.Id, b.Id));
  const diagnostics: Diagnostic[] = [];
  const seen = new Set<string>();
  const parts: Array<{ container: string; config: DynamicConfig }> = [];
  for (const c of sorted) {
    const decoded = decodeContainer(c, opts);
    for (const d of decoded.diagnostics) {
      // A problem with the provider options comes once, not once per container.
      const id = d.subject.startsWith('providers.') ? `${d.code}\u0000${d.message}` : undefined;
      if (id !== undefined && seen.has(id)) continue;
      if (id !== undefined) seen.add(id);
      diagnostics.push(d);
    }
    if (decoded.skipped === undefined) parts.push({ container: containerName(c), config: decoded.config });
  }
  const merged = mergeContainerConfigs(parts);
  return { config: merged.config, diagnostics: [...diagnostics, ...merged.diagnostics] };
}

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The service kinds as label segments (lower case). */
const SERVICE_KIND_SEGMENTS = new Set(SERVICE_KINDS.map((k) => k.toLowerCase()));

/**
 * A labelled service with keys but no kind (only `middlewares`, its server keys being taken out by
 * splitLabels) is the container's load balancer: labels can declare no other kind. Traefik's label
 * decoding creates the loadBalancer from the server keys, and rejects the container when there are none
 * ("load-balancer is not defined"); here such a service gets an empty loadBalancer (`loadbalancer=true`)
 * and then the container's server, like a service named only by server keys.
 */
function implicitLoadBalancers(
  entries: ReadonlyArray<{ key: string; value: string }>,
  prefix: string,
): Array<{ key: string; value: string }> {
  const head = `${prefix.toLowerCase()}.http.services.`;
  // Names as written: the codec keeps record keys (names) as written.
  const kinds = new Map<string, boolean>();
  for (const { key } of entries) {
    if (!key.toLowerCase().startsWith(head)) continue;
    const [name, segment] = key.slice(head.length).split('.');
    if (name === undefined || segment === undefined) continue;
    kinds.set(name, (kinds.get(name) ?? false) || SERVICE_KIND_SEGMENTS.has(segment.toLowerCase()));
  }
  return [...kinds]
    .filter(([, kind]) => !kind)
    .map(([name]) => ({ key: `${prefix}.http.services.${name}.loadbalancer`, value: 'true' }));
}
