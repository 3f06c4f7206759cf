import type { Diagnostic } from '../../config/diagnostics.ts';
import { middlewareKind, SERVICE_KINDS } from '../../config/dynamic.ts';
import { type ErrorCode, formatError } from '../../config/errors.ts';
import { parseQualifiedName, qualifyName } from '../../config/names.ts';
import { compileRuleText, v2Lookalike } from '../../core/rules/rule-matcher.ts';
import { ruleSyntaxOf } from '../../core/rules/rule-syntax.ts';
import type { Handler } from '../../middleware/middleware.ts';
import { middlewareRegistry } from '../../middleware/registry.ts';
import type { MergedConfig, MergedRouter } from '../reload/merge.ts';
import { namedTransports } from '../services/servers-transport.ts';
import { buildTls } from '../tls/build-tls.ts';
import { HostOptionsBuilder, ruleHosts } from '../tls/host-options.ts';
import { conflictWarnings, resolveRouterTls } from '../tls/router-tls.ts';
import { middlewareResolver } from './resolve-middlewares.ts';
import { serviceResolver } from './resolve-services.ts';
import { defaultPriority } from './route-index.ts';
import type { PlannedRoute, RouterPlan, RoutingPlan } from './routing-plan.ts';
import {
  addError,
  type MiddlewareInfo,
  type RouterInfo,
  type RuntimeInfo,
  type ServiceInfo,
} from './runtime-info.ts';
import { ITEMS_PER_PAUSE, runSync, type Steps, sortSteps } from './slices.ts';
import type { AcmeDemand, InternalService, ResolveDeps } from './table-types.ts';
import { unsupportedOptionWarnings } from './unsupported.ts';

const providerOf = (q: string) => parseQualifiedName(q).provider ?? '';

/** The provider of Wharf's own routers, middlewares and services (Traefik's `internal`). */
export const INTERNAL_PROVIDER = 'internal';

/** Traefik's highest priority a user's router may have (`math.MaxInt - 1000`, here the largest safe integer's). */
export const MAX_USER_PRIORITY = Number.MAX_SAFE_INTEGER - 1000;

/** Why a router cannot use the internal service `q`, in Traefik's words; undefined when it can. */
function internalProblem(internal: ReadonlyMap<string, InternalService>, q: string): string | undefined {
  const svc = internal.get(q);
  if (svc === undefined)
    return `unknown internal service ${q} (Wharf's are ${[...internal.keys()].sort().join(', ')})`;
  return 'disabled' in svc ? svc.disabled : undefined;
}
const plainName = (q: string) => parseQualifiedName(q).name;

/** A problem found with one router: critical ones disable it, the others are warnings. */
interface Problem {
  readonly code: ErrorCode;
  readonly message: string;
  readonly critical: boolean;
}

/** Records a problem (critical unless told otherwise) with its catalog message. */
function fail(list: Problem[], code: ErrorCode, params: Record<string, string>, critical = true): void {
  list.push({ code, message: formatError(code, params), critical });
}

/** Records that a router cannot be served because a service or middleware it names is disabled. */
function disabledBy(list: Problem[], router: string, kind: string, name: string, reason: string): void {
  fail(list, 'ROUTER_DISABLED_DEPENDENCY', { router, kind, name, reason });
}

/**
 * The pure step of compile: works out from the merged configuration which routers can be served, on which
 * entryPoints, through which middleware chains, to which services, with the runtime info and diagnostics
 * the API and `wharf check` show. Builds nothing and starts nothing (it reads certificate files, through
 * `deps.tls`), so its output can be compared with a golden file or thrown away. Bad items are isolated: a
 * router with a bad rule or a missing or disabled service or middleware is disabled and reported; every
 * other router is planned.
 */
export function resolveRouting(merged: MergedConfig, deps: ResolveDeps): RoutingPlan {
  return runSync(resolveRoutingSteps(merged, deps));
}

/** resolveRouting, pausing every few routers (router/compile/slices.ts). */
export function* resolveRoutingSteps(merged: MergedConfig, deps: ResolveDeps): Steps<RoutingPlan> {
  const diagnostics: Diagnostic[] = [];
  const report = (
    kind: 'router' | 'service' | 'middleware',
    q: string,
    code: ErrorCode,
    message: string,
    severity: Diagnostic['severity'] = 'error',
  ) =>
    diagnostics.push({
      source: 'compile',
      subject: q,
      code,
      message,
      severity,
      item: { kind, name: plainName(q) },
    });

  diagnostics.push(...unsupportedOptionWarnings(merged));
  const tls = buildTls(merged.tls, deps.tls ?? {});
  diagnostics.push(...tls.diagnostics);
  const warned = new Map<string, string[]>();
  for (const d of diagnostics) warned.set(d.subject, [...(warned.get(d.subject) ?? []), d.message]);
  const transports = namedTransports(merged.serversTransports, merged.diagnostics);
  // Services name middlewares (their own `middlewares`) and middlewares name services (errors.service):
  // each resolver asks the other, on demand, so a cycle through both is found and reported.
  const mws = middlewareResolver(
    merged.middlewares,
    deps.middlewares ?? middlewareRegistry,
    (q, code, message) => report('middleware', q, code, message),
    { exists: (q) => merged.services.has(q), problem: (q) => services.problem(q) },
  );
  const services = serviceResolver(merged.services, transports, {
    exists: (q) => merged.middlewares.has(q),
    problem: (q) => mws.problem(q),
  });
  for (const q of merged.services.keys()) services.problem(q);
  for (const q of merged.middlewares.keys()) mws.problem(q);
  const serviceErrors = services.errors;
  for (const [q, errs] of serviceErrors) for (const e of errs) report('service', q, e.code, e.message);

  const info: RuntimeInfo = { routers: new Map(), services: new Map(), middlewares: new Map() };
  for (const [q, config] of merged.services) {
    const kind = SERVICE_KINDS.find((k) => config[k] !== undefined) ?? 'unknown';
    const entry: ServiceInfo = {
      ...config,
      name: q,
      provider: providerOf(q),
      type: kind.toLowerCase(),
      status: 'enabled',
      usedBy: [],
    };
    for (const e of serviceErrors.get(q) ?? []) addError(entry, e.message, true);
    for (const w of warned.get(q) ?? []) addError(entry, w, false);
    info.services.set(q, entry);
  }
  for (const [q, config] of merged.middlewares) {
    const kind = middlewareKind(config);
    const entry: MiddlewareInfo = {
      ...config,
      name: q,
      provider: providerOf(q),
      type: typeof kind === 'string' ? kind.toLowerCase() : 'unknown',
      status: 'enabled',
      usedBy: [],
    };
    for (const e of mws.errors.get(q) ?? []) addError(entry, e, true);
    info.middlewares.set(q, entry);
  }

  // Wharf's own services are listed like Traefik's internal provider lists them: only the enabled ones.
  const internal = deps.internalServices;
  const internalHandlers = new Map<string, Handler>();
  for (const [q, svc] of internal ?? []) {
    if (!('handler' in svc)) continue;
    internalHandlers.set(q, svc.handler);
    const entry = { name: q, provider: INTERNAL_PROVIDER, status: 'enabled', usedBy: [] };
    info.services.set(q, entry as unknown as ServiceInfo);
  }

  // Items a provider left out for bad input: a router naming one says why instead of "does not exist".
  const leftOut = new Map<string, string>();
  let n = 0;
  for (const d of merged.diagnostics) {
    if (++n % ITEMS_PER_PAUSE === 0) yield;
    if (d.severity !== 'error' || !d.item || (d.item.kind !== 'service' && d.item.kind !== 'middleware'))
      continue;
    const key = `${d.item.kind}:${d.item.name}@${d.source}`;
    if (!leftOut.has(key)) leftOut.set(key, d.message);
  }
  // Who uses each service and middleware. Routers are visited one at a time, so a router naming an item
  // twice (on two entryPoints) adds itself twice in a row: comparing with the last entry dedupes. Arrays,
  // not Sets: an item may serve 500,000 routers, and a Set that size rehashed for a quarter of a second.
  const users = { service: new Map<string, string[]>(), middleware: new Map<string, string[]>() };
  const usedBy = (kind: 'service' | 'middleware', q: string, router: string) => {
    const list = users[kind].get(q);
    if (!list) users[kind].set(q, [router]);
    else if (list[list.length - 1] !== router) list.push(router);
  };
  const hostOptions = new HostOptionsBuilder();
  const epByName = new Map(deps.entryPoints.map((e) => [e.name, e]));
  const defaultEps = deps.entryPoints.filter((e) => e.isDefault).map((e) => e.name);
  const acme: AcmeDemand[] = [];
  const chains = new Map<string, readonly string[]>();
  const routers: RouterPlan[] = [];

  // Names, not [name, router] pairs: 500,000 pairs took most of a second in one go.
  const byName = yield* sortSteps([...merged.routers.keys()], (a, b) => (a < b ? -1 : a > b ? 1 : 0));
  for (const q of byName) {
    if (++n % ITEMS_PER_PAUSE === 0) yield;
    const { provider, config } = merged.routers.get(q) as MergedRouter;
    const problems: Problem[] = [];
    const rule = config.rule?.trim() ?? '';
    const syntax = ruleSyntaxOf(config.ruleSyntax, deps.defaultRuleSyntax);
    const compiled = rule === '' ? undefined : compileRuleText(rule, syntax);
    if (rule === '') fail(problems, 'ROUTER_NO_RULE', { router: q });
    else if (compiled && !compiled.ok)
      problems.push({ code: compiled.code, message: `router "${q}": ${compiled.message}`, critical: true });
    const lookalike = compiled?.ok && syntax === 'v3' ? v2Lookalike(compiled.ast!, rule) : undefined;
    const serviceRef = config.service ? qualifyName(config.service, provider) : undefined;
    if (!serviceRef) fail(problems, 'ROUTER_NO_SERVICE', { router: q });
    else if (internal && providerOf(serviceRef) === INTERNAL_PROVIDER) {
      const reason = internalProblem(internal, serviceRef);
      if (reason !== undefined)
        fail(problems, 'ROUTER_INTERNAL_SERVICE', { router: q, service: serviceRef, reason });
      else usedBy('service', serviceRef, q);
    } else if (!merged.services.has(serviceRef)) {
      const why = leftOut.get(`service:${serviceRef}`);
      if (why !== undefined) disabledBy(problems, q, 'service', serviceRef, why);
      else fail(problems, 'ROUTER_SERVICE_MISSING', { router: q, service: serviceRef });
    } else {
      const errs = serviceErrors.get(serviceRef);
      if (errs) disabledBy(problems, q, 'service', serviceRef, errs[0]?.message ?? 'disabled');
      usedBy('service', serviceRef, q);
    }
    const routerMws = (config.middlewares ?? []).map((m) => qualifyName(m, provider));
    const wanted = config.entryPoints && config.entryPoints.length > 0 ? config.entryPoints : defaultEps;
    const using: string[] = [];
    const warnings: Problem[] = [];
    if (lookalike) fail(warnings, 'RULE_V2_LOOKALIKE', { rule, ...lookalike }, false);
    for (const ep of wanted) {
      if (epByName.has(ep)) using.push(ep);
      else fail(warnings, 'ROUTER_ENTRYPOINT_UNKNOWN', { router: q, entryPoint: ep }, false);
    }
    if (using.length === 0) fail(problems, 'ROUTER_NO_ENTRYPOINT', { router: q });
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
    for (const e of routerTls.errors) problems.push({ ...e, critical: true });
    for (const w of routerTls.warnings) warnings.push({ ...w, critical: false });

    // The chain key on each entryPoint of `using`, in the same order.
    const chainKeys: string[] = [];
    for (const ep of using) {
      const epMws = epByName.get(ep)?.middlewares ?? [];
      const refs =
        epMws.length === 0 ? routerMws : [...epMws.map((m) => qualifyName(m, provider)), ...routerMws];
      for (const ref of refs) {
        usedBy('middleware', ref, q);
        if (mws.plans.has(ref)) continue;
        if (merged.middlewares.has(ref))
          disabledBy(problems, q, 'middleware', ref, mws.errors.get(ref)?.[0] ?? 'disabled');
        else {
          const why = leftOut.get(`middleware:${ref}`);
          if (why !== undefined) disabledBy(problems, q, 'middleware', ref, why);
          else fail(problems, 'ROUTER_MIDDLEWARE_MISSING', { router: q, middleware: ref });
        }
      }
      const key = refs.join('\n');
      if (!chains.has(key)) chains.set(key, refs);
      chainKeys.push(key);
    }

    const priority = config.priority || defaultPriority(config.rule ?? '');
    // Traefik keeps the top of the range for its own routers, so no user router can outrank /ping or /api.
    if (priority > MAX_USER_PRIORITY && provider !== INTERNAL_PROVIDER)
      fail(problems, 'ROUTER_PRIORITY_TOO_HIGH', {
        router: q,
        priority: String(priority),
        max: String(MAX_USER_PRIORITY),
      });
    const entry: RouterInfo = {
      name: q,
      provider,
      entryPoints: config.entryPoints ?? defaultEps,
      priority,
      status: 'enabled',
      using,
    };
    if (config.rule !== undefined) entry.rule = config.rule;
    if (serviceRef) entry.service = config.service;
    if (config.middlewares) entry.middlewares = config.middlewares;
    if (routerTls.shown) entry.tls = routerTls.shown;
    if (config.observability) entry.observability = { ...config.observability };
    info.routers.set(q, entry);
    // Errors first, then warnings; each in the API once, and reported (unsupported options already were).
    const errors =
      problems.length < 2
        ? problems
        : problems.filter((p, i) => problems.findIndex((o) => o.message === p.message) === i);
    for (const e of errors) report('router', q, e.code, e.message);
    for (const e of errors) addError(entry, e.message, true);
    for (const w of warned.get(q) ?? []) addError(entry, w, false);
    for (const w of warnings) {
      report('router', q, w.code, w.message, 'warning');
      addError(entry, w.message, false);
    }
    if (errors.length > 0 || !compiled?.ok || !compiled.ast || !serviceRef) continue;

    if (routerTls.resolver) {
      const hosts = ruleHosts(compiled.ast);
      const domains =
        routerTls.domains ?? (hosts.length > 0 ? [{ main: hosts[0], sans: hosts.slice(1) }] : []);
      acme.push({ router: q, resolver: routerTls.resolver, domains });
    }
    const named = [...routerTls.options.values()].find((n) => n !== 'default');
    if (named !== undefined && ruleHosts(compiled.ast).length === 0) {
      // Traefik only logs this: options are chosen by server name, and this rule names none.
      const message = formatError('ROUTER_TLS_OPTIONS_NO_HOST', { router: q, options: named });
      report('router', q, 'ROUTER_TLS_OPTIONS_NO_HOST', message, 'warning');
    }
    const routes: PlannedRoute[] = [];
    for (let i = 0; i < using.length; i++) {
      const ep = using[i] as string;
      const optionsName = routerTls.options.get(ep);
      if (optionsName !== undefined) hostOptions.add(ep, ruleHosts(compiled.ast), q, optionsName);
      routes.push({ entryPoint: ep, secure: optionsName !== undefined, chain: chainKeys[i] as string });
    }
    routers.push({
      name: q,
      priority: entry.priority,
      ast: compiled.ast,
      matcher: compiled.matcher,
      service: serviceRef,
      routes,
      rule,
      ...(config.observability ? { observability: config.observability } : {}),
    });
  }

  for (const [q, list] of users.service) {
    const item = info.services.get(q);
    if (item) item.usedBy = list;
  }
  for (const [q, list] of users.middleware) {
    const item = info.middlewares.get(q);
    if (item) item.usedBy = list;
  }
  const decided = hostOptions.build();
  for (const { router, message } of conflictWarnings(decided.conflicts)) {
    report('router', router, 'ROUTER_TLS_OPTIONS_CONFLICT', message, 'warning');
    const entry = info.routers.get(router);
    if (entry) addError(entry, message, false);
  }
  return {
    entryPoints: deps.entryPoints.map((e) => e.name),
    routers,
    chains,
    services: new Map([...merged.services].filter(([q]) => !serviceErrors.has(q))),
    transports,
    internalHandlers,
    middlewares: mws.plans,
    tls: { state: tls.state, hostOptions: decided.hostOptions },
    acme,
    info,
    diagnostics,
  };
}
