import type { ErrorCode } from './errors.ts';

/** What a diagnostic is about, when it is about one item of the configuration. */
export interface DiagnosticItem {
  readonly kind: 'router' | 'service' | 'middleware' | 'serversTransport' | 'entryPoint' | 'provider' | 'tls';
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
