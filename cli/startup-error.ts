import { WharfError } from '../config/errors.ts';

/** A start-up failure as both commands print it: a catalog error with its code, anything else as it is. */
export function startupError(err: unknown): string {
  return err instanceof WharfError ? `[${err.code}] ${err.message}` : String((err as Error)?.message ?? err);
}
