import type { z } from 'zod';
import type { StripPrefixRegexSchema } from '../../config/middlewares/strip-prefix-regex.ts';
import type { Middleware } from '../middleware.ts';
import { operatorRegexp } from '../operator-regexp.ts';
import { addRequestHeader, isCleanPath, splitUrl, unescapePath } from '../path.ts';
import { plainError } from '../plain-error.ts';

/**
 * Removes a prefix found by Go regexps (Traefik's StripPrefixRegex). Each regexp in turn is matched against
 * the decoded path; the first whose leftmost match is a non-empty prefix of the path wins: that prefix goes
 * to the server in X-Forwarded-Prefix (added after any value already there) and is cut from the path as
 * sent, escapes kept (`/a%2Fb` stays escaped). The rest gets a leading slash; nothing left is `/`. A rest
 * that cleaning would change (`//`, `.` or `..` segments) is answered 400, as in Traefik.
 */
export function stripPrefixRegex(options: z.infer<typeof StripPrefixRegexSchema>): Middleware {
  const regexps = options.regex.map((source, i) => operatorRegexp(`regex[${i}]`, source.trim()));
  return (next) => async (req, res) => {
    const { path: raw, query } = splitUrl(req.url ?? '/');
    const decoded = unescapePath(raw);
    // The entryPoint refuses malformed escapes; a middleware before this one may have written one.
    if ('problem' in decoded) return next(req, res);
    const path = decoded.path;
    for (const regex of regexps) {
      const prefix = regex.exec(path)?.groups[0];
      if (!prefix || !path.startsWith(prefix)) continue;
      addRequestHeader(req, 'x-forwarded-prefix', prefix);
      const rest = raw.slice(encodedLength(raw, Buffer.byteLength(prefix, 'utf8')));
      const stripped = rest === '' || rest.startsWith('/') ? rest : `/${rest}`;
      if (!isCleanPath(stripped)) return plainError(res, 400, 'Bad Request\n');
      // Go's RequestURI writes an empty path as "/".
      req.url = (stripped === '' ? '/' : stripped) + query;
      return next(req, res);
    }
    return next(req, res);
  };
}

/** How many characters of an escaped path stand for its first `bytes` decoded bytes (`%XX` is one byte). */
export function encodedLength(raw: string, bytes: number): number {
  let i = 0;
  for (let decoded = 0; i < raw.length && decoded < bytes; decoded++) i += raw[i] === '%' ? 3 : 1;
  return i;
}
