import type { MiddlewareKind } from '../../config/dynamic.ts';
import type { Handler, Middleware } from '../../middleware/middleware.ts';
import { traceOf } from './request-trace.ts';

/**
 * Span names of the middlewares, Traefik v3.7's type names (each middleware's `typeName`; digestAuth's is
 * lower case there too). `chain` and `contentType` have none: Traefik traces a chain's members, not the
 * chain, and contentType is not traceable (null: no span). Retry is traced once per attempt. A kind not
 * listed is named after itself, capitalized (Traefik's usual type name).
 */
export const MIDDLEWARE_SPAN_NAMES: Readonly<Partial<Record<MiddlewareKind, string | null>>> = {
  addPrefix: 'AddPrefix',
  basicAuth: 'BasicAuth',
  buffering: 'Buffer',
  chain: null,
  circuitBreaker: 'CircuitBreaker',
  compress: 'Compress',
  contentType: null,
  digestAuth: 'digestAuth',
  encodedCharacters: 'EncodedCharacters',
  errors: 'CustomError',
  forwardAuth: 'ForwardAuth',
  headers: 'Headers',
  inFlightReq: 'InFlightReq',
  ipAllowList: 'IPAllowLister',
  ipWhiteList: 'IPWhiteLister',
  passTLSClientCert: 'PassClientTLSCert',
  rateLimit: 'RateLimiter',
  redirectRegex: 'Redirect',
  redirectScheme: 'Redirect',
  replacePath: 'ReplacePath',
  replacePathRegex: 'ReplacePathRegex',
  retry: 'Retry',
  stripPrefix: 'StripPrefix',
  stripPrefixRegex: 'StripPrefixRegex',
};

/**
 * Wraps a middleware instance so detailed traces get a span for it, named by its kind, with
 * `wharf.middleware.name`. Requests without a detailed trace (tracing off for the router, unsampled,
 * minimal verbosity) go straight to the middleware: one property read, no span, no extra promise.
 */
export function tracedMiddleware(kind: MiddlewareKind, name: string, wrap: Middleware): Middleware {
  const known = MIDDLEWARE_SPAN_NAMES[kind];
  if (known === null) return wrap;
  const spanName = known ?? kind.charAt(0).toUpperCase() + kind.slice(1);
  const attributes = { 'wharf.middleware.name': name };
  if (kind === 'retry') return (next) => wrap(retryAttempts(name, attributes, next));
  return (next) => {
    const inner = wrap(next);
    const traced: Handler = (req, res) => {
      const t = traceOf(req);
      if (t === undefined || !t.detailed) return inner(req, res);
      return t.within(spanName, attributes, () => inner(req, res));
    };
    return traced;
  };
}

/** Traefik's retry spans: one `Retry` span per attempt, `http.resend_count` from the second on. */
function retryAttempts(
  name: string,
  attributes: { 'wharf.middleware.name': string },
  next: Handler,
): Handler {
  return (req, res) => {
    const t = traceOf(req);
    if (t === undefined || !t.detailed) return next(req, res);
    if (t.attempts === undefined) t.attempts = new Map();
    const attempts = t.attempts;
    const n = (attempts.get(name) ?? 0) + 1;
    attempts.set(name, n);
    const a = n > 1 ? { ...attributes, 'http.resend_count': n - 1 } : attributes;
    return t.within('Retry', a, () => next(req, res));
  };
}
