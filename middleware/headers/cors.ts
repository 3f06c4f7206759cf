import type { IncomingMessage, ServerResponse } from 'node:http';
import { headerWireValue } from '../../config/header-syntax.ts';
import type { HeadersOptions } from '../../config/middlewares/headers.ts';
import { compileLinearRegexp, type LinearRegexp } from '../../core/regexp/linear-regexp.ts';

// CORS as Traefik's headers middleware does it (pkg/middlewares/headers/header.go): a preflight is answered
// here with 200 and no body, never reaching the service; other responses get Access-Control-Allow-Origin
// when the Origin is allowed, plus credentials, exposed headers and Vary, over what the backend and
// customResponseHeaders set. Lists are joined with "," (no space), as Traefik sends them.

/** The first value of a request header, as Go's Header.Get reads it ("" when absent). */
export function firstValue(value: string | string[] | undefined): string {
  return (Array.isArray(value) ? value[0] : value) ?? '';
}

/** What Traefik answers for a request's Origin: the value of Access-Control-Allow-Origin, or undefined. */
export type OriginMatcher = (origin: string) => string | undefined;

/**
 * Matches an Origin as Traefik does: each list entry in order ("*" answers "*", or the Origin itself with
 * credentials, since browsers refuse "*" then), then the regular expressions (unanchored, the Origin
 * itself is answered). An absent Origin is "" and still matches "*" or a pattern that matches "".
 */
export function originMatcher(
  list: readonly string[],
  patterns: readonly LinearRegexp[],
  credentials: boolean,
): OriginMatcher {
  return (origin) => {
    for (const item of list) {
      if (item === origin) return item;
      if (item === '*') return credentials ? origin : item;
    }
    for (const p of patterns) if (p.test(origin)) return origin;
    return undefined;
  };
}

/** Compiles accessControlAllowOriginListRegex; a pattern RE2 cannot take faithfully throws, naming it. */
export function compileOriginPatterns(sources: readonly string[]): LinearRegexp[] {
  return sources.map((source, i) => {
    const r = compileLinearRegexp(source);
    if (!r.ok) throw new Error(`accessControlAllowOriginListRegex[${i}] "${source}": ${r.problem}`);
    return r.regexp;
  });
}

/** True when any CORS option is set (Traefik's HasCorsHeadersDefined): only then are preflights answered. */
export function hasCorsOptions(o: HeadersOptions): boolean {
  return (
    o.accessControlAllowCredentials === true ||
    (o.accessControlAllowHeaders?.length ?? 0) > 0 ||
    (o.accessControlAllowMethods?.length ?? 0) > 0 ||
    (o.accessControlAllowOriginList?.length ?? 0) > 0 ||
    (o.accessControlAllowOriginListRegex?.length ?? 0) > 0 ||
    (o.accessControlExposeHeaders?.length ?? 0) > 0 ||
    o.accessControlMaxAge !== undefined ||
    o.addVaryHeader === true
  );
}

/** The CORS part of a headers middleware. */
export interface Cors {
  /** Answers a preflight (OPTIONS with Origin and Access-Control-Request-Method) and returns true; else false. */
  preflight(req: IncomingMessage, res: ServerResponse): boolean;
  /** Sets the CORS response headers of an actual request, just before its head goes out. */
  decorate(req: IncomingMessage, res: ServerResponse): void;
}

/** Builds the CORS behaviour of the options; throws for an origin pattern RE2 refuses. */
export function cors(o: HeadersOptions): Cors {
  const credentials = o.accessControlAllowCredentials === true;
  const match = originMatcher(
    o.accessControlAllowOriginList ?? [],
    compileOriginPatterns(o.accessControlAllowOriginListRegex ?? []),
    credentials,
  );
  const join = (list: readonly string[] | undefined) => headerWireValue((list ?? []).join(','));
  const allowHeaders = join(o.accessControlAllowHeaders);
  const echoHeaders = credentials && (o.accessControlAllowHeaders ?? []).includes('*');
  const allowMethods = join(o.accessControlAllowMethods);
  const echoMethod = credentials && (o.accessControlAllowMethods ?? []).includes('*');
  const expose = o.accessControlExposeHeaders ?? [];
  // "*" means "every header" only without credentials; with them browsers would read it as a name.
  const exposeHeaders =
    expose.length > 0 && !(credentials && expose.includes('*')) ? join(expose) : undefined;
  const maxAge = o.accessControlMaxAge === undefined ? undefined : String(o.accessControlMaxAge);
  const vary = o.addVaryHeader === true;

  return {
    preflight(req, res) {
      if (req.method !== 'OPTIONS') return false;
      const method = firstValue(req.headers['access-control-request-method']);
      const origin = firstValue(req.headers.origin);
      if (method === '' || origin === '') return false;
      if (credentials) res.setHeader('access-control-allow-credentials', 'true');
      if (echoHeaders) {
        const asked = firstValue(req.headers['access-control-request-headers']);
        if (asked !== '') res.setHeader('access-control-allow-headers', asked);
      } else if (allowHeaders !== '') res.setHeader('access-control-allow-headers', allowHeaders);
      if (echoMethod) res.setHeader('access-control-allow-methods', method);
      else if (allowMethods !== '') res.setHeader('access-control-allow-methods', allowMethods);
      const allowed = match(origin);
      if (allowed !== undefined) res.setHeader('access-control-allow-origin', allowed);
      if (maxAge !== undefined) res.setHeader('access-control-max-age', maxAge);
      if (exposeHeaders !== undefined) res.setHeader('access-control-expose-headers', exposeHeaders);
      res.writeHead(200, { 'content-length': '0' });
      res.end();
      return true;
    },
    decorate(req, res) {
      const allowed = match(firstValue(req.headers.origin));
      if (allowed !== undefined) res.setHeader('access-control-allow-origin', allowed);
      if (credentials) res.setHeader('access-control-allow-credentials', 'true');
      if (exposeHeaders !== undefined) res.setHeader('access-control-expose-headers', exposeHeaders);
      if (!vary) return;
      // Traefik reads the first Vary value and appends ",Origin" unless it is exactly "Origin".
      const current = res.getHeader('vary');
      const first = Array.isArray(current)
        ? (current[0] ?? '')
        : current === undefined
          ? ''
          : String(current);
      if (first === 'Origin') return;
      res.setHeader('vary', first === '' ? 'Origin' : `${first},Origin`);
    },
  };
}
