import { z } from 'zod';

/**
 * `middlewares` on a service (Traefik v3.7 `dynamic.Service.Middlewares`): names run in order for every
 * request the service handles, after the router's chain, whichever router (or parent service) sends it.
 */
export const ServiceMiddlewaresSchema = z
  .array(z.string())
  .describe(
    "Middlewares applied in order to every request this service handles, after the router middlewares (name or name@provider, resolved in the service's provider); an unknown or broken one disables the service",
  );
