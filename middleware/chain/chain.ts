import type { z } from 'zod';
import type { ChainSchema } from '../../config/dynamic.ts';
import { compose, type MiddlewareDefinition } from '../middleware.ts';

/**
 * Runs other middlewares in order, as one. Its members are declared as references, so they are checked
 * (missing, recursion) before anything is built, and built (or reused) before the chain is.
 */
export const chain: MiddlewareDefinition<z.infer<typeof ChainSchema>> = {
  references: (options) => options.middlewares,
  create: (options, ctx) => {
    const parts = options.middlewares.map((reference) => ctx.resolve(reference));
    return { wrap: (next) => compose(parts, next) };
  },
};
