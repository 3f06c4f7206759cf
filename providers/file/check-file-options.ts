import type { Diagnostic } from '../../config/diagnostics.ts';
import { formatError } from '../../config/errors.ts';
import type { StaticConfig } from '../../config/static.ts';

/** The problem of a file provider given neither a file nor a directory. */
export const FILE_SOURCE_MISSING = 'set filename (one file) or directory (every file in it)';

/**
 * The file provider's checks of its own options (Traefik's provider `Init()`): `filename` or `directory`.
 * Neither stops the start (`wharf check` reports it); both is a warning: the directory is read and the
 * file is not, as Traefik does.
 */
export function checkFileOptions(config: NonNullable<StaticConfig['providers']['file']>): Diagnostic[] {
  const both = config.filename !== undefined && config.directory !== undefined;
  const problem = both
    ? 'filename and directory are both set: the directory is read and filename is ignored, as Traefik does; keep one'
    : config.filename || config.directory
      ? undefined
      : FILE_SOURCE_MISSING;
  if (problem === undefined) return [];
  return [
    {
      source: 'static',
      subject: 'providers.file',
      code: 'FILE_PROVIDER_SOURCE',
      message: formatError('FILE_PROVIDER_SOURCE', { problem }),
      severity: both ? 'warning' : 'error',
      item: { kind: 'provider', name: 'file' },
      key: 'providers.file',
    },
  ];
}
