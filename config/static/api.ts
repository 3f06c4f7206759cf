import { z } from 'zod';

// Traefik v3.7's `api` and `ping` sections (pkg/config/static/static_config.go `API`, pkg/ping `Handler`),
// key for key. Descriptions are user documentation (docs/reference/static.md, docs/observability/api.md).

/** Traefik's rule for `api.basePath`: an absolute URL path of plain characters. */
const BASE_PATH = /^\/[a-zA-Z0-9/_.:~-]*$/;

/** `api`: Traefik's read-only API (`api@internal`) and the dashboard (`dashboard@internal`). */
export const ApiSchema = z.strictObject({
  basePath: z
    .string()
    .regex(BASE_PATH, 'API basePath must be a valid absolute URL path, e.g. /traefik')
    .default('/')
    .describe(
      'Path under which the API, the dashboard and the debug endpoints are served (default /): {basePath}/api/..., {basePath}/dashboard/',
    ),
  insecure: z
    .boolean()
    .default(false)
    .describe(
      'Also serve the API and the dashboard on the wharf entryPoint (default :8080) without any protection; otherwise route to api@internal yourself',
    ),
  dashboard: z
    .boolean()
    .default(true)
    .describe('Serve the dashboard at {basePath}/dashboard/ (api@internal) and as dashboard@internal'),
  debug: z
    .boolean()
    .default(false)
    .describe(
      "Serve {basePath}/debug/vars (the process's memory, CPU and event-loop figures as JSON); Go's /debug/pprof/ answers 501",
    ),
  disableDashboardAd: z
    .boolean()
    .default(false)
    .describe('Hide the advertisement in the dashboard (Wharf shows none; reported by /api/version)'),
  dashboardName: z
    .string()
    .optional()
    .describe('A name the dashboard shows for this instance (reported by /api/version)'),
});

/** `ping`: a health check endpoint (`ping@internal`) for load balancers and Docker HEALTHCHECK. */
export const PingSchema = z.strictObject({
  entryPoint: z.string().default('wharf').describe('EntryPoint that serves /ping (default wharf)'),
  manualRouting: z
    .boolean()
    .default(false)
    .describe('Do not serve /ping on the entryPoint: route to ping@internal yourself'),
  terminatingStatusCode: z.number().int().default(503).describe('Status of /ping while shutting down'),
});

/** The `api` section after defaults. */
export type ApiConfig = z.infer<typeof ApiSchema>;
/** The `ping` section after defaults. */
export type PingConfig = z.infer<typeof PingSchema>;
