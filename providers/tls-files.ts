import { readFileSync } from 'node:fs';
import { WharfError } from '../config/errors.ts';

/** Client TLS settings as the providers' static options give them: file paths. */
export interface TlsFileOptions {
  readonly ca?: string | undefined;
  readonly cert?: string | undefined;
  readonly key?: string | undefined;
}

/**
 * Reads a provider's TLS files; throws a WharfError (PROVIDER_TLS_FILE_UNREADABLE) naming the option
 * (`providers.docker.tls.ca`), the path and why, so a wrong path fails at start.
 */
export function readTlsFiles(
  option: string,
  tls: TlsFileOptions | undefined,
): { ca?: Buffer; cert?: Buffer; key?: Buffer } {
  const out: { ca?: Buffer; cert?: Buffer; key?: Buffer } = {};
  for (const what of ['ca', 'cert', 'key'] as const) {
    const path = tls?.[what];
    if (!path) continue;
    try {
      out[what] = readFileSync(path);
    } catch (err) {
      throw new WharfError('PROVIDER_TLS_FILE_UNREADABLE', {
        option: `${option}.${what}`,
        path,
        problem: (err as NodeJS.ErrnoException).code ?? String(err),
      });
    }
  }
  return out;
}
