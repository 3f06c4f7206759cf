import { type ServerResponse, STATUS_CODES } from 'node:http';
import { errorStatus, WharfError } from '../../config/errors.ts';

const REASONS: Readonly<Record<number, string>> = { 499: 'Client Closed Request' };

/** The HTTP status for an error thrown on the request path: the catalog's status for a WharfError, else 500. */
export function statusOf(err: unknown): number {
  return err instanceof WharfError ? errorStatus(err.code) : 500;
}

/**
 * Renders an error as a short plain-text response (`"<status> <reason>\n"`), the one place error responses
 * are written; if the response has already started it is destroyed instead, since it cannot be re-rendered.
 */
export function renderError(res: ServerResponse, err: unknown): void {
  if (res.writableEnded || res.destroyed) return;
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const status = statusOf(err);
  const body = `${status} ${REASONS[status] ?? STATUS_CODES[status] ?? 'Error'}\n`;
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'x-content-type-options': 'nosniff',
  });
  res.end(body);
}
