import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import pino, { type Logger } from 'pino';
import { WharfError } from '../config/errors.ts';

export type { Logger } from 'pino';

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

/** Creates the process logger from `log.{level,format,filePath}`: json lines or readable common text. */
export function createLogger(options: {
  level: string;
  format: 'common' | 'json';
  filePath?: string;
}): Logger {
  const level = options.level.toLowerCase() === 'panic' ? 'fatal' : options.level.toLowerCase();
  if (options.filePath) ensureWritable('log.filePath', options.filePath);
  const destination = pino.destination({ dest: options.filePath ?? 1, sync: options.filePath === undefined });
  destination.on('error', (err: Error) =>
    process.stderr.write(`wharf: cannot write the log: ${err.message}\n`),
  );
  if (options.format === 'json') return pino({ level, base: undefined }, destination);
  return pino(
    {
      level,
      base: undefined,
      timestamp: false,
      formatters: { level: (label) => ({ level: label }) },
      hooks: {
        streamWrite: (line) => commonLine(line),
      },
    },
    destination,
  );
}

/** Turns a pino JSON line into `2026-11-21T10:00:00Z INF message key=value ...` for people. */
function commonLine(line: string): string {
  try {
    const o = JSON.parse(line) as Record<string, unknown>;
    const { level, msg, ...rest } = o;
    const fields = Object.entries(rest)
      .map(([k, v]) => `${k}=${typeof v === 'string' && !/\s/.test(v) ? v : JSON.stringify(v)}`)
      .join(' ');
    const tag = String(level).slice(0, 3).toUpperCase();
    return `${new Date().toISOString()} ${tag} ${String(msg ?? '')}${fields ? ` ${fields}` : ''}\n`;
  } catch {
    return line;
  }
}

/** A logger that drops everything (tests and offline checks). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
