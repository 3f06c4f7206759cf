import type { Diagnostic } from '../../config/diagnostics.ts';
import type { DynamicConfig } from '../../config/dynamic.ts';
import { mergeFragments } from '../merge-fragments.ts';

/**
 * Merges per-container configurations into the Docker provider's. Replicas (the same service on several
 * containers, equal but for their servers) share one service whose servers are the union, in container
 * name order; routers and middlewares defined identically are kept once. Anything defined differently
 * is left out with an error naming the containers (Traefik deletes it with a log line).
 */
export function mergeContainerConfigs(parts: ReadonlyArray<{ container: string; config: DynamicConfig }>): {
  config: DynamicConfig;
  diagnostics: Diagnostic[];
} {
  const sorted = [...parts].sort((a, b) =>
    a.container < b.container ? -1 : a.container > b.container ? 1 : 0,
  );
  return mergeFragments(
    sorted.map((p) => ({ source: p.container, config: p.config })),
    { provider: 'docker', unionServers: true },
  );
}
