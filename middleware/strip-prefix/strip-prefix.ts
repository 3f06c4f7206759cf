import type { z } from 'zod';
import type { StripPrefixSchema } from '../../config/dynamic.ts';
import type { Middleware } from '../middleware.ts';
import { setPath, splitUrl } from '../path.ts';

/**
 * Removes the first matching prefix from the path (a plain string prefix, as Traefik does), keeps the
 * result rooted at '/', and tells the backend what was removed in X-Forwarded-Prefix.
 */
export function stripPrefix(options: z.infer<typeof StripPrefixSchema>): Middleware {
  const prefixes = options.prefixes;
  return (next) => (req, res) => {
    const { path } = splitUrl(req.url ?? '/');
    for (const prefix of prefixes) {
      if (path.startsWith(prefix)) {
        const rest = path.slice(prefix.length);
        setPath(req, rest.startsWith('/') ? rest : `/${rest}`);
        req.headers['x-forwarded-prefix'] = prefix;
        break;
      }
    }
    return next(req, res);
  };
}
