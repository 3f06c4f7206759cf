import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import pino, { type DestinationStream, type Logger } from 'pino';
import { WharfError } from '../config/errors.ts';
import { consoleLine } from './console-line.ts';
import { LogFile } from './log-file.ts';

export type { Logger } from 'pino';

/** lumberjack's size limit when `log.maxSize` is 0 or absent: 100 MB. */
const DEFAULT_MAX_SIZE_MB = 100;
const MB = 1024 * 1024;

/** The `log` options the logger reads (config/static/log.ts). */
export interface LogOptions {
  readonly level: string;
  readonly format: 'common' | 'json';
  readonly filePath?: string | undefined;
  readonly noColor?: boolean | undefined;
  readonly maxSize?: number | undefined;
  readonly maxAge?: number | undefined;
  readonly maxBackups?: number | undefined;
}

/**
 * Checks at start that a log file can be opened for appending (creating its folder), so a bad path fails
 * loudly instead of losing every line; throws a WharfError (LOG_FILE_UNWRITABLE) naming the option and the
 * path.
 */
export function ensureWritable(option: string, path: string): void {
  try {
    mkdirSync(dirname(path), { recursive: true });
    closeSync(openSync(path, 'a'));
  } catch (err) {
    throw new WharfError('LOG_FILE_UNWRITABLE', {
      option,
      path,
      problem: (err as NodeJS.ErrnoException).code ?? (err as Error).message,
    });
  }
}

/** Where the log goes: stdout, or a file rotated as Traefik's is (`reopen` for SIGUSR1). */
export interface LogDestination {
  readonly stream: DestinationStream;
  /** Starts a new file at `log.filePath` (after logrotate moved it); nothing for stdout. */
  reopen(): void;
}

/**
 * Opens `log.filePath` (throws LOG_FILE_UNWRITABLE when it cannot be) with Traefik's rotation: the file is
 * renamed `<name>-<UTC time><ext>` before it grows past `maxSize` MB (0: 100), rotated files are always
 * gzipped (Traefik ignores `compress` and compresses), the newest `maxBackups` are kept (0: all) and those
 * older than `maxAge` days are deleted (0: none). Without a file path: stdout, written synchronously.
 */
export function logDestination(options: LogOptions): LogDestination {
  if (!options.filePath) {
    const stdout = pino.destination({ dest: 1, sync: true });
    stdout.on('error', (err: Error) => process.stderr.write(`wharf: cannot write the log: ${err.message}\n`));
    return { stream: stdout, reopen: () => {} };
  }
  ensureWritable('log.filePath', options.filePath);
  const file = new LogFile(options.filePath, {
    rotation: {
      maxBytes: (options.maxSize || DEFAULT_MAX_SIZE_MB) * MB,
      maxAgeDays: options.maxAge ?? 0,
      maxBackups: options.maxBackups ?? 0,
      compress: true,
    },
  });
  return { stream: file, reopen: () => file.reopen() };
}

/**
 * Creates the process logger from `log.*`: JSON lines (`json`), or Traefik's console lines (`common`:
 * `2026-11-21T10:00:00Z INF message key=value`, coloured on stdout unless `noColor`).
 */
export function createLogger(options: LogOptions, destination = logDestination(options)): Logger {
  const level = options.level.toLowerCase() === 'panic' ? 'fatal' : options.level.toLowerCase();
  if (options.format === 'json') return pino({ level, base: undefined }, destination.stream);
  // As Traefik: colours only on stdout, and not with noColor.
  const color = !options.filePath && options.noColor !== true;
  return pino(
    {
      level,
      base: undefined,
      timestamp: false,
      formatters: { level: (label) => ({ level: label }) },
      hooks: { streamWrite: (line) => consoleLine(line, color) },
    },
    destination.stream,
  );
}

/** A logger that drops everything (tests and offline checks). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
