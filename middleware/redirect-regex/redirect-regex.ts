import type { z } from 'zod';
import type { RedirectRegexSchema } from '../../config/middlewares/redirect-regex.ts';
import type { Middleware } from '../middleware.ts';
import { operatorRegexp } from '../operator-regexp.ts';
import { sendRedirect } from '../redirect-response.ts';
import { formatRequestUrl, requestUrl } from '../request-url.ts';
import { goUrlString } from './go-url.ts';

/**
 * Redirects when `regex` matches the request URL, to `replacement` with the groups filled in (Traefik's
 * RedirectRegex). The URL is `http(s)://<Host header><path>?<query>`: the scheme is the connection's (https
 * over TLS, never X-Forwarded-Proto) and the Host keeps its port, exactly as Traefik builds it. No match,
 * or a replacement that gives the same URL back, lets the request through.
 */
export function redirectRegex(options: z.infer<typeof RedirectRegexSchema>): Middleware {
  const regex = operatorRegexp('regex', options.regex);
  const permanent = options.permanent === true;
  return (next) => async (req, res) => {
    const oldUrl = formatRequestUrl(requestUrl(req));
    if (!regex.test(oldUrl)) return next(req, res);
    const newUrl = regex.replaceAll(oldUrl, options.replacement);
    const parsed = goUrlString(newUrl);
    if (!parsed.ok) {
      // Traefik hands Go's *url.Error to oxy's default error handler, which takes it for a network error
      // (it has Timeout()): 502 with the status text, and no Content-Type as sniffing is off.
      res.writeHead(502);
      res.end(req.method === 'HEAD' ? undefined : 'Bad Gateway');
      return;
    }
    if (newUrl === oldUrl) return next(req, res);
    sendRedirect(req, res, parsed.location, permanent);
  };
}
