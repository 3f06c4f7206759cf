import { z } from 'zod';

// errors (Traefik v3.7 `dynamic.ErrorPage`, pkg/middlewares/customerrors): the same keys. Descriptions are
// user documentation (docs/reference/dynamic.md, docs/middlewares/errors.md). `nginxHeaders` is left out:
// Traefik exposes it to its ingress-nginx provider only.

/** One status or range as Traefik writes it: `500` or `500-599` (low first). */
const STATUS_RANGE = /^\s*(\d{3})\s*(?:-\s*(\d{3})\s*)?$/;

/** Why `text` is not a status or range, or undefined when it is one. */
export function statusRangeProblem(text: string): string | undefined {
  const m = STATUS_RANGE.exec(text);
  if (!m) return `"${text}" is not a status code (500) or a range of them (500-599)`;
  if (m[2] !== undefined && Number(m[2]) < Number(m[1]))
    return `"${text}" is a range whose end is below its start; write it low-high`;
  return undefined;
}

/** One item of a status list: a code, a range, or several of them separated by commas. */
export const StatusRange = z.string().superRefine((text, ctx) => {
  // A comma-separated string is a list too (Traefik's docs write `500,502`; labels split it already).
  for (const part of text.split(',')) {
    const problem = statusRangeProblem(part);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  }
});

/** Options of the errors middleware: serve an error page from another service for chosen statuses. */
export const ErrorsSchema = z.strictObject({
  status: z.array(StatusRange).optional().meta({
    description:
      'Statuses answered with the error page: codes (404), ranges (500-599), or both (404,500-599)',
    docDefault: '[] (nothing is caught)',
  }),
  statusRewrites: z
    .record(
      z.string().superRefine((text, ctx) => {
        const problem = statusRangeProblem(text);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      }),
      z.number().int().min(200).max(599),
    )
    .optional()
    .meta({
      description:
        'Status sent to the client instead of a caught one, by code or range: {"418": 404, "500-503": 500}',
      docDefault: '{}',
    }),
  service: z
    .string()
    .min(1)
    .describe(
      "Service that serves the error page; name or name@provider (default: the middleware's provider)",
    ),
  query: z.string().optional().meta({
    description:
      'Path (and query) of the error page on the service; {status}, {originalStatus} and {url} are replaced',
    docDefault: '/',
  }),
  errorRequestHeaders: z.array(z.string()).optional().meta({
    description: 'Request headers sent to the error page service; unset: all of them, an empty list: none',
    docDefault: 'all',
  }),
});

/** The errors middleware's options as validated. */
export type ErrorsOptions = z.infer<typeof ErrorsSchema>;
