import type { StaticConfig } from '../../config/static.ts';
import { basePrefix } from './internal-config.ts';

/**
 * The start-up line for `api` without `insecure`: as in Traefik, nothing of the API or the dashboard is
 * served until a router names `api@internal`, which a user who expects port 8080 to answer should be told.
 * Undefined when there is no api section or it is insecure (then the wharf entryPoint serves it).
 */
export function apiStartNotice(config: Pick<StaticConfig, 'api'>): string | undefined {
  const api = config.api;
  if (!api || api.insecure) return undefined;
  const base = basePrefix(api.basePath);
  const rule = api.dashboard
    ? `PathPrefix(\`${base}/api\`) || PathPrefix(\`${base}/dashboard\`)`
    : `PathPrefix(\`${base}/api\`)`;
  return `api: nothing is served until a router names service api@internal (api.insecure is false), e.g. rule ${rule} behind an auth middleware`;
}
