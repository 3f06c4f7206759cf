import type { Diagnostic } from '../config/diagnostics.ts';
import type { DynamicConfig } from '../config/dynamic.ts';
import type { ProviderStats } from './provider-stats.ts';

/** A provider's complete output at one moment: never a delta. */
export interface Snapshot {
  readonly provider: string;
  /** Complete and validated; items with errors are already left out. */
  readonly config: DynamicConfig;
  /** Items left out or kept with warnings, each with where and why. */
  readonly diagnostics: readonly Diagnostic[];
  /**
   * snapshotFingerprint(config, diagnostics) (core/fingerprint.ts), when the provider computed it off the
   * main thread; the watcher computes it otherwise.
   */
  readonly fingerprint?: string;
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
  /** Failures and source facts for the metrics, when the provider keeps them. */
  readonly stats?: ProviderStats;
  watch(signal: AbortSignal): AsyncIterable<Snapshot>;
}
