import type { IncomingMessage } from 'node:http';
import type { z } from 'zod';
import type { RedirectSchemeSchema } from '../../config/dynamic.ts';
import type { Middleware } from '../middleware.ts';
import { sendRedirect } from '../redirect-response.ts';
import { formatRequestUrl, requestUrl } from '../request-url.ts';

const DEFAULT_PORTS: Record<string, string> = { http: '80', https: '443', ws: '80', wss: '443' };

/**
 * The redirect target for a scheme and optional port, or undefined when the request is already there.
 * As in Traefik, the request's URL (scheme from X-Forwarded-Proto, default port left out) is compared with
 * the target: `https://a:8443/` is redirected to `https://a/` when no port is configured.
 */
export function redirectLocation(
  req: IncomingMessage,
  scheme: string,
  port: string | undefined,
): string | undefined {
  const current = requestUrl(req, { forwardedProto: true, splitPort: true });
  const portPart = port && port !== DEFAULT_PORTS[scheme] ? `:${port}` : '';
  const target = formatRequestUrl({ scheme, host: current.host, port: portPart, uri: current.uri });
  return target === formatRequestUrl(current) ? undefined : target;
}

/** Redirects requests that did not arrive on the configured scheme and port (HTTP → HTTPS). */
export function redirectScheme(options: z.infer<typeof RedirectSchemeSchema>): Middleware {
  const scheme = options.scheme.toLowerCase();
  const port = options.port;
  const permanent = options.permanent === true;
  return (next) => async (req, res) => {
    const location = redirectLocation(req, scheme, port);
    if (location === undefined) return next(req, res);
    sendRedirect(req, res, location, permanent);
  };
}
