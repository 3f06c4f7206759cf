import type { DynamicConfig } from '../config/dynamic.ts';
import type { ErrorCode } from '../config/errors.ts';

/** What a diagnostic is about, when it is about one item of the configuration. */
export interface DiagnosticItem {
  readonly kind: 'router' | 'service' | 'middleware' | 'entryPoint' | 'provider' | 'tls';
  /** The item's name as its provider wrote it (unqualified). */
  readonly name: string;
}

/**
 * A problem found in input: a bad label, KV key, file entry, rule or reference. The item it belongs to
 * is left out (severity error) or kept with a warning; everything else keeps working.
 */
export interface Diagnostic {
  /** The provider or loader that found it: 'file', 'docker', 'consul', 'compile', 'static'. */
  readonly source: string;
  /** Where: a file path, container name, KV key, or the qualified name of a router. */
  readonly subject: string;
  readonly code: ErrorCode;
  readonly message: string;
  readonly severity: 'error' | 'warning';
  readonly item?: DiagnosticItem;
  /** The key (label, KV path or dotted file path) and its value, when a single key is at fault. */
  readonly key?: string;
  readonly value?: string;
  /** For typos: the nearest valid key or name. */
  readonly suggestion?: string;
}

/** A provider's complete output at one moment: never a delta. */
export interface Snapshot {
  readonly provider: string;
  /** Complete and validated; items with errors are already left out. */
  readonly config: DynamicConfig;
  /** Items left out or kept with warnings, each with where and why. */
  readonly diagnostics: readonly Diagnostic[];
}

/**
 * A source of routing configuration.
 *
 * Lifecycle:
 * 1. `watch(signal)` is called once; it yields a complete snapshot as soon as it has read its source.
 * 2. After each change it yields a new complete snapshot (the watcher drops unchanged ones).
 * 3. I/O failures are retried inside with backoff and logged; the iterator does not end on them, so the
 *    last good snapshot keeps serving.
 * 4. Aborting the signal ends the iterator and releases every resource (watchers, sockets, timers).
 */
export interface Provider {
  readonly name: string;
  watch(signal: AbortSignal): AsyncIterable<Snapshot>;
}
