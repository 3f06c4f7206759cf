import type { IncomingMessage } from 'node:http';
import { sanitizeTarget, type TargetPolicy } from './sanitize-target.ts';

/** Why a request is refused before routing: the status to answer and the problem, for the debug log. */
export interface RequestRefusal {
  readonly status: 400 | 501;
  readonly problem: string;
}

const MAX_CONTENT_LENGTH = Number.MAX_SAFE_INTEGER;

/**
 * Framing and protocol checks Node's parser leaves to the server, done as Go's server (so Traefik) does:
 * HTTP/0.9 (Node parses `GET /` as version 0.9) and several Host headers are 400; a Content-Length above
 * 2^53-1, which JavaScript numbers cannot hold exactly (undici would send another length upstream), is 400;
 * CONNECT is 501 as in Traefik (>= v3.6.24), which does not tunnel HTTP/1 CONNECT requests either.
 */
export function requestRefusal(req: IncomingMessage): RequestRefusal | undefined {
  if (req.httpVersionMajor === 0) return { status: 400, problem: 'an HTTP/0.9 request' };
  if (req.method === 'CONNECT') return { status: 501, problem: 'a CONNECT request' };
  const length = req.headers['content-length'];
  // Node's parser already refuses non-digits and conflicting lengths; only the magnitude is left.
  if (length !== undefined && length.length > 15 && Number(length) > MAX_CONTENT_LENGTH)
    return { status: 400, problem: `Content-Length ${length} above 2^53-1` };
  // Node keeps the first Host and drops the others (HTTP/2 requests carry :authority instead).
  if (req.httpVersionMajor === 1) {
    const raw = req.rawHeaders;
    let hosts = 0;
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i] as string;
      if (name.length === 4 && name.toLowerCase() === 'host' && ++hosts > 1)
        return { status: 400, problem: 'several Host headers' };
    }
  }
  return undefined;
}

/**
 * Puts the request target in origin form (normalizeTarget) and cleans its path (sanitize-target.ts), in
 * place: what the routers match and the servers receive. A refusal when either is impossible.
 */
export function cleanTarget(req: IncomingMessage, policy: TargetPolicy): RequestRefusal | undefined {
  if (!normalizeTarget(req)) return { status: 400, problem: 'a request target that is not a path' };
  const cleaned = sanitizeTarget(req.url ?? '/', policy);
  if (!cleaned.ok) return { status: 400, problem: cleaned.problem };
  req.url = cleaned.url;
  return undefined;
}

/**
 * Rewrites an absolute-form target (`GET http://host/p`, sent to proxies) to origin form, taking its
 * host as the Host header as RFC 9112 §3.2.2 requires; false for targets no router can serve (`*`).
 */
export function normalizeTarget(req: IncomingMessage): boolean {
  const url = req.url ?? '';
  if (url.startsWith('/')) return true;
  const authority = /^https?:\/\/([^/?#]*)/i.exec(url);
  if (!authority) return false;
  // An empty authority (`GET http://@/`): Go keeps the Host header (net/http readRequest), so Traefik
  // routes by it; WHATWG's URL refuses such a URL, so the target is cut by hand.
  const name = authority[1]!.slice(authority[1]!.lastIndexOf('@') + 1);
  if (name === '') {
    const rest = url.slice(authority[0].length);
    req.url = rest.startsWith('/') ? rest : `/${rest}`;
    return true;
  }
  try {
    const u = new URL(url);
    req.headers.host = u.host;
    req.url = `${u.pathname}${u.search}`;
    return true;
  } catch {
    return false;
  }
}
