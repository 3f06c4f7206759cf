import { type ServiceConfig, serviceKind } from '../../config/dynamic.ts';
import { type ErrorCode, formatError } from '../../config/errors.ts';
import { parseQualifiedName, qualifyName } from '../../config/names.ts';
import { stableStringify } from '../../core/stable-stringify.ts';
import { buildFailover, buildMirroring, buildWeighted } from './composite.ts';
import { buildHighestRandomWeight } from './highest-random-weight.ts';
import { buildLoadBalancer } from './load-balancer.ts';
import { resolveTransport, type Transports, transportSettings } from './servers-transport.ts';
import type { ServiceDeps, ServiceRuntime } from './service.ts';
import { type ServiceChain, type WrappedService, withMiddlewares } from './with-middlewares.ts';

/** A built service, the config it was built from and the children it uses: reused while all are unchanged. */
export interface CachedService {
  readonly key: string;
  readonly runtime: ServiceRuntime;
  readonly children: readonly ServiceRuntime[];
  /** The service behind its own `middlewares` (with-middlewares.ts), when it has some. */
  readonly wrapped?: WrappedService;
}

/**
 * The middlewares of a service (its `middlewares`, qualified), built by provisioning (router/compile/
 * provision.ts) with `lookup` giving other built services of this generation (for a middleware that names
 * one): the built instances (compared by identity to reuse the wrapper) and their wrapping functions in
 * order, or why one could not be built.
 */
export type ServiceChainBuilder = (
  service: string,
  middlewares: readonly string[],
  lookup: (q: string) => ServiceRuntime | undefined,
) => ServiceChain | { readonly error: string };

/** The outcome of building every service of a generation. */
export interface BuiltServices {
  /** Qualified name → runtime, for services that built. */
  readonly runtimes: Map<string, ServiceRuntime>;
  /** Qualified name → why it is disabled (code and message). */
  readonly errors: Map<string, Array<{ code: ErrorCode; message: string }>>;
  /** Every service of this generation (new or reused), by qualified name: the next build's cache. */
  readonly cache: Map<string, CachedService>;
}

/**
 * Builds every service (qualified names) of a plan. A service whose config did not change, and whose
 * children are the same runtimes, is taken from `previous`: load balancers keep their health state and
 * pools, weighted services their rotation, mirrors their counters. The services were checked before
 * (router/compile/resolve-services.ts: kinds, references, cycles and servers transports all resolve), so
 * here a service is disabled only when it, a child or one of its own middlewares (built by `chains`) fails
 * to build (an error naming why); the others build. A reference that does not resolve here would be a bug
 * in that check; it disables the service with a message saying so rather than building half of it.
 */
export function buildServices(
  services: ReadonlyMap<string, ServiceConfig>,
  deps: ServiceDeps,
  previous: ReadonlyMap<string, CachedService>,
  transportsIn: Omit<Transports, 'defaults'> = { named: new Map() },
  chains?: ServiceChainBuilder,
): BuiltServices {
  const transports: Transports = {
    ...transportsIn,
    defaults: deps.defaultTransport ?? transportSettings(undefined),
  };
  const runtimes = new Map<string, ServiceRuntime>();
  const errors = new Map<string, Array<{ code: ErrorCode; message: string }>>();
  const cache = new Map<string, CachedService>();
  const visiting: string[] = [];

  const fail = (name: string, code: ErrorCode, params: Record<string, string>): undefined => {
    const list = errors.get(name) ?? [];
    list.push({ code, message: formatError(code, params) });
    errors.set(name, list);
    return undefined;
  };

  /** Reuses the previous runtime when config and children are unchanged, else builds a new one. */
  const reuse = (name: string, config: unknown, children: ServiceRuntime[], make: () => ServiceRuntime) => {
    const key = stableStringify(config);
    const old = previous.get(name);
    const same =
      old?.key === key &&
      old.children.length === children.length &&
      old.children.every((c, i) => c === children[i]);
    const runtime = same && old ? old.runtime : make();
    cache.set(name, { key, runtime, children });
    return runtime;
  };

  const build = (name: string): ServiceRuntime | undefined => {
    const done = runtimes.get(name);
    if (done) return done;
    if (errors.has(name)) return undefined;
    const config = services.get(name);
    const kind = config && serviceKind(config);
    if (!config || typeof kind !== 'string')
      throw new Error(`service "${name}" was not resolved before building`);
    const provider = parseQualifiedName(name).provider ?? '';

    const ref = (field: string, target: string): ServiceRuntime | undefined => {
      const q = qualifyName(target, provider);
      if (!services.has(q) || visiting.includes(q))
        throw new Error(`service "${name}": ${field} "${q}" was not resolved before building`);
      const child = build(q);
      if (!child) {
        const why = errors.get(q)?.[0]?.message ?? 'disabled';
        return fail(name, 'SERVICE_INVALID', {
          service: name,
          problem: `${field} "${q}" is disabled: ${why}`,
        });
      }
      return child;
    };

    visiting.push(name);
    try {
      let runtime: ServiceRuntime | undefined;
      if (kind === 'loadBalancer') {
        const lb = config.loadBalancer!;
        const transport = resolveTransport(lb.serversTransport, provider, transports);
        if (!transport.ok)
          throw new Error(
            `service "${name}": serversTransport "${transport.target}" was not resolved before building`,
          );
        // The transport's settings are part of the key: a changed transport rebuilds its services.
        runtime = reuse(name, { lb, transport: transport.settings }, [], () =>
          buildLoadBalancer(name, lb, deps, transport.settings),
        );
      } else if (kind === 'weighted') {
        const children = new Map<string, ServiceRuntime>();
        for (const s of config.weighted!.services) {
          const c = ref('weighted.services', s.name);
          if (!c) return undefined;
          children.set(s.name, c);
        }
        runtime = reuse(name, config.weighted, [...children.values()], () =>
          buildWeighted(name, config.weighted!, children),
        );
      } else if (kind === 'highestRandomWeight') {
        const hrw = config.highestRandomWeight!;
        const children = new Map<string, ServiceRuntime>();
        for (const s of hrw.services) {
          const c = ref('highestRandomWeight.services', s.name);
          if (!c) return undefined;
          children.set(s.name, c);
        }
        runtime = reuse(name, hrw, [...children.values()], () =>
          buildHighestRandomWeight(name, hrw, children),
        );
      } else if (kind === 'failover') {
        const main = ref('failover.service', config.failover!.service);
        const fallback = main && ref('failover.fallback', config.failover!.fallback);
        if (!main || !fallback) return undefined;
        runtime = reuse(name, config.failover, [main, fallback], () =>
          buildFailover(name, config.failover!, main, fallback),
        );
      } else {
        const m = config.mirroring!;
        const main = ref('mirroring.service', m.service);
        if (!main) return undefined;
        const mirrors: Array<{ runtime: ServiceRuntime; percent: number }> = [];
        for (const mirror of m.mirrors ?? []) {
          const r = ref('mirroring.mirrors', mirror.name);
          if (!r) return undefined;
          mirrors.push({ runtime: r, percent: mirror.percent ?? 0 });
        }
        const children = [main, ...mirrors.map((x) => x.runtime)];
        runtime = reuse(name, m, children, () => buildMirroring(name, m, main, mirrors, deps));
      }
      // Traefik runs a service's own middlewares around its balancer, so parents, routers and
      // middlewares naming the service all get the wrapped handler.
      if (config.middlewares && config.middlewares.length > 0) {
        if (!chains) throw new Error(`service "${name}": no builder for its middlewares`);
        const names = config.middlewares.map((m) => qualifyName(m, provider));
        const lookup = (q: string) => (visiting.includes(q) ? undefined : build(q));
        const chain = chains(name, names, lookup);
        if ('error' in chain) return fail(name, 'SERVICE_INVALID', { service: name, problem: chain.error });
        const cached = cache.get(name) as CachedService;
        const wrapped = withMiddlewares(runtime, chain, previous.get(name));
        cache.set(name, { ...cached, wrapped });
        runtime = wrapped.runtime;
      }
      runtimes.set(name, runtime);
      return runtime;
    } catch (err) {
      // A service that cannot be built (e.g. a server URL its transport refuses) disables itself only.
      return fail(name, 'SERVICE_INVALID', {
        service: name,
        problem: err instanceof Error ? err.message : String(err),
      });
    } finally {
      visiting.pop();
    }
  };

  for (const name of services.keys()) build(name);
  return { runtimes, errors, cache };
}
