import { type ServiceConfig, serviceKind } from '../../config/dynamic.ts';
import { type ErrorCode, formatError } from '../../config/errors.ts';
import { qualifyName } from '../../config/names.ts';
import { stableStringify } from '../stable-stringify.ts';
import { buildFailover, buildMirroring, buildWeighted } from './composite.ts';
import { buildLoadBalancer } from './load-balancer.ts';
import type { ServiceDeps, ServiceRuntime } from './service.ts';

/** A load balancer runtime and the config it was built from, kept across generations when unchanged. */
export interface CachedLoadBalancer {
  readonly key: string;
  readonly runtime: ServiceRuntime;
}

/** The outcome of building every service of a generation. */
export interface BuiltServices {
  /** Qualified name → runtime, for services that built. */
  readonly runtimes: Map<string, ServiceRuntime>;
  /** Qualified name → why it is disabled (code and message). */
  readonly errors: Map<string, Array<{ code: ErrorCode; message: string }>>;
  /** Load balancers of this generation (new or reused), by qualified name: the next build's cache. */
  readonly loadBalancers: Map<string, CachedLoadBalancer>;
}

/**
 * Builds every service (qualified names). Load balancers whose config did not change are taken from
 * `previous`, so their health state and pools survive a reload; composite services (weighted, failover,
 * mirroring) are cheap and rebuilt. References resolve in the referring service's provider; a missing
 * reference or a cycle disables the service (and services that depend on it), with an error.
 */
export function buildServices(
  services: ReadonlyMap<string, ServiceConfig>,
  deps: ServiceDeps,
  previous: ReadonlyMap<string, CachedLoadBalancer>,
): BuiltServices {
  const runtimes = new Map<string, ServiceRuntime>();
  const errors = new Map<string, Array<{ code: ErrorCode; message: string }>>();
  const loadBalancers = new Map<string, CachedLoadBalancer>();
  const visiting: string[] = [];

  const fail = (name: string, code: ErrorCode, params: Record<string, string>): undefined => {
    const list = errors.get(name) ?? [];
    list.push({ code, message: formatError(code, params) });
    errors.set(name, list);
    return undefined;
  };

  const build = (name: string): ServiceRuntime | undefined => {
    const done = runtimes.get(name);
    if (done) return done;
    if (errors.has(name)) return undefined;
    const config = services.get(name) as ServiceConfig;
    const kind = serviceKind(config);
    if (typeof kind !== 'string')
      return fail(name, 'SERVICE_INVALID', { service: name, problem: kind.problem });
    const provider = name.slice(name.lastIndexOf('@') + 1);

    const ref = (field: string, target: string): ServiceRuntime | undefined => {
      const q = qualifyName(target, provider);
      if (!services.has(q))
        return fail(name, 'SERVICE_REFERENCE_MISSING', { service: name, field, target: q });
      if (visiting.includes(q)) {
        return fail(name, 'SERVICE_RECURSION', {
          service: name,
          path: [...visiting.slice(visiting.indexOf(q)), q].join(' -> '),
        });
      }
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
        const key = stableStringify(config.loadBalancer);
        const cached = previous.get(name);
        runtime =
          cached && cached.key === key ? cached.runtime : buildLoadBalancer(name, config.loadBalancer!, deps);
        loadBalancers.set(name, { key, runtime });
      } else if (kind === 'weighted') {
        const children = new Map<string, ServiceRuntime>();
        for (const s of config.weighted!.services) {
          const c = ref('weighted.services', s.name);
          if (!c) return undefined;
          children.set(s.name, c);
        }
        runtime = buildWeighted(name, config.weighted!, children);
      } else if (kind === 'failover') {
        const main = ref('failover.service', config.failover!.service);
        const fallback = main && ref('failover.fallback', config.failover!.fallback);
        if (!main || !fallback) return undefined;
        runtime = buildFailover(name, config.failover!, main, fallback);
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
        runtime = buildMirroring(name, m, main, mirrors, deps);
      }
      runtimes.set(name, runtime);
      return runtime;
    } finally {
      visiting.pop();
    }
  };

  for (const name of services.keys()) build(name);
  return { runtimes, errors, loadBalancers };
}
