import type { Diagnostic } from '../../config/diagnostics.ts';
import { type MiddlewareConfig, middlewareKind } from '../../config/dynamic.ts';
import { type ErrorCode, formatError } from '../../config/errors.ts';
import { parseQualifiedName, qualifyName } from '../../config/names.ts';
import { compileRuleText } from '../../core/rules/rule-matcher.ts';
import { compose, type Handler, type Middleware } from '../../middleware/middleware.ts';
import { middlewareRegistry } from '../../middleware/registry.ts';
import type { MergedConfig } from '../reload/merge.ts';
import { type BuiltServices, buildServices } from '../services/build-services.ts';
import { namedTransports } from '../services/servers-transport.ts';
import type { ServiceRuntime } from '../services/service.ts';
import { buildTls } from '../tls/build-tls.ts';
import { HostOptionsBuilder, ruleHosts } from '../tls/host-options.ts';
import { conflictWarnings, resolveRouterTls } from '../tls/router-tls.ts';
import { defaultPriority, type IndexedRoute, RouteIndex } from './route-index.ts';
import type { MiddlewareInfo, RouterInfo, RuntimeInfo, ServiceInfo } from './runtime-info.ts';
import type { AcmeDemand, CompileDeps, CompiledRoute, RoutingTable } from './table-types.ts';
import { unsupportedOptionWarnings } from './unsupported.ts';

export type {
  AcmeDemand,
  CompileDeps,
  CompiledRoute,
  EntryPointSpec,
  RoutingTable,
  TlsRuntime,
} from './table-types.ts';

const providerOf = (q: string) => parseQualifiedName(q).provider ?? '';
const plainName = (q: string) => parseQualifiedName(q).name;

/**
 * Compiles merged configuration into a routing table. Deterministic for the same input and previous
 * services. Bad items are isolated: a router with a bad rule or a missing service or middleware is
 * disabled and reported; every other router is served. If compiling throws unexpectedly, the services it
 * built anew are closed (no health checker outlives a failed reload) and the error propagates, so the
 * caller keeps the serving table.
 */
export function compile(
  merged: MergedConfig,
  deps: CompileDeps,
): { table: RoutingTable; diagnostics: Diagnostic[] } {
  const transports = namedTransports(merged.serversTransports, merged.diagnostics);
  const built = buildServices(merged.services, deps, deps.previousServices, transports);
  try {
    return compileWith(merged, deps, built);
  } catch (err) {
    for (const [name, c] of built.cache)
      if (deps.previousServices.get(name)?.runtime !== c.runtime) c.runtime.close();
    throw err;
  }
}

function compileWith(
  merged: MergedConfig,
  deps: CompileDeps,
  built: BuiltServices,
): { table: RoutingTable; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const report = (kind: 'router' | 'service' | 'middleware', q: string, code: ErrorCode, message: string) => {
    diagnostics.push({
      source: 'compile',
      subject: q,
      code,
      message,
      severity: 'error',
      item: { kind, name: plainName(q) },
    });
  };

  const reportWarning = (q: string, code: ErrorCode, message: string) =>
    diagnostics.push({
      source: 'compile',
      subject: q,
      code,
      message,
      severity: 'warning',
      item: { kind: 'router', name: plainName(q) },
    });
  diagnostics.push(...unsupportedOptionWarnings(merged));
  const tls = buildTls(merged.tls, deps.tls ?? {});
  diagnostics.push(...tls.diagnostics);
  const warned = new Map<string, string[]>();
  for (const d of diagnostics) warned.set(d.subject, [...(warned.get(d.subject) ?? []), d.message]);
  for (const [q, errs] of built.errors) for (const e of errs) report('service', q, e.code, e.message);

  const mws = buildMiddlewares(merged.middlewares, report);
  const info: RuntimeInfo = { routers: new Map(), services: new Map(), middlewares: new Map() };
  for (const [q, config] of merged.services) {
    const kind = Object.keys(config).find((k) => config[k as keyof typeof config] !== undefined) ?? 'unknown';
    const runtime = built.runtimes.get(q);
    const errs = built.errors.get(q)?.map((e) => e.message);
    const entry: ServiceInfo = {
      ...config,
      name: q,
      provider: providerOf(q),
      type: kind.toLowerCase(),
      status: runtime ? (warned.has(q) ? 'warning' : 'enabled') : 'disabled',
      usedBy: [],
    };
    if (errs || warned.has(q)) entry.error = [...(errs ?? []), ...(warned.get(q) ?? [])];
    if (kind === 'loadBalancer' && runtime) entry.serverStatus = runtime.serverStatus();
    info.services.set(q, entry);
  }
  for (const [q, config] of merged.middlewares) {
    const kind = middlewareKind(config);
    const errs = mws.errors.get(q);
    const entry: MiddlewareInfo = {
      ...config,
      name: q,
      provider: providerOf(q),
      type: typeof kind === 'string' ? kind.toLowerCase() : 'unknown',
      status: errs ? 'disabled' : 'enabled',
      usedBy: [],
    };
    if (errs) entry.error = errs;
    info.middlewares.set(q, entry);
  }

  // Items a provider left out for bad input: a router naming one says why instead of "does not exist".
  const leftOut = new Map<string, string>();
  for (const d of merged.diagnostics) {
    if (d.severity !== 'error' || !d.item || (d.item.kind !== 'service' && d.item.kind !== 'middleware'))
      continue;
    const key = `${d.item.kind}:${d.item.name}@${d.source}`;
    if (!leftOut.has(key)) leftOut.set(key, d.message);
  }
  // Who uses each service and middleware: Sets, since one item may serve thousands of routers.
  const users = new Map<string, Set<string>>();
  const usedBy = (q: string): Set<string> => {
    let set = users.get(q);
    if (!set) {
      set = new Set();
      users.set(q, set);
    }
    return set;
  };
  const routes = new Map<string, IndexedRoute<CompiledRoute>[]>(deps.entryPoints.map((e) => [e.name, []]));
  const secureRoutes = new Map<string, IndexedRoute<CompiledRoute>[]>(
    deps.entryPoints.map((e) => [e.name, []]),
  );
  const hostOptions = new HostOptionsBuilder();
  const epByName = new Map(deps.entryPoints.map((e) => [e.name, e]));
  const defaultEps = deps.entryPoints.filter((e) => e.isDefault).map((e) => e.name);
  const acme: AcmeDemand[] = [];
  // Routers with the same middlewares and service share one composed handler: 10,000 routers on one chain
  // hold one set of middleware closures, not 10,000 (see Middleware in middleware/middleware.ts).
  const composed = new Map<string, Handler>();
  const chainHandler = (chain: Chain | undefined, serviceQ: string, last: Handler) => {
    const key = `${chain?.key ?? ''}\u0000${serviceQ}`;
    let h = composed.get(key);
    if (!h) {
      h = compose(chain?.list ?? [], last);
      composed.set(key, h);
    }
    return h;
  };

  for (const [q, { provider, config }] of [...merged.routers].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const errors: Array<{ code: ErrorCode; message: string }> = [];
    const epWarnings: string[] = [];
    const warnings: Array<{ code: ErrorCode; message: string }> = [];
    const fail = (code: ErrorCode, params: Record<string, string>) =>
      errors.push({ code, message: formatError(code, params) });
    const rule = config.rule?.trim() ?? '';
    const compiled = rule === '' ? undefined : compileRuleText(rule);
    if (rule === '') fail('ROUTER_NO_RULE', { router: q });
    else if (compiled && !compiled.ok)
      errors.push({ code: compiled.code, message: `router "${q}": ${compiled.message}` });
    const serviceRef = config.service ? qualifyName(config.service, provider) : undefined;
    let service: ServiceRuntime | undefined;
    if (!serviceRef) fail('ROUTER_NO_SERVICE', { router: q });
    else if (!merged.services.has(serviceRef)) {
      const why = leftOut.get(`service:${serviceRef}`);
      if (why)
        fail('ROUTER_DISABLED_DEPENDENCY', { router: q, kind: 'service', name: serviceRef, reason: why });
      else fail('ROUTER_SERVICE_MISSING', { router: q, service: serviceRef });
    } else {
      service = built.runtimes.get(serviceRef);
      if (!service)
        fail('ROUTER_DISABLED_DEPENDENCY', {
          router: q,
          kind: 'service',
          name: serviceRef,
          reason: built.errors.get(serviceRef)?.[0]?.message ?? 'disabled',
        });
      usedBy(serviceRef).add(q);
    }
    const routerMws = (config.middlewares ?? []).map((m) => qualifyName(m, provider));
    const wanted = config.entryPoints && config.entryPoints.length > 0 ? config.entryPoints : defaultEps;
    const using: string[] = [];
    for (const ep of wanted) {
      if (epByName.has(ep)) using.push(ep);
      else epWarnings.push(formatError('ROUTER_ENTRYPOINT_UNKNOWN', { router: q, entryPoint: ep }));
    }
    if (using.length === 0) fail('ROUTER_NO_ENTRYPOINT', { router: q });
    // The TLS options each entryPoint serves this router with; absent: plain HTTP there.
    const routerTls = resolveRouterTls(
      q,
      provider,
      config.tls,
      using,
      epByName,
      tls.state,
      deps.certResolvers,
    );
    errors.push(...routerTls.errors);
    warnings.push(...routerTls.warnings);

    const chains = new Map<string, Chain>();
    for (const ep of using) {
      const refs = [
        ...(epByName.get(ep)?.middlewares ?? []).map((m) => qualifyName(m, provider)),
        ...routerMws,
      ];
      const list: Middleware[] = [];
      for (const ref of refs) {
        usedBy(ref).add(q);
        const m = mws.get(ref);
        if (m) list.push(m);
        else if (!merged.middlewares.has(ref)) {
          const why = leftOut.get(`middleware:${ref}`);
          if (why)
            fail('ROUTER_DISABLED_DEPENDENCY', { router: q, kind: 'middleware', name: ref, reason: why });
          else fail('ROUTER_MIDDLEWARE_MISSING', { router: q, middleware: ref });
        } else
          fail('ROUTER_DISABLED_DEPENDENCY', {
            router: q,
            kind: 'middleware',
            name: ref,
            reason: mws.errors.get(ref)?.[0] ?? 'disabled',
          });
      }
      chains.set(ep, { key: refs.join('\n'), list });
    }

    const unique = dedupe(errors);
    const allWarnings = [...(warned.get(q) ?? []), ...epWarnings, ...warnings.map((w) => w.message)];
    const entry: RouterInfo = {
      name: q,
      provider,
      entryPoints: config.entryPoints ?? defaultEps,
      priority: config.priority || defaultPriority(config.rule ?? ''),
      status: unique.length > 0 ? 'disabled' : allWarnings.length > 0 ? 'warning' : 'enabled',
      using: unique.length > 0 ? [] : using,
    };
    if (config.rule !== undefined) entry.rule = config.rule;
    if (serviceRef) entry.service = config.service;
    if (config.middlewares) entry.middlewares = config.middlewares;
    if (routerTls.shown) entry.tls = routerTls.shown;
    if (unique.length > 0 || allWarnings.length > 0)
      entry.error = [...unique.map((e) => e.message), ...allWarnings];
    info.routers.set(q, entry);
    for (const e of unique) report('router', q, e.code, e.message);
    for (const w of epWarnings) reportWarning(q, 'ROUTER_ENTRYPOINT_UNKNOWN', w);
    for (const w of warnings) reportWarning(q, w.code, w.message);
    if (unique.length > 0 || !compiled?.ok || !compiled.ast || !service) continue;

    if (routerTls.resolver) {
      const hosts = ruleHosts(compiled.ast);
      const domains =
        routerTls.domains ?? (hosts.length > 0 ? [{ main: hosts[0], sans: hosts.slice(1) }] : []);
      acme.push({ router: q, resolver: routerTls.resolver, domains });
    }
    const named = [...routerTls.options.values()].find((n) => n !== 'default');
    if (named !== undefined && ruleHosts(compiled.ast).length === 0) {
      // Traefik logs the same: options are chosen by server name, and this rule names none.
      reportWarning(
        q,
        'ROUTER_TLS_OPTIONS_NO_HOST',
        formatError('ROUTER_TLS_OPTIONS_NO_HOST', { router: q, options: named }),
      );
    }
    for (const ep of using) {
      const handler = chainHandler(chains.get(ep), serviceRef ?? '', service.handler);
      const optionsName = routerTls.options.get(ep);
      if (optionsName !== undefined) hostOptions.add(ep, ruleHosts(compiled.ast), q, optionsName);
      (optionsName === undefined ? routes : secureRoutes).get(ep)?.push({
        name: q,
        priority: entry.priority,
        ast: compiled.ast,
        matcher: compiled.matcher,
        value: { router: q, handler },
      });
    }
  }

  for (const [q, set] of users) {
    const item = info.services.get(q) ?? info.middlewares.get(q);
    if (item) item.usedBy = [...set];
  }
  const decided = hostOptions.build();
  for (const { router, message } of conflictWarnings(decided.conflicts)) {
    reportWarning(router, 'ROUTER_TLS_OPTIONS_CONFLICT', message);
    const entry = info.routers.get(router);
    if (entry) {
      entry.error = [...(entry.error ?? []), message];
      if (entry.status === 'enabled') entry.status = 'warning';
    }
  }
  const index = (m: Map<string, IndexedRoute<CompiledRoute>[]>) =>
    new Map([...m].map(([ep, list]) => [ep, new RouteIndex(list)]));
  return {
    table: {
      entryPoints: index(routes),
      secureEntryPoints: index(secureRoutes),
      tls: { state: tls.state, hostOptions: decided.hostOptions },
      acme,
      services: built.runtimes,
      serviceCache: built.cache,
      info,
    },
    diagnostics,
  };
}

/** A router's middlewares on one entryPoint: their qualified names (joined) and the built middlewares. */
interface Chain {
  readonly key: string;
  readonly list: readonly Middleware[];
}

function dedupe<T extends { message: string }>(list: T[]): T[] {
  return [...new Map(list.map((e) => [e.message, e])).values()];
}

/** Builds every middleware once, resolving chain references with recursion detection. */
function buildMiddlewares(
  configs: ReadonlyMap<string, MiddlewareConfig>,
  report: (kind: 'middleware', q: string, code: ErrorCode, message: string) => void,
): Map<string, Middleware> & { errors: Map<string, string[]> } {
  const out = new Map<string, Middleware>() as Map<string, Middleware> & { errors: Map<string, string[]> };
  out.errors = new Map();
  const visiting: string[] = [];
  const fail = (q: string, code: ErrorCode, params: Record<string, string>) => {
    const message = formatError(code, params);
    out.errors.set(q, [...(out.errors.get(q) ?? []), message]);
    report('middleware', q, code, message);
  };
  class Abort extends Error {}
  const build = (q: string): Middleware => {
    const done = out.get(q);
    if (done) return done;
    if (out.errors.has(q)) throw new Abort();
    const config = configs.get(q) as MiddlewareConfig;
    const kind = middlewareKind(config);
    if (typeof kind !== 'string') {
      fail(q, 'MIDDLEWARE_INVALID', { middleware: q, problem: kind.problem });
      throw new Abort();
    }
    visiting.push(q);
    try {
      const factory = middlewareRegistry[kind] as (o: unknown, ctx: unknown) => Middleware;
      const m = factory(config[kind], {
        name: q,
        resolve: (reference: string) => {
          const target = qualifyName(reference, providerOf(q));
          if (!configs.has(target)) {
            fail(q, 'MIDDLEWARE_INVALID', {
              middleware: q,
              problem: `chain member "${target}" does not exist`,
            });
            throw new Abort();
          }
          if (visiting.includes(target)) {
            fail(q, 'MIDDLEWARE_RECURSION', {
              middleware: q,
              path: [...visiting.slice(visiting.indexOf(target)), target].join(' -> '),
            });
            throw new Abort();
          }
          try {
            return build(target);
          } catch (e) {
            if (e instanceof Abort && !out.errors.has(q)) {
              fail(q, 'MIDDLEWARE_INVALID', {
                middleware: q,
                problem: `chain member "${target}" is disabled: ${out.errors.get(target)?.[0] ?? ''}`,
              });
            }
            throw e;
          }
        },
      });
      out.set(q, m);
      return m;
    } finally {
      visiting.pop();
    }
  };
  for (const q of configs.keys()) {
    try {
      build(q);
    } catch (e) {
      if (!(e instanceof Abort)) throw e;
    }
  }
  return out;
}
