import type { MiddlewareConfig, MiddlewareKind } from '../config/dynamic.ts';
import { addPrefix } from './add-prefix/add-prefix.ts';
import { headers } from './headers/headers.ts';
import { compose, type Middleware } from './middleware.ts';
import { redirectScheme } from './redirect-scheme/redirect-scheme.ts';
import { replacePath } from './replace-path/replace-path.ts';
import { stripPrefix } from './strip-prefix/strip-prefix.ts';

/** What a factory may need besides its options: building other middlewares (for chain). */
export interface MiddlewareBuildContext {
  /** Qualified name of the middleware being built. */
  readonly name: string;
  /** Builds (or reuses) another middleware by reference; recursion is ruled out before this is called. */
  readonly resolve: (reference: string) => Middleware;
}

/** Builds a middleware of one kind from its validated options. */
export type MiddlewareFactory<K extends MiddlewareKind> = (
  options: NonNullable<MiddlewareConfig[K]>,
  ctx: MiddlewareBuildContext,
) => Middleware;

/** One factory per middleware kind of the config model; a kind without a factory fails to type-check. */
export const middlewareRegistry: { [K in MiddlewareKind]-?: MiddlewareFactory<K> } = {
  addPrefix: (o) => addPrefix(o),
  stripPrefix: (o) => stripPrefix(o),
  replacePath: (o) => replacePath(o),
  headers: (o) => headers(o),
  redirectScheme: (o) => redirectScheme(o),
  chain: (o, ctx) => {
    const parts = o.middlewares.map((ref) => ctx.resolve(ref));
    return (next) => compose(parts, next);
  },
};
