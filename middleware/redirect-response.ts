import type { IncomingMessage, ServerResponse } from 'node:http';

const STATUS_TEXT: Record<number, string> = {
  301: 'Moved Permanently',
  302: 'Found',
  307: 'Temporary Redirect',
  308: 'Permanent Redirect',
};

/**
 * The status of a redirect as Traefik's redirect middlewares choose it: GET gets 302 (301 when permanent),
 * every other method, HEAD included, 307 (308) so the method and body are kept.
 */
export function redirectStatus(method: string | undefined, permanent: boolean): 301 | 302 | 307 | 308 {
  const get = method === 'GET';
  if (permanent) return get ? 301 : 308;
  return get ? 302 : 307;
}

/**
 * Answers with a redirect as Traefik does: the status text as the body and no Content-Type (Traefik v3
 * turns Go's content sniffing off, and the body is not meant to be shown).
 */
export function sendRedirect(
  req: IncomingMessage,
  res: ServerResponse,
  location: string,
  permanent: boolean,
): void {
  const status = redirectStatus(req.method, permanent);
  res.writeHead(status, { location });
  res.end(req.method === 'HEAD' ? undefined : STATUS_TEXT[status]);
}
