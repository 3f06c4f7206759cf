import type { Diagnostic } from '../../config/diagnostics.ts';
import type { DynamicConfig } from '../../config/dynamic.ts';
import { mergeFragments } from '../merge-fragments.ts';

/**
 * Merges the configurations of several files of one provider. An item defined identically in several
 * files is kept once; defined differently, it is left out with an error naming every file (Traefik
 * keeps whichever it read first, which depends on file order).
 */
export function mergeFileConfigs(parts: ReadonlyArray<{ file: string; config: DynamicConfig }>): {
  config: DynamicConfig;
  diagnostics: Diagnostic[];
} {
  return mergeFragments(
    parts.map((p) => ({ source: p.file, config: p.config })),
    { provider: 'file' },
  );
}
