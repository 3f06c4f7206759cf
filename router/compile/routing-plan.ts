import type { Diagnostic } from '../../config/diagnostics.ts';
import type { RouterConfig, ServiceConfig } from '../../config/dynamic.ts';
import type { Matcher } from '../../core/rules/rule-matcher.ts';
import type { RuleAst } from '../../core/rules/rule-parser.ts';
import type { MiddlewareSpec } from '../../middleware/instances.ts';
import type { Handler } from '../../middleware/middleware.ts';
import type { Transports } from '../services/servers-transport.ts';
import type { RuntimeInfo } from './runtime-info.ts';
import type { AcmeDemand, TlsRuntime } from './table-types.ts';

/** A router on one entryPoint: which index it goes in and which chain runs before its service. */
export interface PlannedRoute {
  readonly entryPoint: string;
  /** In the entryPoint's TLS index (the router or the entryPoint sets `tls`), else the plain HTTP one. */
  readonly secure: boolean;
  /** Key of its chain in RoutingPlan.chains. */
  readonly chain: string;
}

/** A router the resolve step found servable, with everything provisioning needs to serve it. */
export interface RouterPlan {
  readonly name: string;
  readonly priority: number;
  readonly ast: RuleAst;
  readonly matcher: Matcher;
  /** Qualified name of its service. */
  readonly service: string;
  readonly routes: readonly PlannedRoute[];
  /** The rule as written and the `observability` options (tracing: router/tracing/). */
  readonly rule: string;
  readonly observability?: RouterConfig['observability'];
}

/**
 * What a configuration asks for, worked out without building anything: the output of the pure resolve step
 * and the input of provisioning (router/compile/compile.ts). Provisioning takes ownership of it: `info` and
 * `diagnostics` become the table's, with the problems building adds.
 */
export interface RoutingPlan {
  /** Every entryPoint's name: each gets an index, empty or not. */
  readonly entryPoints: readonly string[];
  /** Servable routers, in name order. */
  readonly routers: readonly RouterPlan[];
  /** Chains by key: the qualified middleware names a request runs through, entryPoint's first. */
  readonly chains: ReadonlyMap<string, readonly string[]>;
  /** Services to build (those without a reference problem), by qualified name. */
  readonly services: ReadonlyMap<string, ServiceConfig>;
  /** The named servers transports services may choose, and those a provider left out (and why). */
  readonly transports: Omit<Transports, 'defaults'>;
  /** Wharf's own services the planned routers name (`api@internal`, ...), by qualified name. */
  readonly internalHandlers: ReadonlyMap<string, Handler>;
  /** Middlewares that can be built, by qualified name. */
  readonly middlewares: ReadonlyMap<string, MiddlewareSpec>;
  readonly tls: TlsRuntime;
  readonly acme: readonly AcmeDemand[];
  readonly info: RuntimeInfo;
  readonly diagnostics: Diagnostic[];
}
