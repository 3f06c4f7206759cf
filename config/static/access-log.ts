import { z } from 'zod';
import { DurationSchema } from '../duration.ts';

// `accessLog`: Traefik v3.7's keys (pkg/observability/types/logs.go). Runtime: router/access-log/.

/** A status code or an inclusive range of them, as Traefik's `filters.statusCodes` takes them. */
const STATUS_RANGE = /^\d{1,3}(-\d{1,3})?$/;

/** How a field is written: as it is (keep) or not at all (drop). */
const FieldMode = z
  .enum(['keep', 'drop', 'redact'])
  .describe('keep or drop (redact is accepted and, as in Traefik, means the default mode for a field)');

/** How a header is written: as it is (keep), not at all (drop) or as REDACTED. */
const HeaderMode = z.enum(['keep', 'drop', 'redact']);

/** `accessLog.filters`: a line is written when any configured filter matches (none configured: every line). */
export const AccessLogFiltersSchema = z.strictObject({
  statusCodes: z
    .array(
      z
        .string()
        .regex(STATUS_RANGE, 'write a status code or a range of them, e.g. "404" or "500-599"')
        .describe('A status code ("404") or an inclusive range ("500-599")'),
    )
    .optional()
    .describe('Keep requests answered with one of these status codes or ranges, e.g. ["200", "300-302"]'),
  retryAttempts: z.boolean().default(false).describe('Keep requests that were retried at least once'),
  minDuration: DurationSchema.default(0).describe(
    'Keep requests that took longer than this (e.g. "10ms"; 0: not a filter)',
  ),
});

/** `accessLog.fields`: which fields and headers each line has. */
export const AccessLogFieldsSchema = z.strictObject({
  defaultMode: FieldMode.default('keep').describe('Mode of every field not named in `names` (default keep)'),
  names: z
    .record(z.string(), FieldMode)
    .optional()
    .describe(
      'Mode of single fields by name (case-insensitive), e.g. {ClientUsername: drop, StartUTC: drop}',
    ),
  headers: z
    .strictObject({
      defaultMode: HeaderMode.default('drop').describe(
        'Mode of every header not named in `names`: keep, drop or redact (default drop)',
      ),
      names: z
        .record(z.string(), HeaderMode)
        .optional()
        .describe(
          'Mode of single headers by name (case-insensitive), e.g. {User-Agent: keep, Authorization: redact}',
        ),
    })
    .prefault({})
    .describe(
      'Request, origin and downstream headers, written as request_<Name>, origin_<Name>, downstream_<Name>',
    ),
  queryParameters: z
    .strictObject({
      defaultMode: z
        .enum(['keep', 'drop'])
        .default('keep')
        .describe('keep writes RequestPath with its query string, drop without it (default keep)'),
    })
    .optional(),
});

/** `accessLog`: one line per request, in Traefik's formats, to a file or stdout. */
export const AccessLogSchema = z.strictObject({
  filePath: z
    .string()
    .optional()
    .describe('Access log file (default stdout); SIGUSR1 reopens it (logrotate)'),
  format: z
    .enum(['common', 'genericCLF', 'json'])
    .default('common')
    .describe('common (Traefik extended CLF), genericCLF (CLF with referer and user agent) or json'),
  filters: AccessLogFiltersSchema.optional().describe('Write only the lines of requests that match a filter'),
  fields: AccessLogFieldsSchema.prefault({}).describe('Fields and headers to keep, drop or redact'),
  bufferingSize: z
    .number()
    .int()
    .min(0)
    .default(0)
    .describe(
      'Lines kept in memory and written together, at the latest on the next turn of the event loop (default 0: each line is handed to the writer as its request ends)',
    ),
  addInternals: z
    .boolean()
    .default(false)
    .describe('Also log requests answered by Wharf itself: API, ping, routers to @internal services'),
  dualOutput: z
    .boolean()
    .default(false)
    .describe('Traefik: keep writing lines when OTLP export is on; Wharf always writes them'),
});

/** The `accessLog` section, validated. */
export type AccessLogConfig = z.infer<typeof AccessLogSchema>;
