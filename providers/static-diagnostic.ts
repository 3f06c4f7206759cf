import type { Diagnostic } from '../config/diagnostics.ts';
import { WharfError } from '../config/errors.ts';

/**
 * A start-up check's thrown WharfError as a static diagnostic of provider `provider` at option `key`;
 * anything else is rethrown (a bug, not bad input).
 */
export function staticDiagnostic(provider: string, key: string, err: unknown): Diagnostic {
  if (!(err instanceof WharfError)) throw err;
  return {
    source: 'static',
    subject: key,
    code: err.code,
    message: err.message,
    severity: 'error',
    item: { kind: 'provider', name: provider },
    key,
  };
}
