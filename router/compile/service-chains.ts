import type { MiddlewareInstance, MiddlewareInstances } from '../../middleware/instances.ts';
import type { ServiceChainBuilder } from '../services/build-services.ts';
import type { ServiceRuntime } from '../services/service.ts';

/**
 * The scope of a service's middleware instances: a middleware built once per router (rateLimit,
 * inFlightReq, circuitBreaker) gets one instance per service when a service carries it, as Traefik
 * builds a service's chain once for the service, whichever routers use it.
 */
export function serviceScope(service: string): string {
  return `service:${service}`;
}

/**
 * Builds services' own middlewares from this generation's middleware instances (reused across reloads
 * while unchanged, as routers' are): `bind` receives the on-demand service lookup first, for middlewares
 * that name a service. A middleware that cannot be built gives the reason, naming it.
 */
export function serviceChainBuilder(
  instances: MiddlewareInstances,
  bind: (lookup: (q: string) => ServiceRuntime | undefined) => void,
): ServiceChainBuilder {
  return (service, names, lookup) => {
    bind(lookup);
    const parts: MiddlewareInstance[] = [];
    for (const name of names) {
      const instance = instances.get(name, serviceScope(service));
      if (!instance)
        return {
          error: `middleware "${name}" could not be built: ${instances.errors.get(name) ?? 'disabled'}`,
        };
      parts.push(instance);
    }
    return { parts, wraps: parts.map((i) => i.wrap) };
  };
}
