import type { z } from 'zod';
import type { ReplacePathSchema } from '../../config/dynamic.ts';
import type { Middleware } from '../middleware.ts';
import { setPath, splitUrl } from '../path.ts';

/** Replaces the whole path, keeping the query; the original path goes to the backend in X-Replaced-Path. */
export function replacePath(options: z.infer<typeof ReplacePathSchema>): Middleware {
  return (next) => (req, res) => {
    req.headers['x-replaced-path'] = splitUrl(req.url ?? '/').path;
    setPath(req, options.path);
    return next(req, res);
  };
}
