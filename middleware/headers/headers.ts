import type { IncomingMessage, ServerResponse } from 'node:http';
import { headerWireValue } from '../../config/header-syntax.ts';
import type { HeadersOptions } from '../../config/middlewares/headers.ts';
import type { Middleware } from '../middleware.ts';
import { beforeResponseHead } from '../response-head.ts';
import { cors, hasCorsOptions } from './cors.ts';
import { hasSecureOptions, secure } from './secure.ts';

// Traefik's headers middleware (pkg/middlewares/headers) in its order: a CORS preflight is answered first
// (nothing else applies to it); then customRequestHeaders; then the allowedHosts check (its 500 "Bad Host"
// still gets customResponseHeaders and CORS headers, not the security ones); then the service. On the way
// back the security headers are set first, then customResponseHeaders over them, then the CORS headers
// over both, all over what the backend sent.

/** True when the options set anything; Traefik refuses a headers middleware that sets nothing. */
export function hasHeadersOptions(o: HeadersOptions): boolean {
  return (
    Object.keys(o.customRequestHeaders ?? {}).length > 0 ||
    Object.keys(o.customResponseHeaders ?? {}).length > 0 ||
    hasCorsOptions(o) ||
    hasSecureOptions(o)
  );
}

const BAD_HOST = 'Bad Host\n';

/** unrolled/secure's answer to a host outside allowedHosts, as Go's http.Error writes it. */
function refuseHost(res: ServerResponse): void {
  res.writeHead(500, {
    'content-type': 'text/plain; charset=utf-8',
    'x-content-type-options': 'nosniff',
    'content-length': String(BAD_HOST.length),
  });
  res.end(BAD_HOST);
}

/**
 * Sets custom request headers before the service, answers CORS preflights, refuses hosts outside
 * allowedHosts, and sets security, custom and CORS response headers on the way back, over what the backend
 * sent, as Traefik does. Throws when no option is set or an origin pattern cannot be compiled.
 */
export function headers(options: HeadersOptions): Middleware {
  if (!hasHeadersOptions(options))
    throw new Error('headers configuration not valid: no option is set (Traefik refuses it too)');
  const reqSet: Array<[string, string]> = [];
  const reqDel: string[] = [];
  for (const [k, v] of Object.entries(options.customRequestHeaders ?? {})) {
    if (v === '') reqDel.push(k.toLowerCase());
    else reqSet.push([k.toLowerCase(), headerWireValue(v)]);
  }
  const resSet: Array<[string, string]> = [];
  const resDel: string[] = [];
  for (const [k, v] of Object.entries(options.customResponseHeaders ?? {})) {
    if (v === '') resDel.push(k.toLowerCase());
    else resSet.push([k.toLowerCase(), headerWireValue(v)]);
  }
  const corsPart = hasCorsOptions(options) ? cors(options) : undefined;
  const securePart = hasSecureOptions(options) ? secure(options) : undefined;
  const customResponse = resSet.length > 0 || resDel.length > 0;

  /** customResponseHeaders, then the CORS headers over them (Traefik's response modifier). */
  const decorate = (req: IncomingMessage, res: ServerResponse): void => {
    for (const k of resDel) res.removeHeader(k);
    for (const [k, v] of resSet) res.setHeader(k, v);
    corsPart?.decorate(req, res);
  };
  const decorates = customResponse || corsPart !== undefined;

  return (next) => (req, res) => {
    if (corsPart?.preflight(req, res)) return Promise.resolve();
    for (const k of reqDel) {
      // A present key without a value is Go's nil header entry: the proxy then sends no X-Forwarded-For
      // at all instead of adding the client's address (router/proxy/hop-headers.ts).
      if (k === 'x-forwarded-for') req.headers[k] = undefined;
      else delete req.headers[k];
    }
    for (const [k, v] of reqSet) req.headers[k] = v;
    if (securePart !== undefined && !securePart.hostAllowed(req)) {
      if (decorates) beforeResponseHead(res, (r) => decorate(req, r));
      refuseHost(res);
      return Promise.resolve();
    }
    const security = securePart?.responseHeaders(req);
    if (decorates || (security !== undefined && security.length > 0)) {
      beforeResponseHead(res, (r) => {
        if (security !== undefined) for (const [k, v] of security) r.setHeader(k, v);
        decorate(req, r);
      });
    }
    return next(req, res);
  };
}
