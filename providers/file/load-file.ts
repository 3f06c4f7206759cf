import { readFile } from 'node:fs/promises';
import { parseConfigText } from '../../config/config-file.ts';
import type { Diagnostic } from '../../config/diagnostics.ts';
import type { DynamicConfig } from '../../config/dynamic.ts';
import { validateDynamic } from '../../config/validate-dynamic.ts';

/** What reading one dynamic file gave: its validated configuration, or why there is none. */
export type FileOutcome =
  | { readonly kind: 'ok'; readonly config: DynamicConfig; readonly diagnostics: Diagnostic[] }
  | { readonly kind: 'empty' }
  | { readonly kind: 'unreadable'; readonly problem: string }
  | { readonly kind: 'invalid'; readonly message: string; readonly where: string };

/**
 * Reads, parses and validates one dynamic configuration file (the file provider's name as the diagnostics'
 * source). Plain data in and out, so it runs on the main thread or in the reading worker alike.
 */
export async function loadFile(file: string, source: string): Promise<FileOutcome> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const problem =
      (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file does not exist' : (err as Error).message;
    return { kind: 'unreadable', problem };
  }
  if (text.trim() === '') return { kind: 'empty' };
  const parsed = parseConfigText(text, file);
  if (!parsed.ok) {
    const where =
      parsed.line !== undefined
        ? ` (line ${parsed.line}${parsed.column !== undefined ? `, column ${parsed.column}` : ''})`
        : '';
    return { kind: 'invalid', message: parsed.message, where };
  }
  const { config, diagnostics } = validateDynamic(parsed.value, {
    source,
    subject: file,
    locate: parsed.locate,
  });
  return { kind: 'ok', config, diagnostics };
}
