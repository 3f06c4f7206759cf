import type { MiddlewareKind } from '../config/dynamic.ts';
import { type ErrorCode, WharfError } from '../config/errors.ts';
import { parseQualifiedName, qualifyName } from '../config/names.ts';
import type { Logger } from '../core/log.ts';
import { stableStringify } from '../core/stable-stringify.ts';
import type { Clock } from './clock.ts';
import type {
  Handler,
  Middleware,
  MiddlewareContext,
  MiddlewareDefinition,
  MiddlewareRuntime,
} from './middleware.ts';
import type { MiddlewareRegistry } from './registry.ts';

/** What building an instance needs to know about a middleware (from router/compile's resolve step). */
export interface MiddlewareSpec {
  readonly kind: MiddlewareKind;
  readonly options: unknown;
  /** Qualified names of the members its options reference, in the order its definition declared them. */
  readonly members: readonly string[];
  /** Qualified names of the services its options reference (serviceReferences), in declared order. */
  readonly services?: readonly string[];
  readonly perRouter: boolean;
}

/**
 * A built middleware instance held by generations. The same object is carried into the next generation
 * while its key and members are unchanged, so TableRef counts references on it and closes it once.
 */
export interface MiddlewareInstance {
  /** Qualified name. */
  readonly name: string;
  /** Router it serves, for per-router instances. */
  readonly router: string | undefined;
  /** Kind and options, stably stringified: a change builds a new instance. */
  readonly key: string;
  readonly members: readonly MiddlewareInstance[];
  /** The service handlers it was built with: a rebuilt service builds a new instance. */
  readonly services: readonly Handler[];
  readonly wrap: Middleware;
  /** The runtime's live state for the API, when it has one. */
  readonly status?: () => Record<string, unknown>;
  /** Releases the runtime (once; errors are logged, never thrown). */
  close(): void;
}

/** Where an instance lives in a generation's cache: the name, plus the router for per-router instances. */
function instanceKey(name: string, router: string | undefined): string {
  return router === undefined ? name : `${name}\u0000${router}`;
}

/** Whether two lists hold the same objects in the same order. */
function sameItems<T>(a: readonly T[], b: readonly T[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** What instances are built with. */
export interface InstanceDeps {
  readonly definitions: MiddlewareRegistry;
  readonly logger: Logger;
  readonly clock: Clock;
  /** The handler of a built service of this generation, by qualified name (absent: it did not build). */
  readonly service?: (name: string) => Handler | undefined;
  /** Wraps each built instance (tracing spans; the router supplies it); absent: instances as built. */
  readonly traceMiddleware?: (kind: MiddlewareKind, name: string, wrap: Middleware) => Middleware;
}

/**
 * Builds one generation's middleware instances on demand, reusing the previous generation's instance when
 * its key and members are unchanged (see MiddlewareDefinition for the whole lifecycle). A definition whose
 * `create` throws disables that middleware only: `errors` says why, and every `get` of it (or of a chain
 * holding it) gives undefined.
 */
export class MiddlewareInstances {
  /** This generation's instances by instanceKey: the next generation's `previous`. */
  readonly cache = new Map<string, MiddlewareInstance>();
  /** Middlewares that could not be built, with the reason (the thrown message, or the member's). */
  readonly errors = new Map<string, string>();
  /** The catalog code of a factory's WharfError (waf's WAF_UNAVAILABLE), for the diagnostic; else MIDDLEWARE_INVALID. */
  readonly errorCodes = new Map<string, ErrorCode>();
  readonly #specs: ReadonlyMap<string, MiddlewareSpec>;
  readonly #previous: ReadonlyMap<string, MiddlewareInstance>;
  readonly #deps: InstanceDeps;
  readonly #created: MiddlewareInstance[] = [];

  constructor(
    specs: ReadonlyMap<string, MiddlewareSpec>,
    previous: ReadonlyMap<string, MiddlewareInstance>,
    deps: InstanceDeps,
  ) {
    this.#specs = specs;
    this.#previous = previous;
    this.#deps = deps;
  }

  /** The instance of `name` serving `router` (shared unless per router), built or reused; undefined if it failed. */
  get(name: string, router: string): MiddlewareInstance | undefined {
    const spec = this.#specs.get(name);
    if (!spec || this.errors.has(name)) return undefined;
    const scope = spec.perRouter ? router : undefined;
    const at = instanceKey(name, scope);
    const done = this.cache.get(at);
    if (done) return done;
    const members: MiddlewareInstance[] = [];
    for (const m of spec.members) {
      const member = this.get(m, router);
      if (!member) {
        this.errors.set(name, `chain member "${m}" is disabled: ${this.errors.get(m) ?? 'disabled'}`);
        return undefined;
      }
      members.push(member);
    }
    const services: Handler[] = [];
    for (const s of spec.services ?? []) {
      const handler = this.#deps.service?.(s);
      if (!handler) {
        this.errors.set(name, `service "${s}" is disabled`);
        return undefined;
      }
      services.push(handler);
    }
    const key = `${spec.kind}\u0000${stableStringify(spec.options)}`;
    const old = this.#previous.get(at);
    let instance: MiddlewareInstance | undefined;
    if (old?.key === key && sameItems(old.members, members) && sameItems(old.services, services))
      instance = old;
    else instance = this.#create(name, scope, spec, key, members, services);
    if (instance) this.cache.set(at, instance);
    return instance;
  }

  /** Closes the instances built by this generation (not reused ones): provisioning failed and is discarded. */
  closeCreated(): void {
    for (const i of this.#created) i.close();
  }

  #create(
    name: string,
    router: string | undefined,
    spec: MiddlewareSpec,
    key: string,
    members: readonly MiddlewareInstance[],
    services: readonly Handler[],
  ): MiddlewareInstance | undefined {
    const logger = this.#deps.logger;
    const byName = new Map(spec.members.map((m, i) => [m, members[i] as MiddlewareInstance]));
    const serviceByName = new Map((spec.services ?? []).map((s, i) => [s, services[i] as Handler]));
    const provider = parseQualifiedName(name).provider ?? '';
    const ctx: MiddlewareContext = {
      name,
      router,
      resolve: (reference) => {
        const member = byName.get(qualifyName(reference, provider));
        if (!member) throw new Error(`"${reference}" is not a declared reference of middleware "${name}"`);
        return member.wrap;
      },
      resolveService: (reference) => {
        const handler = serviceByName.get(qualifyName(reference, provider));
        if (!handler) throw new Error(`"${reference}" is not a declared service of middleware "${name}"`);
        return handler;
      },
      logger,
      clock: this.#deps.clock,
    };
    let runtime: MiddlewareRuntime;
    try {
      const definition = this.#deps.definitions[spec.kind] as unknown as MiddlewareDefinition<unknown>;
      runtime = definition.create(spec.options, ctx);
    } catch (err) {
      this.errors.set(name, err instanceof Error ? err.message : String(err));
      if (err instanceof WharfError) this.errorCodes.set(name, err.code);
      return undefined;
    }
    let closed = false;
    const instance: MiddlewareInstance = {
      name,
      router,
      key,
      members,
      services,
      wrap: this.#deps.traceMiddleware?.(spec.kind, name, runtime.wrap) ?? runtime.wrap,
      ...(runtime.status && { status: runtime.status.bind(runtime) }),
      close: () => {
        if (closed) return;
        closed = true;
        const failed = (err: unknown) =>
          logger.error({ err, middleware: name, router }, 'middleware did not close cleanly');
        try {
          const done = runtime.close?.();
          if (done) done.catch(failed);
        } catch (err) {
          failed(err);
        }
      },
    };
    this.#created.push(instance);
    return instance;
  }
}
