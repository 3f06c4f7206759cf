import { z } from 'zod';

// `log`: Traefik v3.7's keys (pkg/observability/types/logs.go, TraefikLog). Runtime: core/log.ts. The
// rotation keys stay absent when not given (core/log.ts applies their defaults), so a parsed `log` section
// only holds what matters to most configurations.

const LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL', 'PANIC'] as const;

/** `log`: Wharf's own log (start, configuration, errors), to stdout or a rotated file. */
export const LogSchema = z.strictObject({
  level: z
    .enum([...LEVELS, ...LEVELS.map((l) => l.toLowerCase() as Lowercase<(typeof LEVELS)[number]>)])
    .default('INFO')
    .describe('Log level (default INFO, so configuration warnings show; Traefik defaults to ERROR)'),
  format: z
    .enum(['common', 'json'])
    .default('common')
    .describe('common (readable: time, level, message, key=value fields) or json (one object a line)'),
  noColor: z.boolean().optional().describe('common format: no colours (a file never gets colours)'),
  filePath: z.string().optional().describe('Write logs to this file instead of stdout'),
  maxSize: z
    .number()
    .int()
    .min(0)
    .optional()
    .describe('Rotate the file before it grows past this many megabytes (default 0: 100)'),
  maxAge: z
    .number()
    .int()
    .min(0)
    .optional()
    .describe('Delete rotated files older than this many days, by the time in their name (default 0: never)'),
  maxBackups: z
    .number()
    .int()
    .min(0)
    .optional()
    .describe('Keep at most this many rotated files (default 0: all)'),
  compress: z
    .boolean()
    .optional()
    .describe('Accepted as in Traefik, where it has no effect: rotated files are always gzipped'),
});

/** The `log` section, validated. */
export type LogConfig = z.infer<typeof LogSchema>;
