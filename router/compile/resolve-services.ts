import { type ServiceConfig, serviceKind } from '../../config/dynamic.ts';
import { type ErrorCode, formatError } from '../../config/errors.ts';
import { parseQualifiedName, qualifyName } from '../../config/names.ts';
import { resolveTransport, type Transports, transportSettings } from '../services/servers-transport.ts';

/** Why each service is disabled before anything is built, by qualified name (code and message). */
export type ServiceErrors = Map<string, Array<{ code: ErrorCode; message: string }>>;

/** The middlewares a service's `middlewares` may name: which exist, and why a disabled one is. */
export interface MiddlewareLookup {
  readonly exists: (q: string) => boolean;
  /** The first reason the middleware is disabled, or undefined when it can be built. */
  readonly problem: (q: string) => string | undefined;
}

/** Checks services on demand (resolveServices runs it over all of them); see resolveServices. */
export interface ServiceResolver {
  readonly errors: ServiceErrors;
  /** The first reason service `q` is disabled (checking it now if needed), or undefined when it can be built. */
  problem(q: string): string | undefined;
}

/**
 * Checks every service's kind and references without building anything: a reference (to a service, a
 * load balancer's `serversTransport`, or a middleware of the service's own `middlewares`) resolves in the
 * referring service's provider; a missing reference, a cycle or a disabled child or middleware disables the
 * service (and those that depend on it), as in Traefik. Returns the errors; the services without one are
 * the ones provisioning builds (buildServices).
 */
export function resolveServices(
  services: ReadonlyMap<string, ServiceConfig>,
  named: Omit<Transports, 'defaults'> = { named: new Map() },
  middlewares?: MiddlewareLookup,
): ServiceErrors {
  const resolver = serviceResolver(services, named, middlewares);
  for (const name of services.keys()) resolver.problem(name);
  return resolver.errors;
}

/**
 * resolveServices, one service at a time: middlewares may name services (the errors middleware's page)
 * and services name middlewares, so router/compile/resolve-routing.ts lets each resolver ask the other.
 * A service asked about while it is being checked (a cycle through a middleware) is reported as such.
 */
export function serviceResolver(
  services: ReadonlyMap<string, ServiceConfig>,
  named: Omit<Transports, 'defaults'> = { named: new Map() },
  middlewares: MiddlewareLookup = { exists: () => false, problem: () => undefined },
): ServiceResolver {
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
          (m.mirrors ?? []).every((x) => ref('mirroring.mirrors', x.name) && mirrorPlain(name, x.name));
      }
      // The service's own middlewares, as Traefik builds them after the balancer (pkg/server/service).
      for (const m of good ? (config.middlewares ?? []) : []) {
        const q = qualifyName(m, provider);
        if (!middlewares.exists(q)) {
          good = fail(name, 'SERVICE_REFERENCE_MISSING', { service: name, field: 'middlewares', target: q });
          break;
        }
        const why = middlewares.problem(q);
        if (why !== undefined) {
          good = fail(name, 'SERVICE_INVALID', {
            service: name,
            problem: `middleware "${q}" is disabled: ${why}`,
          });
          break;
        }
      }
      if (good) ok.add(name);
      return good;
    } finally {
      visiting.pop();
    }
  };

  /**
   * Mirror copies go straight to a server the mirror picks (router/services/composite.ts), not through
   * the mirror's handler, so middlewares anywhere under a mirror would not run on them: refused (not
   * supported) rather than sending copies Traefik's chain would have stopped.
   */
  const mirrorPlain = (name: string, mirror: string): boolean => {
    const provider = parseQualifiedName(name).provider ?? '';
    const seen = new Set<string>();
    const carrier = (q: string): string | undefined => {
      if (seen.has(q)) return undefined;
      seen.add(q);
      const c = services.get(q);
      if (!c) return undefined;
      if (c.middlewares && c.middlewares.length > 0) return q;
      const p = parseQualifiedName(q).provider ?? '';
      const children = [
        ...(c.weighted?.services ?? []).map((s) => s.name),
        ...(c.highestRandomWeight?.services ?? []).map((s) => s.name),
        ...(c.failover ? [c.failover.service, c.failover.fallback] : []),
        ...(c.mirroring ? [c.mirroring.service] : []),
      ];
      for (const child of children) {
        const found = carrier(qualifyName(child, p));
        if (found) return found;
      }
      return undefined;
    };
    const target = qualifyName(mirror, provider);
    const found = carrier(target);
    if (found === undefined) return true;
    const on = found === target ? '' : ` (through "${found}")`;
    return fail(name, 'SERVICE_INVALID', {
      service: name,
      problem: `mirroring.mirrors "${target}" has service middlewares${on}, which Wharf does not run on mirror copies (not supported); mirror to a service without middlewares`,
    });
  };

  return {
    errors,
    problem(q) {
      if (visiting.includes(q)) return `a cycle back to service "${q}" through its middlewares`;
      return check(q) ? undefined : (errors.get(q)?.[0]?.message ?? 'disabled');
    },
  };
}
