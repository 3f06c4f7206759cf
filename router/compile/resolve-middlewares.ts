import { type MiddlewareConfig, middlewareKind } from '../../config/dynamic.ts';
import { type ErrorCode, formatError } from '../../config/errors.ts';
import { parseQualifiedName, qualifyName } from '../../config/names.ts';
import type { MiddlewareSpec } from '../../middleware/instances.ts';
import type { MiddlewareRegistry } from '../../middleware/registry.ts';

/**
 * The middlewares that can be built (a spec each: kind, options, qualified members, and whether it is per
 * router: its definition says so, or a member is), and why the others cannot (messages, first first).
 */
export interface ResolvedMiddlewares {
  readonly plans: Map<string, MiddlewareSpec>;
  readonly errors: Map<string, string[]>;
}

/** The services a middleware may name: which exist, and why a disabled one is (resolve-services.ts). */
export interface ServiceLookup {
  readonly exists: (q: string) => boolean;
  /** The first reason the service is disabled, or undefined when it can be built. */
  readonly problem: (q: string) => string | undefined;
}

/**
 * Checks every middleware's kind and the references its definition declares, without building anything:
 * references (middlewares, and services for `serviceReferences`) resolve in the middleware's provider; a
 * missing one, a cycle, a disabled member or a disabled service disables the middleware (and the chains
 * that hold it). `report` gets each problem as it is found.
 */
export function resolveMiddlewares(
  configs: ReadonlyMap<string, MiddlewareConfig>,
  registry: MiddlewareRegistry,
  report: (q: string, code: ErrorCode, message: string) => void,
  services: ServiceLookup = { exists: () => false, problem: () => undefined },
): ResolvedMiddlewares {
  const resolver = middlewareResolver(configs, registry, report, services);
  for (const q of configs.keys()) resolver.problem(q);
  return resolver;
}

/** Checks middlewares on demand (resolveMiddlewares runs it over all of them). */
export interface MiddlewareResolver extends ResolvedMiddlewares {
  /** The first reason middleware `q` is disabled (checking it now if needed), or undefined when it can be built. */
  problem(q: string): string | undefined;
}

/**
 * resolveMiddlewares, one middleware at a time, so that services (whose `middlewares` name middlewares)
 * and middlewares (whose options may name services) can ask each other (resolve-routing.ts). A middleware
 * asked about while it is being checked (a cycle through a service) is reported as such.
 */
export function middlewareResolver(
  configs: ReadonlyMap<string, MiddlewareConfig>,
  registry: MiddlewareRegistry,
  report: (q: string, code: ErrorCode, message: string) => void,
  services: ServiceLookup = { exists: () => false, problem: () => undefined },
): MiddlewareResolver {
  const plans = new Map<string, MiddlewareSpec>();
  const errors = new Map<string, string[]>();
  const visiting: string[] = [];
  const fail = (q: string, code: ErrorCode, params: Record<string, string>): undefined => {
    const message = formatError(code, params);
    errors.set(q, [...(errors.get(q) ?? []), message]);
    report(q, code, message);
    return undefined;
  };

  const check = (q: string): MiddlewareSpec | undefined => {
    const done = plans.get(q);
    if (done || errors.has(q)) return done;
    const config = configs.get(q) as MiddlewareConfig;
    const kind = middlewareKind(config);
    if (typeof kind !== 'string')
      return fail(q, 'MIDDLEWARE_INVALID', { middleware: q, problem: kind.problem });
    const definition = registry[kind] as {
      perRouter?: boolean;
      references?: (o: unknown) => readonly string[];
      serviceReferences?: (o: unknown) => readonly string[];
    };
    const options = config[kind];
    const provider = parseQualifiedName(q).provider ?? '';
    const members: string[] = [];
    const serviceNames: string[] = [];
    let perRouter = definition.perRouter === true;
    // On the stack while its services are checked too: a service may name it back (a cycle).
    visiting.push(q);
    try {
      for (const reference of definition.serviceReferences?.(options) ?? []) {
        const target = qualifyName(reference, provider);
        if (!services.exists(target))
          return fail(q, 'MIDDLEWARE_INVALID', {
            middleware: q,
            problem: `${kind}.service names "${target}", which does not exist; define that service or name another`,
          });
        const why = services.problem(target);
        if (why !== undefined)
          return fail(q, 'MIDDLEWARE_INVALID', {
            middleware: q,
            problem: `${kind}.service "${target}" is disabled: ${why}`,
          });
        serviceNames.push(target);
      }
      for (const reference of definition.references?.(options) ?? []) {
        const target = qualifyName(reference, provider);
        if (!configs.has(target))
          return fail(q, 'MIDDLEWARE_INVALID', {
            middleware: q,
            problem: `chain member "${target}" does not exist`,
          });
        if (visiting.includes(target)) {
          const path = [...visiting.slice(visiting.indexOf(target)), target].join(' -> ');
          return fail(q, 'MIDDLEWARE_RECURSION', { middleware: q, path });
        }
        const member = check(target);
        if (!member) {
          const why = errors.get(target)?.[0] ?? '';
          return fail(q, 'MIDDLEWARE_INVALID', {
            middleware: q,
            problem: `chain member "${target}" is disabled: ${why}`,
          });
        }
        members.push(target);
        perRouter ||= member.perRouter;
      }
    } finally {
      visiting.pop();
    }
    const plan: MiddlewareSpec = { kind, options, members, perRouter };
    if (serviceNames.length > 0) Object.assign(plan, { services: serviceNames });
    plans.set(q, plan);
    return plan;
  };

  return {
    plans,
    errors,
    problem(q) {
      if (visiting.includes(q)) return `a cycle back to middleware "${q}" through a service`;
      return check(q) ? undefined : (errors.get(q)?.[0] ?? 'disabled');
    },
  };
}
