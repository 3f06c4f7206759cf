import type { MiddlewareConfig, MiddlewareKind } from '../config/dynamic.ts';
import { addPrefix } from './add-prefix/add-prefix.ts';
import { basicAuth } from './basic-auth/basic-auth.ts';
import { chain } from './chain/chain.ts';
import { digestAuth } from './digest-auth/digest-auth.ts';
import { headers } from './headers/headers.ts';
import type { MiddlewareDefinition } from './middleware.ts';
import { stateless } from './middleware.ts';
import { redirectScheme } from './redirect-scheme/redirect-scheme.ts';
import { replacePath } from './replace-path/replace-path.ts';
import { stripPrefix } from './strip-prefix/strip-prefix.ts';

/** Definitions by middleware kind; tests and embedders may pass their own (CompileDeps.middlewares). */
export type MiddlewareRegistry = {
  readonly [K in MiddlewareKind]-?: MiddlewareDefinition<NonNullable<MiddlewareConfig[K]>>;
};

/** One definition per middleware kind of the config model; a kind without one fails to type-check. */
export const middlewareRegistry: MiddlewareRegistry = {
  addPrefix: stateless(addPrefix),
  stripPrefix: stateless(stripPrefix),
  replacePath: stateless(replacePath),
  headers: stateless(headers),
  redirectScheme: stateless(redirectScheme),
  chain,
  basicAuth,
  digestAuth,
};
