import { type FSWatcher, watch as fsWatch } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { dirname, extname, join, resolve } from 'node:path';
import type { Diagnostic } from '../../config/diagnostics.ts';
import type { DynamicConfig } from '../../config/dynamic.ts';
import { formatError, WharfError } from '../../config/errors.ts';
import type { Logger } from '../../core/log.ts';
import type { Provider, Snapshot } from '../provider.ts';
import { ProviderStats } from '../provider-stats.ts';
import { FILE_SOURCE_MISSING } from './check-file-options.ts';
import { type FileOutcome, loadFile } from './load-file.ts';
import { mergeFileConfigs } from './merge-files.ts';
import { readOffThread } from './read-off-thread.ts';

const CONFIG_EXTENSIONS = new Set(['.yml', '.yaml', '.toml', '.json']);
const DEBOUNCE_MS = 30;

/** Options of the file provider (`providers.file`). */
export interface FileProviderOptions {
  readonly filename?: string;
  readonly directory?: string;
  readonly watch: boolean;
  readonly logger: Logger;
  /** Files of this many bytes or more in all are read in a worker thread (default OFF_THREAD_BYTES). */
  readonly offThreadBytes?: number;
}

/** 1 MiB: about 9,000 routers of one line each; smaller files are read on the main thread in a few ms. */
export const OFF_THREAD_BYTES = 1 << 20;

/** The files' sizes added up (a file that cannot be read counts 0; reading it reports why). */
async function totalBytes(files: readonly string[]): Promise<number> {
  let total = 0;
  for (const f of files)
    total += await stat(f).then(
      (st) => st.size,
      () => 0,
    );
  return total;
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
  /** Reads done in a worker thread (tests). */
  offThreadReads = 0;
  /** Failures to watch the files, for the metrics (bad files are diagnostics). */
  readonly stats = new ProviderStats();

  constructor(options: FileProviderOptions) {
    if (!options.filename && !options.directory)
      throw new WharfError('FILE_PROVIDER_SOURCE', { problem: FILE_SOURCE_MISSING });
    this.o = options;
  }

  async *watch(signal: AbortSignal): AsyncIterable<Snapshot> {
    if (!this.o.watch) {
      yield await this.read(signal);
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
      yield await this.read(signal);
      while (!signal.aborted) {
        if (!dirty) await new Promise<void>((r) => (wake = r));
        wake = undefined;
        if (signal.aborted) break;
        dirty = false;
        yield await this.read(signal);
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
    // With both set the directory is read, as in Traefik (check-file-options.ts warns that filename is not).
    const base = this.o.filename && !this.o.directory ? resolve(this.o.filename) : undefined;
    try {
      const w = fsWatch(target, { recursive: this.o.directory !== undefined }, (_event, name) => {
        if (!base || !name || resolve(target, name.toString()) === base) poke();
      });
      w.on('error', (err) => {
        this.stats.failures++;
        this.o.logger.error({ err, path: target }, 'file provider: watching failed');
      });
      return [w];
    } catch (err) {
      this.stats.failures++;
      this.o.logger.error(
        { err, path: target },
        'file provider: cannot watch; changes will not be picked up',
      );
      return [];
    }
  }

  /**
   * Reads every file and builds the provider's snapshot. Files of `offThreadBytes` or more in all are read,
   * parsed and validated in a worker thread (read-off-thread.ts), which also digests the snapshot; if the
   * worker cannot be used, they are read here.
   */
  async read(signal?: AbortSignal): Promise<Snapshot> {
    const diagnostics: Diagnostic[] = [];
    const files = await this.listFiles(diagnostics);
    let outcomes: FileOutcome[] | undefined;
    let fingerprint: string | undefined;
    if ((await totalBytes(files)) >= (this.o.offThreadBytes ?? OFF_THREAD_BYTES)) {
      try {
        ({ outcomes, fingerprint } = await readOffThread(
          { files, source: this.name, listing: diagnostics },
          signal,
        ));
      } catch (err) {
        if (signal?.aborted) throw err;
        this.o.logger.warn({ err }, 'file provider: reading in a worker failed; reading on the main thread');
      }
    }
    this.offThreadReads += outcomes ? 1 : 0;
    const parts: Array<{ file: string; config: DynamicConfig }> = [];
    for (const [i, file] of files.entries()) {
      const outcome = outcomes?.[i] ?? (await loadFile(file, this.name));
      const config = this.take(file, outcome, diagnostics);
      if (config) parts.push({ file, config });
    }
    const merged = mergeFileConfigs(parts);
    diagnostics.push(...merged.diagnostics);
    // The worker's digest holds when no file fell back to its last good version (it then saw the same).
    const good = outcomes?.every((o) => o.kind === 'ok' || o.kind === 'empty');
    return {
      provider: this.name,
      config: merged.config,
      diagnostics,
      ...(good && fingerprint !== undefined ? { fingerprint } : {}),
    };
  }

  private async listFiles(diagnostics: Diagnostic[]): Promise<string[]> {
    if (this.o.filename && !this.o.directory) return [resolve(this.o.filename)];
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

  /** A file's configuration from what reading it gave, or its last good one; records its problems. */
  private take(file: string, outcome: FileOutcome, diagnostics: Diagnostic[]): DynamicConfig | undefined {
    switch (outcome.kind) {
      case 'unreadable':
        diagnostics.push(this.fileError(file, outcome.problem, 'CONFIG_READ_ERROR'));
        return this.lastGood.get(file);
      case 'empty':
        this.lastGood.set(file, {});
        return {};
      case 'invalid':
        diagnostics.push(
          this.fileError(
            file,
            `${outcome.message}${this.lastGood.has(file) ? '; the last good version keeps serving' : ''}`,
            'FILE_INVALID',
            outcome.where,
          ),
        );
        return this.lastGood.get(file);
      case 'ok':
        diagnostics.push(...outcome.diagnostics);
        this.lastGood.set(file, outcome.config);
        return outcome.config;
    }
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
