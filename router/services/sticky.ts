import { createHash } from 'node:crypto';
import type { StickyCookie } from '../../config/dynamic.ts';

/** Traefik's default cookie name scheme: '_' and 5 hex characters of a hash of the service name. */
export function defaultCookieName(service: string): string {
  return `_${createHash('sha1').update(`_TRAEFIK_BACKEND_${service}`).digest('hex').slice(0, 5)}`;
}

/** The cookie value that pins a client to a target (a server URL or a child service name). */
export function stickyValue(target: string): string {
  return createHash('sha256').update(target).digest('hex').slice(0, 16);
}

/** Reads one cookie from a Cookie header without parsing the others. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** The compiled cookie settings of one sticky service. */
export interface StickyPolicy {
  readonly name: string;
  /** The Set-Cookie header value that pins a client to `target`. */
  setCookie(target: string): string;
}

/** Builds the sticky policy for a service from `sticky.cookie`. */
export function stickyPolicy(service: string, cookie: StickyCookie): StickyPolicy {
  const name = cookie.name || defaultCookieName(service);
  let attrs = `; Path=${cookie.path ?? '/'}`;
  if (cookie.domain) attrs += `; Domain=${cookie.domain}`;
  if (cookie.maxAge !== undefined && cookie.maxAge !== 0) attrs += `; Max-Age=${Math.max(cookie.maxAge, 0)}`;
  if (cookie.httpOnly) attrs += '; HttpOnly';
  if (cookie.secure) attrs += '; Secure';
  if (cookie.sameSite) attrs += `; SameSite=${cookie.sameSite[0]!.toUpperCase()}${cookie.sameSite.slice(1)}`;
  return { name, setCookie: (target) => `${name}=${stickyValue(target)}${attrs}` };
}
