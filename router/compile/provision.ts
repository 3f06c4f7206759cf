import type { Diagnostic } from '../../config/diagnostics.ts';
import { type ErrorCode, formatError } from '../../config/errors.ts';
import { parseQualifiedName } from '../../config/names.ts';
import { systemClock } from '../../middleware/clock.ts';
import { type MiddlewareInstance, MiddlewareInstances } from '../../middleware/instances.ts';
import { compose, type Handler } from '../../middleware/middleware.ts';
import { middlewareRegistry } from '../../middleware/registry.ts';
import { buildServices } from '../services/build-services.ts';
import { type IndexedRoute, RouteIndex } from './route-index.ts';
import type { RoutingPlan } from './routing-plan.ts';
import { addError } from './runtime-info.ts';
import { serviceChainBuilder } from './service-chains.ts';
import { ITEMS_PER_PAUSE, runSync, type Steps } from './slices.ts';
import type { CompiledRoute, ProvisionDeps, RoutingTable } from './table-types.ts';

/**
 * The impure step of compile: turns a plan into a routing table. Builds the services (reusing the serving
 * generation's load balancers while unchanged; new ones start their health checks), each behind its own
 * `middlewares` if it has some, and the middleware instances the planned routers and services use (reused
 * while unchanged), composes each distinct chain once, and indexes
 * the routes per entryPoint. A service or middleware that fails to build disables itself and the routers
 * using it, through `addError`; every other router is served. Takes ownership of the plan (its info and
 * diagnostics become the table's). If it throws, what it built anew is closed and the error propagates.
 */
export function provision(
  plan: RoutingPlan,
  deps: ProvisionDeps,
): { table: RoutingTable; diagnostics: Diagnostic[] } {
  return runSync(provisionSteps(plan, deps));
}

/**
 * provision, pausing every few routers (router/compile/slices.ts). Abandoned at a pause (Superseded thrown
 * in), it closes what it built anew like on any other throw.
 */
export function* provisionSteps(
  plan: RoutingPlan,
  deps: ProvisionDeps,
): Steps<{ table: RoutingTable; diagnostics: Diagnostic[] }> {
  // Middlewares may name services (errors.service) and services may carry middlewares: while services
  // are built, a middleware gets the service it names from the build (built on demand); afterwards, from
  // the built set.
  let serviceOf: (q: string) => Handler | undefined = () => undefined;
  const instances = new MiddlewareInstances(plan.middlewares, deps.previousMiddlewares ?? new Map(), {
    definitions: deps.middlewares ?? middlewareRegistry,
    logger: deps.logger,
    clock: deps.clock ?? systemClock,
    service: (name) => serviceOf(name),
    ...(deps.traceMiddleware ? { traceMiddleware: deps.traceMiddleware } : {}),
  });
  let built: ReturnType<typeof buildServices> | undefined;
  try {
    built = buildServices(
      plan.services,
      deps,
      deps.previousServices,
      plan.transports,
      serviceChainBuilder(instances, (lookup) => {
        serviceOf = (q) => lookup(q)?.handler;
      }),
    );
    const done = built;
    serviceOf = (q) => done.runtimes.get(q)?.handler;
    return yield* provisionWith(plan, built, instances);
  } catch (err) {
    for (const [name, c] of built?.cache ?? [])
      if (deps.previousServices.get(name)?.runtime !== c.runtime) c.runtime.close();
    instances.closeCreated();
    throw err;
  }
}

function* provisionWith(
  plan: RoutingPlan,
  built: ReturnType<typeof buildServices>,
  instances: MiddlewareInstances,
): Steps<{ table: RoutingTable; diagnostics: Diagnostic[] }> {
  const { info, diagnostics } = plan;
  const report = (kind: 'router' | 'service' | 'middleware', q: string, code: ErrorCode, message: string) =>
    diagnostics.push({
      source: 'compile',
      subject: q,
      code,
      message,
      severity: 'error',
      item: { kind, name: parseQualifiedName(q).name },
    });
  for (const [q, errs] of built.errors) {
    const entry = info.services.get(q);
    for (const e of errs) {
      report('service', q, e.code, e.message);
      if (entry) addError(entry, e.message, true);
    }
  }
  for (const [q, runtime] of built.runtimes) {
    const entry = info.services.get(q);
    if (entry?.type === 'loadbalancer') entry.serverStatus = runtime.serverStatus();
  }

  const routes = new Map<string, IndexedRoute<CompiledRoute>[]>(plan.entryPoints.map((e) => [e, []]));
  const secureRoutes = new Map<string, IndexedRoute<CompiledRoute>[]>(plan.entryPoints.map((e) => [e, []]));
  // Routers with the same chain and service share one composed handler: 10,000 routers on one chain hold
  // one set of closures, not 10,000. A chain with a per-router instance is composed for its router alone.
  const composed = new Map<string, Handler>();
  // A middleware that failed to build (its factory threw, or a member's did) is reported once, members first.
  const middlewareMessage = (name: string) =>
    formatError('MIDDLEWARE_INVALID', {
      middleware: name,
      problem: instances.errors.get(name) ?? 'disabled',
    });
  const reportedMiddlewares = new Set<string>();
  const reportMiddlewareErrors = () => {
    for (const name of instances.errors.keys()) {
      if (reportedMiddlewares.has(name)) continue;
      reportedMiddlewares.add(name);
      const message = middlewareMessage(name);
      report('middleware', name, instances.errorCodes.get(name) ?? 'MIDDLEWARE_INVALID', message);
      const entry = info.middlewares.get(name);
      if (entry) addError(entry, message, true);
    }
  };
  // A service's own middleware that failed to build disabled that service (built.errors): report it too.
  reportMiddlewareErrors();
  const disable = (router: string, kind: 'service' | 'middleware', name: string, reason: string) => {
    const message = formatError('ROUTER_DISABLED_DEPENDENCY', { router, kind, name, reason });
    report('router', router, 'ROUTER_DISABLED_DEPENDENCY', message);
    const entry = info.routers.get(router);
    if (entry) addError(entry, message, true);
  };
  let n = 0;
  for (const router of plan.routers) {
    if (++n % ITEMS_PER_PAUSE === 0) yield;
    const service = built.runtimes.get(router.service)?.handler ?? plan.internalHandlers.get(router.service);
    if (!service) {
      disable(
        router.name,
        'service',
        router.service,
        built.errors.get(router.service)?.[0]?.message ?? 'disabled',
      );
      continue;
    }
    const handlers: Handler[] = [];
    let failed: string | undefined;
    for (const route of router.routes) {
      const names = plan.chains.get(route.chain) ?? [];
      const chain: MiddlewareInstance[] = [];
      for (const name of names) {
        const instance = instances.get(name, router.name);
        if (instance) chain.push(instance);
        else {
          failed = name;
          break;
        }
      }
      if (failed !== undefined) break;
      const own = chain.some((i) => i.router !== undefined);
      const key = `${route.chain}\u0000${router.service}${own ? `\u0000${router.name}` : ''}`;
      let handler = composed.get(key);
      if (!handler) {
        handler = compose(
          chain.map((i) => i.wrap),
          service,
        );
        composed.set(key, handler);
      }
      handlers.push(handler);
    }
    if (failed !== undefined) {
      reportMiddlewareErrors();
      disable(router.name, 'middleware', failed, middlewareMessage(failed));
      continue;
    }
    for (let i = 0; i < router.routes.length; i++) {
      const route = router.routes[i] as (typeof router.routes)[number];
      (route.secure ? secureRoutes : routes).get(route.entryPoint)?.push({
        name: router.name,
        priority: router.priority,
        ast: router.ast,
        matcher: router.matcher,
        value: {
          router: router.name,
          handler: handlers[i] as Handler,
          rule: router.rule,
          service: router.service,
          ...(router.observability ? { observability: router.observability } : {}),
        },
      });
    }
  }

  function* index(
    m: Map<string, IndexedRoute<CompiledRoute>[]>,
  ): Steps<Map<string, RouteIndex<CompiledRoute>>> {
    const out = new Map<string, RouteIndex<CompiledRoute>>();
    for (const [ep, list] of m) out.set(ep, yield* RouteIndex.steps(list));
    return out;
  }
  const entryPoints = yield* index(routes);
  const secureEntryPoints = yield* index(secureRoutes);
  return {
    table: {
      entryPoints,
      secureEntryPoints,
      tls: plan.tls,
      acme: plan.acme,
      services: built.runtimes,
      serviceCache: built.cache,
      middlewareCache: instances.cache,
      info,
    },
    diagnostics,
  };
}
