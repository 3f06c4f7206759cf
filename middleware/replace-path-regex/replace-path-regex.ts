import type { z } from 'zod';
import type { ReplacePathRegexSchema } from '../../config/middlewares/replace-path-regex.ts';
import type { Middleware } from '../middleware.ts';
import { operatorRegexp } from '../operator-regexp.ts';
import { addRequestHeader, isCleanPath, setPath, splitUrl, unescapePath } from '../path.ts';
import { plainError } from '../plain-error.ts';

/**
 * Rewrites the path with a Go regexp (Traefik's ReplacePathRegex). The regexp sees the path as sent, with
 * its escapes (`/a%2Fb`), and the replacement is the new escaped path; the original goes to the server in
 * X-Replaced-Path (added after any value already there). As in Traefik, a new path with a malformed escape
 * is answered 500, and one that cleaning would change (`//`, `.` or `..` segments) is answered 400.
 */
export function replacePathRegex(options: z.infer<typeof ReplacePathRegexSchema>): Middleware {
  const regex = operatorRegexp('regex', options.regex.trim());
  const replacement = options.replacement.trim();
  return (next) => async (req, res) => {
    const { path } = splitUrl(req.url ?? '/');
    if (!regex.test(path)) return next(req, res);
    addRequestHeader(req, 'x-replaced-path', path);
    const replaced = regex.replaceAll(path, replacement);
    const decoded = unescapePath(replaced);
    if ('problem' in decoded) return plainError(res, 500, `${decoded.problem}\n`);
    if (!isCleanPath(replaced)) return plainError(res, 400, 'Bad Request\n');
    // Go's RequestURI writes an empty path as "/"; a path without its leading slash reaches the server with
    // one (Wharf's forwarder sends origin-form targets only).
    setPath(req, replaced.startsWith('/') ? replaced : `/${replaced}`);
    return next(req, res);
  };
}
