import type { z } from 'zod';
import type { AddPrefixSchema } from '../../config/dynamic.ts';
import type { Middleware } from '../middleware.ts';
import { setPath, splitUrl } from '../path.ts';

/** Puts a fixed prefix in front of the request path. */
export function addPrefix(options: z.infer<typeof AddPrefixSchema>): Middleware {
  // Traefik puts a slash in front of prefix + path when it has none: `a` is read as `/a`.
  const lead = options.prefix.startsWith('/') ? options.prefix : `/${options.prefix}`;
  const prefix = lead.endsWith('/') ? lead.slice(0, -1) : lead;
  return (next) => (req, res) => {
    const { path } = splitUrl(req.url ?? '/');
    setPath(req, prefix + (path.startsWith('/') ? path : `/${path}`));
    return next(req, res);
  };
}
