import type { z } from 'zod';
import type { AddPrefixSchema } from '../../config/dynamic.ts';
import type { Middleware } from '../middleware.ts';
import { setPath, splitUrl } from '../path.ts';

/** Puts a fixed prefix in front of the request path. */
export function addPrefix(options: z.infer<typeof AddPrefixSchema>): Middleware {
  const prefix = options.prefix.endsWith('/') ? options.prefix.slice(0, -1) : options.prefix;
  return (next) => (req, res) => {
    const { path } = splitUrl(req.url ?? '/');
    setPath(req, prefix + (path.startsWith('/') ? path : `/${path}`));
    return next(req, res);
  };
}
