import { type FSWatcher, watch as fsWatch } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { dirname, extname, join, resolve } from 'node:path';
import { parseConfigText } from '../../config/config-file.ts';
import type { Diagnostic } from '../../config/diagnostics.ts';
import type { DynamicConfig } from '../../config/dynamic.ts';
import { formatError, WharfError } from '../../config/errors.ts';
import { validateDynamic } from '../../config/validate-dynamic.ts';
import type { Logger } from '../../core/log.ts';
import type { Provider, Snapshot } from '../provider.ts';
import { FILE_SOURCE_MISSING } from './check-file-options.ts';
import { mergeFileConfigs } from './merge-files.ts';

const CONFIG_EXTENSIONS = new Set(['.yml', '.yaml', '.toml', '.json']);
const DEBOUNCE_MS = 30;

/** Options of the file provider (`providers.file`). */
export interface FileProviderOptions {
  readonly filename?: string;
  readonly directory?: string;
  readonly watch: boolean;
  readonly logger: Logger;
}

/**
 * The file provider: one dynamic configuration file, or every .yml/.yaml/.toml/.json file under a
 * directory (recursively, merged in path order). A file that cannot be read or parsed keeps its last
 * good configuration and reports the file, line and problem; a bad item in a valid file is left out
 * alone. With `watch`, changes (including editors' write-and-rename) are picked up within ~30 ms.
 */
export class FileProvider implements Provider {
  readonly name = 'file';
  private readonly o: FileProviderOptions;
  private readonly lastGood = new Map<string, DynamicConfig>();

  constructor(options: FileProviderOptions) {
    if (!options.filename && !options.directory)
      throw new WharfError('FILE_PROVIDER_SOURCE', { problem: FILE_SOURCE_MISSING });
    this.o = options;
  }

  async *watch(signal: AbortSignal): AsyncIterable<Snapshot> {
    if (!this.o.watch) {
      yield await this.read();
      return;
    }
    // Watch before the first read, so a change made while that snapshot is being consumed is not lost.
    let wake: (() => void) | undefined;
    let dirty = false;
    let timer: NodeJS.Timeout | undefined;
    const poke = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        dirty = true;
        wake?.();
      }, DEBOUNCE_MS);
    };
    const watchers = this.startWatchers(poke);
    const onAbort = () => wake?.();
    signal.addEventListener('abort', onAbort);
    try {
      yield await this.read();
      while (!signal.aborted) {
        if (!dirty) await new Promise<void>((r) => (wake = r));
        wake = undefined;
        if (signal.aborted) break;
        dirty = false;
        yield await this.read();
      }
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      for (const w of watchers) w.close();
    }
  }

  private startWatchers(poke: () => void): FSWatcher[] {
    // Watch the directory, not the file: editors replace files by rename, which ends a file watch.
    const target = this.o.directory ? resolve(this.o.directory) : dirname(resolve(this.o.filename as string));
    const base = this.o.filename ? resolve(this.o.filename) : undefined;
    try {
      const w = fsWatch(target, { recursive: this.o.directory !== undefined }, (_event, name) => {
        if (!base || !name || resolve(target, name.toString()) === base) poke();
      });
      w.on('error', (err) => this.o.logger.error({ err, path: target }, 'file provider: watching failed'));
      return [w];
    } catch (err) {
      this.o.logger.error(
        { err, path: target },
        'file provider: cannot watch; changes will not be picked up',
      );
      return [];
    }
  }

  /** Reads every file and builds the provider's snapshot. */
  async read(): Promise<Snapshot> {
    const diagnostics: Diagnostic[] = [];
    const files = await this.listFiles(diagnostics);
    const parts: Array<{ file: string; config: DynamicConfig }> = [];
    for (const file of files) {
      const config = await this.readOne(file, diagnostics);
      if (config) parts.push({ file, config });
    }
    const merged = mergeFileConfigs(parts);
    diagnostics.push(...merged.diagnostics);
    return { provider: this.name, config: merged.config, diagnostics };
  }

  private async listFiles(diagnostics: Diagnostic[]): Promise<string[]> {
    if (this.o.filename) return [resolve(this.o.filename)];
    const dir = resolve(this.o.directory as string);
    let entries: string[];
    try {
      entries = await readdir(dir, { recursive: true });
    } catch (err) {
      diagnostics.push(this.fileError(dir, `${(err as Error).message}`, 'CONFIG_READ_ERROR'));
      return [...this.lastGood.keys()];
    }
    const files: string[] = [];
    for (const e of entries.sort()) {
      const p = join(dir, e);
      if (!CONFIG_EXTENSIONS.has(extname(p).toLowerCase())) continue;
      // An entry can vanish between listing and stat (an editor's atomic save) or be a dangling link.
      const isFile = await stat(p).then(
        (st) => st.isFile(),
        () => false,
      );
      if (isFile) files.push(p);
    }
    for (const known of [...this.lastGood.keys()]) if (!files.includes(known)) this.lastGood.delete(known);
    return files;
  }

  private async readOne(file: string, diagnostics: Diagnostic[]): Promise<DynamicConfig | undefined> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      diagnostics.push(
        this.fileError(
          file,
          (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file does not exist' : (err as Error).message,
          'CONFIG_READ_ERROR',
        ),
      );
      return this.lastGood.get(file);
    }
    if (text.trim() === '') {
      this.lastGood.set(file, {});
      return {};
    }
    const parsed = parseConfigText(text, file);
    if (!parsed.ok) {
      const where =
        parsed.line !== undefined
          ? ` (line ${parsed.line}${parsed.column !== undefined ? `, column ${parsed.column}` : ''})`
          : '';
      diagnostics.push(
        this.fileError(
          file,
          `${parsed.message}${this.lastGood.has(file) ? '; the last good version keeps serving' : ''}`,
          'FILE_INVALID',
          where,
        ),
      );
      return this.lastGood.get(file);
    }
    const { config, diagnostics: itemDiags } = validateDynamic(parsed.value, {
      source: this.name,
      subject: file,
      locate: parsed.locate,
    });
    diagnostics.push(...itemDiags);
    this.lastGood.set(file, config);
    return config;
  }

  private fileError(
    file: string,
    problem: string,
    code: 'FILE_INVALID' | 'CONFIG_READ_ERROR',
    where = '',
  ): Diagnostic {
    const message =
      code === 'FILE_INVALID'
        ? formatError(code, { file, where, problem })
        : formatError(code, { file, problem });
    return { source: this.name, subject: file, code, message, severity: 'error' };
  }
}
