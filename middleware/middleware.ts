import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../core/log.ts';
import type { Clock } from './clock.ts';

/** Handles one request to completion; rejects only on unexpected errors (rendered as 500 once). */
export type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/**
 * Wraps the next handler of a chain. Called once per distinct chain of a generation, never per request;
 * the handler it returns may be shared by many routers (router/compile/provision.ts), so state that
 * belongs to one router lives in an instance of its own (`perRouter` on the definition), never in a
 * lookup by router name.
 */
export type Middleware = (next: Handler) => Handler;

/** A built middleware: the wrapping function and what to release when no generation uses it any more. */
export interface MiddlewareRuntime {
  readonly wrap: Middleware;
  /** Stops timers, closes sockets and pools; called once, after the last generation using it drained. */
  close?(): void | Promise<void>;
  /** Live state the API shows for the middleware (a breaker's state); called per API request, cheap. */
  status?(): Record<string, unknown>;
}

/** What a factory gets besides its options. */
export interface MiddlewareContext {
  /** Qualified name of the middleware being built (`name@provider`). */
  readonly name: string;
  /**
   * The router this instance serves when the definition is `perRouter` (`service:<name>` for the instance a
   * service's own `middlewares` use); undefined for shared instances.
   */
  readonly router: string | undefined;
  /**
   * The built middleware a reference names (qualified in this middleware's provider). Only references the
   * definition's `references` declared can be resolved; they were checked (missing, recursion) beforehand.
   */
  readonly resolve: (reference: string) => Middleware;
  /**
   * The built handler of a service the options name (qualified in this middleware's provider, as Traefik
   * qualifies a middleware's service). Only services the definition's `serviceReferences` declared can be
   * resolved; they were checked (missing, disabled) beforehand. Optional so that contexts built by hand
   * (unit tests of middlewares without services) need not provide it.
   */
  readonly resolveService?: (reference: string) => Handler;
  readonly logger: Logger;
  /** Time and timers; tests pass a clock they advance by hand, so no test sleeps. */
  readonly clock: Clock;
}

/**
 * One middleware kind: how to build it from its validated options.
 *
 * Lifecycle of a middleware instance:
 * 1. Resolve (pure, router/compile/resolve-middlewares.ts): the kind is checked and the references the
 *    definition declares (a chain's members) are qualified and checked for absence and recursion, and the
 *    services it declares (`serviceReferences`) for absence or being disabled; a problem disables the
 *    middleware and every router using it (`ROUTER_DISABLED_DEPENDENCY`). Nothing is built.
 * 2. Provision (middleware/instances.ts): for each middleware a served router uses (once per router if
 *    `perRouter`, or if a member is), the instance of the serving generation is reused when its stable key
 *    (kind and options, stably stringified, and the identity of its member instances and of the service
 *    handlers it references) is unchanged: its
 *    state (buckets, breaker state, client pools) survives the reload. Otherwise `create` is called.
 * 3. A `create` that throws disables that middleware only, with `MIDDLEWARE_INVALID` and the message, and
 *    the routers using it with `ROUTER_DISABLED_DEPENDENCY`; every other router is served.
 * 4. The instance's `wrap` is composed with the rest of the router's chain and the service handler, once per
 *    distinct chain, never per request.
 * 5. `TableRef.swap` makes the generation current and holds one reference on each of its instances.
 * 6. When a replaced generation has drained, its references are dropped; an instance no live generation
 *    holds is closed (`close()`, exactly once). Shutdown closes every instance still held.
 * 7. If provisioning fails unexpectedly, the instances it created are closed and the serving generation
 *    stays.
 */
export interface MiddlewareDefinition<O> {
  /** Builds an instance; throws when the options cannot work (the message says why). */
  readonly create: (options: O, ctx: MiddlewareContext) => MiddlewareRuntime;
  /** One instance per router using it (rate limits, in-flight counters, breakers count per router). */
  readonly perRouter?: boolean;
  /** Other middlewares the options name (a chain's members), unqualified as written. */
  readonly references?: (options: O) => readonly string[];
  /** Services the options name (the errors middleware's page service), unqualified as written. */
  readonly serviceReferences?: (options: O) => readonly string[];
}

/** A definition for a middleware without state to release: `create` returns the wrapping function only. */
export function stateless<O>(make: (options: O) => Middleware): MiddlewareDefinition<O> {
  return { create: (options) => ({ wrap: make(options) }) };
}

/** Applies middlewares so the first in the list runs first. */
export function compose(middlewares: readonly Middleware[], last: Handler): Handler {
  let h = last;
  for (let i = middlewares.length - 1; i >= 0; i--) h = (middlewares[i] as Middleware)(h);
  return h;
}
