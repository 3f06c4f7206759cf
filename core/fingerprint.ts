import { createHash } from 'node:crypto';
import { stableStringify } from './stable-stringify.ts';

/**
 * A digest of a provider's snapshot (its configuration and diagnostics), equal for equal snapshots whatever
 * order their keys were written in: the watcher drops a snapshot whose digest it has seen last. A digest,
 * not the text: a 10,000-router snapshot's text is over 1 MiB that would stay on the heap.
 */
export function snapshotFingerprint(config: unknown, diagnostics: unknown): string {
  return createHash('sha256')
    .update(stableStringify({ c: config, d: diagnostics }))
    .digest('base64');
}
