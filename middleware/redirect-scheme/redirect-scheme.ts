import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';
import type { RedirectSchemeSchema } from '../../config/dynamic.ts';
import type { Middleware } from '../middleware.ts';
import { requestState } from '../request-state.ts';

const DEFAULT_PORTS: Record<string, string> = { http: '80', https: '443', ws: '80', wss: '443' };

/** Host without its port; IPv6 literals keep their brackets. */
export function hostWithoutPort(host: string): string {
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    return end === -1 ? host : host.slice(0, end + 1);
  }
  const colon = host.indexOf(':');
  return colon === -1 ? host : host.slice(0, colon);
}

/** The scheme the client used: X-Forwarded-Proto (already cleaned by the entryPoint) or the entryPoint's. */
export function requestScheme(req: IncomingMessage): string {
  const fwd = req.headers['x-forwarded-proto'];
  if (typeof fwd === 'string' && fwd !== '') return fwd.split(',')[0]!.trim().toLowerCase();
  return requestState(req).scheme;
}

/** Answers with a redirect; GET/HEAD get 301/302, other methods 307/308 so the body is re-sent. */
export function sendRedirect(
  req: IncomingMessage,
  res: ServerResponse,
  location: string,
  permanent: boolean,
): void {
  const keepMethod = req.method !== 'GET' && req.method !== 'HEAD';
  const status = permanent ? (keepMethod ? 308 : 301) : keepMethod ? 307 : 302;
  res.writeHead(status, { location, 'content-type': 'text/plain; charset=utf-8' });
  res.end(
    req.method === 'HEAD'
      ? undefined
      : `${status === 301 || status === 308 ? 'Moved Permanently' : 'Found'}\n`,
  );
}

/** Builds the redirect target for a scheme and optional port. */
export function redirectLocation(req: IncomingMessage, scheme: string, port: string | undefined): string {
  const host = hostWithoutPort(req.headers.host ?? '');
  const portPart = port && port !== DEFAULT_PORTS[scheme] ? `:${port}` : '';
  return `${scheme}://${host}${portPart}${req.url ?? '/'}`;
}

/** Redirects requests that did not arrive on the configured scheme (HTTP → HTTPS). */
export function redirectScheme(options: z.infer<typeof RedirectSchemeSchema>): Middleware {
  const scheme = options.scheme.toLowerCase();
  const port = options.port;
  const permanent = options.permanent === true;
  return (next) => async (req, res) => {
    if (requestScheme(req) === scheme) return next(req, res);
    sendRedirect(req, res, redirectLocation(req, scheme, port), permanent);
  };
}
