import { compose, type Middleware } from '../../middleware/middleware.ts';
import type { ServiceRuntime } from './service.ts';

/** A service's own middlewares as built: the instances (identity decides reuse) and their wrappers in order. */
export interface ServiceChain {
  readonly parts: readonly object[];
  readonly wraps: readonly Middleware[];
}

/** A service behind its middlewares: what it wraps, with what, and the runtime others use. */
export interface WrappedService {
  readonly inner: ServiceRuntime;
  readonly parts: readonly object[];
  readonly runtime: ServiceRuntime;
}

/**
 * The service `inner` behind its own `middlewares` (Traefik v3.7 pkg/server/service/service.go wraps the
 * balancer in the chain after building it): requests run the chain, then the balancer; health and server
 * picks are the balancer's. The previous generation's wrapper is reused while it wraps the same runtime
 * with the same middleware instances, so a parent weighted service that compares its children by identity
 * keeps its rotation across reloads. Closing is the inner runtime's (the generation holds that one).
 */
export function withMiddlewares(
  inner: ServiceRuntime,
  chain: ServiceChain,
  previous: { readonly runtime: ServiceRuntime; readonly wrapped?: WrappedService } | undefined,
): WrappedService {
  const old = previous?.wrapped;
  if (
    old &&
    old.inner === inner &&
    old.parts.length === chain.parts.length &&
    old.parts.every((p, i) => p === chain.parts[i])
  )
    return old;
  const runtime: ServiceRuntime = {
    name: inner.name,
    handler: compose(chain.wraps, inner.handler),
    isAvailable: () => inner.isAvailable(),
    serverStatus: () => inner.serverStatus(),
    pickServer: () => inner.pickServer(),
    close: () => {},
  };
  return { inner, parts: chain.parts, runtime };
}
