import type { MiddlewareConfig, MiddlewareKind } from '../config/dynamic.ts';
import { addPrefix } from './add-prefix/add-prefix.ts';
import { basicAuth } from './basic-auth/basic-auth.ts';
import { buffering } from './buffering/buffering.ts';
import { chain } from './chain/chain.ts';
import { circuitBreaker } from './circuit-breaker/circuit-breaker.ts';
import { compress } from './compress/compress.ts';
import { contentType } from './content-type/content-type.ts';
import { digestAuth } from './digest-auth/digest-auth.ts';
import { encodedCharacters } from './encoded-characters/encoded-characters.ts';
import { errors } from './errors/errors.ts';
import { forwardAuth } from './forward-auth/forward-auth.ts';
import { headers } from './headers/headers.ts';
import { inFlightReq } from './in-flight-req/in-flight-req.ts';
import { ipAllowList, ipWhiteList } from './ip-allow-list/ip-allow-list.ts';
import type { MiddlewareDefinition } from './middleware.ts';
import { stateless } from './middleware.ts';
import { passTlsClientCertDefinition } from './pass-tls-client-cert/pass-tls-client-cert.ts';
import { rateLimit } from './rate-limit/rate-limit.ts';
import { redirectRegex } from './redirect-regex/redirect-regex.ts';
import { redirectScheme } from './redirect-scheme/redirect-scheme.ts';
import { replacePath } from './replace-path/replace-path.ts';
import { replacePathRegex } from './replace-path-regex/replace-path-regex.ts';
import { retry } from './retry/retry.ts';
import { stripPrefix } from './strip-prefix/strip-prefix.ts';
import { stripPrefixRegex } from './strip-prefix-regex/strip-prefix-regex.ts';
import { waf } from './waf/waf.ts';

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
  ipAllowList,
  ipWhiteList,
  redirectRegex: stateless(redirectRegex),
  replacePathRegex: stateless(replacePathRegex),
  stripPrefixRegex: stateless(stripPrefixRegex),
  contentType,
  encodedCharacters: stateless(encodedCharacters),
  passTLSClientCert: passTlsClientCertDefinition,
  forwardAuth,
  basicAuth,
  digestAuth,
  compress,
  rateLimit,
  inFlightReq,
  circuitBreaker,
  buffering,
  retry,
  errors,
  waf,
};
