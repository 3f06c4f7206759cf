import type { IncomingMessage, ServerResponse } from 'node:http';
import { headerWireValue } from '../../config/header-syntax.ts';

// Traefik answers a failed authentication with go-http-auth's response: 401, Content-Type text/plain and
// the body "401 Unauthorized\n".
const BODY = '401 Unauthorized\n';

/** A quoted-string (RFC 9110 §5.6.4) for a challenge parameter: `"` and `\` escaped, sent as UTF-8 bytes. */
export function quotedString(value: string): string {
  return `"${headerWireValue(value).replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

/** Answers 401 with the challenge in WWW-Authenticate, as Traefik does. */
export function sendUnauthorized(res: ServerResponse, challenge: string): void {
  res.writeHead(401, {
    'content-type': 'text/plain',
    'content-length': Buffer.byteLength(BODY),
    'www-authenticate': challenge,
  });
  res.end(BODY);
}

/**
 * Passes the authenticated user on as Traefik does: `headerField` (when set) replaces any value the client
 * sent, and `removeHeader` drops the credentials before the request is forwarded.
 */
export function forwardAuthenticated(
  req: IncomingMessage,
  user: string,
  options: { headerField?: string | undefined; removeHeader?: boolean | undefined },
): void {
  if (options.headerField) req.headers[options.headerField.toLowerCase()] = headerWireValue(user);
  if (options.removeHeader) delete req.headers.authorization;
}
