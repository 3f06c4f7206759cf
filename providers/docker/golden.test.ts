import { join } from 'node:path';
import { describe } from 'vitest';
import type { Diagnostic } from '../../config/diagnostics.ts';
import type { DynamicConfig } from '../../config/dynamic.ts';
import { DockerProviderSchema } from '../../config/static.ts';
import { fakeContainer } from '../../test/helpers/container-fixture.ts';
import { goldenFiles } from '../../test/helpers/golden.ts';
import { containerName, decodeContainer, decodeContainers } from './decode.ts';

// Labels → configuration, one case per file in test/golden/docker. Each file holds `options` (over the
// provider defaults), `containers` (inspect results, over CONTAINER_DEFAULTS: running, on `bridge` at
// 172.17.0.2) and `expected`. Refresh after an intended change with
//   UPDATE_GOLDEN=1 npx vitest run providers/docker/golden.test.ts
// and review the diff.

const DIR = join(import.meta.dirname, '..', '..', 'test', 'golden', 'docker');

interface GoldenCase {
  description: string;
  options: Record<string, unknown>;
  containers: Array<Record<string, unknown> & { Name: string }>;
  expected: Expected | null;
}

interface Expected {
  config: DynamicConfig;
  /** Codes, subjects and keys (messages are asserted by the unit tests, not here). */
  diagnostics: Array<Pick<Diagnostic, 'severity' | 'code' | 'subject' | 'key' | 'item' | 'suggestion'>>;
  /** Why each left-out container was left out. */
  skipped: Record<string, string>;
}

function run(golden: GoldenCase): Expected {
  const opts = DockerProviderSchema.parse(golden.options);
  const containers = golden.containers.map((c) => fakeContainer(c));
  const { config, diagnostics } = decodeContainers(containers, opts);
  const skipped: Record<string, string> = {};
  for (const c of containers) {
    const reason = decodeContainer(c, opts).skipped;
    if (reason !== undefined) skipped[containerName(c)] = reason;
  }
  return {
    config,
    diagnostics: diagnostics.map((d) => ({
      severity: d.severity,
      code: d.code,
      subject: d.subject,
      ...(d.key !== undefined && { key: d.key }),
      ...(d.item !== undefined && { item: d.item }),
      ...(d.suggestion !== undefined && { suggestion: d.suggestion }),
    })),
    skipped,
  };
}

describe('docker labels golden files', () => {
  goldenFiles<GoldenCase>(DIR, 21, run);
});
