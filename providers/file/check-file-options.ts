import type { Diagnostic } from '../../config/diagnostics.ts';
import { formatError } from '../../config/errors.ts';
import type { StaticConfig } from '../../config/static.ts';

/** The problem of a file provider given neither a file nor a directory. */
export const FILE_SOURCE_MISSING = 'set filename (one file) or directory (every file in it)';

/**
 * The file provider's checks of its own options (Traefik's provider `Init()`): exactly one of `filename`
 * and `directory`. Each problem stops the start (`wharf check` reports it).
 */
export function checkFileOptions(config: NonNullable<StaticConfig['providers']['file']>): Diagnostic[] {
  const problem = config.filename
    ? config.directory
      ? 'set either filename or directory, not both'
      : undefined
    : config.directory
      ? undefined
      : FILE_SOURCE_MISSING;
  if (problem === undefined) return [];
  return [
    {
      source: 'static',
      subject: 'providers.file',
      code: 'FILE_PROVIDER_SOURCE',
      message: formatError('FILE_PROVIDER_SOURCE', { problem }),
      severity: 'error',
      item: { kind: 'provider', name: 'file' },
      key: 'providers.file',
    },
  ];
}
