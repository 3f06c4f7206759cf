import type { RuleSyntax } from '../../core/rules/rule-matcher.ts';
import type { Clock } from '../../middleware/clock.ts';
import type { InstanceDeps, MiddlewareInstance } from '../../middleware/instances.ts';
import type { Handler } from '../../middleware/middleware.ts';
import type { MiddlewareRegistry } from '../../middleware/registry.ts';
import type { CachedService } from '../services/build-services.ts';
import type { ServiceDeps, ServiceRuntime } from '../services/service.ts';
import type { TlsDeps, TlsState } from '../tls/build-tls.ts';
import type { HostOptions } from '../tls/host-options.ts';
import type { AcmeDomain } from '../tls/router-tls.ts';
import type { RouteIndex } from './route-index.ts';
import type { RouterPlan } from './routing-plan.ts';
import type { RuntimeInfo } from './runtime-info.ts';

// What compile takes and gives: the routing table a generation serves. The plan in between: routing-plan.ts.

/** An entryPoint as compile sees it. */
export interface EntryPointSpec {
  readonly name: string;
  /** entryPoints.<name>.http.middlewares, prepended to every router on it. */
  readonly middlewares: readonly string[];
  /** Whether routers without entryPoints attach here (false for the internal wharf entryPoint). */
  readonly isDefault: boolean;
  /** entryPoints.<name>.http.tls: routers without `tls` are served over TLS here with these settings. */
  readonly tls?: {
    readonly options?: string | undefined;
    readonly certResolver?: string | undefined;
    readonly domains?: readonly AcmeDomain[] | undefined;
  };
}

/**
 * A service Wharf provides itself (`api@internal`, `ping@internal`, ...), which any router of any provider
 * may name: its handler, or why it cannot be used (Traefik's words: "api is not enabled").
 */
export type InternalService = { readonly handler: Handler } | { readonly disabled: string };

/** What the resolve step needs besides the configuration; it starts nothing, so `wharf check` uses it alone. */
export interface ResolveDeps {
  readonly entryPoints: readonly EntryPointSpec[];
  /**
   * Wharf's own services by qualified name (router/api/internal-services.ts). Absent: a `name@internal`
   * reference resolves like any other name (`wharf check --labels` stubs services of other providers).
   */
  readonly internalServices?: ReadonlyMap<string, InternalService>;
  /** Certificate file reader and the generated default certificate (absent: no default certificate). */
  readonly tls?: TlsDeps;
  /** Names of the configured certificate resolvers (`certificatesResolvers`). */
  readonly certResolvers?: ReadonlySet<string>;
  /** Middleware definitions by kind (default: middleware/registry.ts); tests pass their own. */
  readonly middlewares?: MiddlewareRegistry;
  /** The static `core.defaultRuleSyntax`: the syntax of routers without `ruleSyntax` (default v3). */
  readonly defaultRuleSyntax?: RuleSyntax;
}

/** What provisioning needs: where services and middlewares get their resources, and what to reuse. */
export interface ProvisionDeps extends ServiceDeps {
  /** Load balancers of the serving generation, reused when unchanged. */
  readonly previousServices: ReadonlyMap<string, CachedService>;
  /** Middleware instances of the serving generation, reused when unchanged. */
  readonly previousMiddlewares?: ReadonlyMap<string, MiddlewareInstance>;
  /** Middleware definitions by kind (default: middleware/registry.ts). */
  readonly middlewares?: MiddlewareRegistry;
  /** The clock middlewares get (default: the system clock). */
  readonly clock?: Clock;
  /** Wraps each middleware instance for tracing (router/tracing/middleware-spans.ts); absent: tracing off. */
  readonly traceMiddleware?: InstanceDeps['traceMiddleware'];
}

/** What compile needs besides the configuration. */
export interface CompileDeps extends ResolveDeps, ProvisionDeps {}

/** A served router whose certificate a resolver obtains: Traefik's one certificate per router or domain. */
export interface AcmeDemand {
  readonly router: string;
  readonly resolver: string;
  /** `tls.domains` as written, or one domain from the Host rule (first host main, the others SANs). */
  readonly domains: readonly AcmeDomain[];
}

/** A generation's TLS side: certificates, options, and which options each entryPoint's hosts get. */
export interface TlsRuntime {
  readonly state: TlsState;
  readonly hostOptions: HostOptions;
}

/** A router ready to serve on one entryPoint. */
export interface CompiledRoute {
  readonly router: string;
  readonly handler: Handler;
  /** For tracing (router/tracing/): the rule, the qualified service and the `observability` options. */
  readonly rule?: string;
  readonly service?: string;
  readonly observability?: RouterPlan['observability'];
}

/** A compiled generation: one route index per entryPoint, the services it owns, and what the API shows. */
export interface RoutingTable {
  /** Routers served on plain HTTP (no `tls`), per entryPoint. */
  readonly entryPoints: ReadonlyMap<string, RouteIndex<CompiledRoute>>;
  /** Routers served over TLS (`tls` set on the router or its entryPoint), per entryPoint. */
  readonly secureEntryPoints?: ReadonlyMap<string, RouteIndex<CompiledRoute>>;
  readonly tls?: TlsRuntime;
  /** Certificates the enabled TLS routers ask resolvers for. */
  readonly acme?: readonly AcmeDemand[];
  readonly services: ReadonlyMap<string, ServiceRuntime>;
  readonly serviceCache: ReadonlyMap<string, CachedService>;
  /** Every middleware instance this generation serves with (new or reused), by instanceKey. */
  readonly middlewareCache?: ReadonlyMap<string, MiddlewareInstance>;
  readonly info: RuntimeInfo;
}
