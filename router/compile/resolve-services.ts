import { type ServiceConfig, serviceKind } from '../../config/dynamic.ts';
import { type ErrorCode, formatError } from '../../config/errors.ts';
import { parseQualifiedName, qualifyName } from '../../config/names.ts';
import { resolveTransport, type Transports, transportSettings } from '../services/servers-transport.ts';

/** Why each service is disabled before anything is built, by qualified name (code and message). */
export type ServiceErrors = Map<string, Array<{ code: ErrorCode; message: string }>>;

/**
 * Checks every service's kind and references without building anything: a reference (to a service, or a
 * load balancer's `serversTransport`) resolves in the referring service's provider; a missing reference,
 * a cycle or a disabled child disables the service (and those that depend on it), as in Traefik. Returns
 * the errors; the services without one are the ones provisioning builds (buildServices).
 */
export function resolveServices(
  services: ReadonlyMap<string, ServiceConfig>,
  named: Omit<Transports, 'defaults'> = { named: new Map() },
): ServiceErrors {
  // Only whether a transport resolves matters here; its settings are provisioning's.
  const transports: Transports = { ...named, defaults: transportSettings(undefined) };
  const errors: ServiceErrors = new Map();
  const ok = new Set<string>();
  const visiting: string[] = [];
  const fail = (name: string, code: ErrorCode, params: Record<string, string>): false => {
    const list = errors.get(name) ?? [];
    list.push({ code, message: formatError(code, params) });
    errors.set(name, list);
    return false;
  };

  const check = (name: string): boolean => {
    if (ok.has(name)) return true;
    if (errors.has(name)) return false;
    const config = services.get(name) as ServiceConfig;
    const kind = serviceKind(config);
    if (typeof kind !== 'string')
      return fail(name, 'SERVICE_INVALID', { service: name, problem: kind.problem });
    const provider = parseQualifiedName(name).provider ?? '';
    const ref = (field: string, target: string): boolean => {
      const q = qualifyName(target, provider);
      if (!services.has(q))
        return fail(name, 'SERVICE_REFERENCE_MISSING', { service: name, field, target: q });
      if (visiting.includes(q)) {
        const path = [...visiting.slice(visiting.indexOf(q)), q].join(' -> ');
        return fail(name, 'SERVICE_RECURSION', { service: name, path });
      }
      if (check(q)) return true;
      const why = errors.get(q)?.[0]?.message ?? 'disabled';
      return fail(name, 'SERVICE_INVALID', { service: name, problem: `${field} "${q}" is disabled: ${why}` });
    };
    visiting.push(name);
    try {
      let good = true;
      if (kind === 'loadBalancer') {
        const transport = resolveTransport(config.loadBalancer!.serversTransport, provider, transports);
        const field = 'loadBalancer.serversTransport';
        if (!transport.ok)
          good =
            transport.reason === undefined
              ? fail(name, 'SERVICE_REFERENCE_MISSING', { service: name, field, target: transport.target })
              : fail(name, 'SERVICE_INVALID', {
                  service: name,
                  problem: `${field} "${transport.target}" is disabled: ${transport.reason}`,
                });
      } else if (kind === 'weighted')
        good = config.weighted!.services.every((s) => ref('weighted.services', s.name));
      else if (kind === 'highestRandomWeight')
        good = config.highestRandomWeight!.services.every((s) => ref('highestRandomWeight.services', s.name));
      else if (kind === 'failover')
        good =
          ref('failover.service', config.failover!.service) &&
          ref('failover.fallback', config.failover!.fallback);
      else if (kind === 'mirroring') {
        const m = config.mirroring!;
        good =
          ref('mirroring.service', m.service) &&
          (m.mirrors ?? []).every((x) => ref('mirroring.mirrors', x.name));
      }
      if (good) ok.add(name);
      return good;
    } finally {
      visiting.pop();
    }
  };

  for (const name of services.keys()) check(name);
  return errors;
}
