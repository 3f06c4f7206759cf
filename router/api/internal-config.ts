import type { DynamicConfig } from '../../config/dynamic.ts';
import { INTERNAL_ENTRYPOINT, type StaticConfig } from '../../config/static.ts';
import type { Snapshot } from '../../providers/provider.ts';
import { INTERNAL_PROVIDER } from '../compile/resolve-routing.ts';

// Traefik's internal provider (pkg/provider/traefik/internal.go): the routers that serve the API, the
// dashboard and /ping on their entryPoints without any user configuration. They sit at the top of the
// priority range, which user routers cannot reach (MAX_USER_PRIORITY), and show in the API as
// `api@internal`, `ping@internal`, ... like any router.

/** The top priority (Traefik's math.MaxInt), as far as a JavaScript number holds it exactly. */
const TOP = Number.MAX_SAFE_INTEGER;

/** `/{basePath}` without its trailing slash ('' for the default `/`), the prefix of every API path. */
export function basePrefix(basePath: string): string {
  return basePath.replace(/\/+$/, '');
}

/**
 * The internal provider's configuration for a static configuration:
 * - `api.insecure`: router `api` (PathPrefix {basePath}/api → api@internal) on the wharf entryPoint; with
 *   `api.dashboard`, router `dashboard` (everything else there → dashboard@internal, `/` redirected to
 *   /dashboard/ and /dashboard/ stripped, as Traefik does); with `api.debug`, router `debug` (/debug).
 * - `ping` without `manualRouting`: router `ping` (PathPrefix /ping → ping@internal) on `ping.entryPoint`.
 * - `metrics.prometheus` without `manualRouting`: router `prometheus` (PathPrefix /metrics →
 *   prometheus@internal) on `metrics.prometheus.entryPoint`.
 * Traefik keeps the API's insecure routers on `/api` whatever basePath says (its docs call the two
 * incompatible); Wharf puts them under basePath, so both work together.
 */
export function internalConfig(config: StaticConfig): DynamicConfig {
  const routers: Record<string, NonNullable<NonNullable<DynamicConfig['http']>['routers']>[string]> = {};
  const middlewares: NonNullable<NonNullable<DynamicConfig['http']>['middlewares']> = {};
  const api = config.api;
  if (api?.insecure) {
    const base = basePrefix(api.basePath);
    routers.api = {
      entryPoints: [INTERNAL_ENTRYPOINT],
      service: 'api@internal',
      priority: TOP - 1,
      rule: `PathPrefix(\`${base}/api\`)`,
    };
    if (api.dashboard) {
      routers.dashboard = {
        entryPoints: [INTERNAL_ENTRYPOINT],
        service: 'dashboard@internal',
        priority: TOP - 2,
        rule: `PathPrefix(\`${base}/\`)`,
        middlewares: ['dashboard_redirect@internal', 'dashboard_stripprefix@internal'],
      };
      // Traefik's: only `http://host[:port]/` (the bare root) is redirected, permanently.
      middlewares.dashboard_redirect = {
        redirectRegex: {
          regex: `^(http:\\/\\/(\\[[\\w:.]+\\]|[\\w\\._-]+)(:\\d+)?)${escapeRegExp(base)}\\/$`,
          replacement: `\${1}${base}/dashboard/`,
          permanent: true,
        },
      };
      middlewares.dashboard_stripprefix = {
        stripPrefix: { prefixes: [`${base}/dashboard/`, `${base}/dashboard`] },
      };
    }
    if (api.debug)
      routers.debug = {
        entryPoints: [INTERNAL_ENTRYPOINT],
        service: 'api@internal',
        priority: TOP - 1,
        rule: `PathPrefix(\`${base}/debug\`)`,
      };
  }
  if (config.ping && !config.ping.manualRouting)
    routers.ping = {
      entryPoints: [config.ping.entryPoint],
      service: 'ping@internal',
      priority: TOP,
      rule: 'PathPrefix(`/ping`)',
    };
  const prom = config.metrics?.prometheus;
  if (prom && !prom.manualRouting)
    routers.prometheus = {
      entryPoints: [prom.entryPoint],
      service: 'prometheus@internal',
      priority: TOP,
      rule: 'PathPrefix(`/metrics`)',
    };
  return { http: { routers, middlewares } };
}

/** The internal provider's snapshot, merged with every provider's on each reload. */
export function internalSnapshot(config: StaticConfig): Snapshot {
  return { provider: INTERNAL_PROVIDER, config: internalConfig(config), diagnostics: [] };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
