import pino, { type Logger } from 'pino';

export type { Logger } from 'pino';

/** Creates the process logger from `log.{level,format,filePath}`: json lines or readable common text. */
export function createLogger(options: {
  level: string;
  format: 'common' | 'json';
  filePath?: string;
}): Logger {
  const level = options.level.toLowerCase() === 'panic' ? 'fatal' : options.level.toLowerCase();
  const destination = pino.destination({ dest: options.filePath ?? 1, sync: options.filePath === undefined });
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
