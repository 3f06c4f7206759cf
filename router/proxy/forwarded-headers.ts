import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { connectionTokens, isForwardedHeader } from './hop-headers.ts';

/** How an entryPoint treats X-Forwarded-* headers sent by its peers (`entryPoints.<n>.forwardedHeaders`). */
export interface ForwardedHeadersPolicy {
  /** Whether the socket peer may set X-Forwarded-* itself: from `trustedIPs`, or `() => true` for `insecure`. */
  trusted: (ip: string) => boolean;
  /** Value for X-Forwarded-Server (Traefik sends its host name); not sent when absent. */
  serverName?: string;
  /** Headers named in `Connection` that still reach the middlewares (`forwardedHeaders.connection`), lower case. */
  connection?: readonly string[];
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function hasToken(value: string | string[] | undefined, token: string): boolean {
  const v = first(value);
  if (v === undefined) return false;
  for (const part of v.split(',')) if (part.trim().toLowerCase() === token) return true;
  return false;
}

/** The port of a Host header value (`example.com:8080`, `[::1]:8080`), or undefined when it has none. */
function hostPort(host: string | undefined): string | undefined {
  if (!host) return undefined;
  const colon = host.lastIndexOf(':');
  if (colon === -1 || colon < host.lastIndexOf(']')) return undefined;
  const port = host.slice(colon + 1);
  return port === '' ? undefined : port;
}

/** Applies Traefik's `removeConnectionHeaders`: Connection options apply, Wharf's X-headers are kept. */
function removeConnectionHeaders(headers: IncomingHttpHeaders, keep: readonly string[] | undefined): void {
  if (headers.connection === undefined) return;
  const upgrade = hasToken(headers.connection, 'upgrade') ? first(headers.upgrade) : undefined;
  const kept: string[] = [];
  for (const name of connectionTokens(headers.connection)) {
    if (keep?.includes(name)) kept.push(name);
    else delete headers[name];
  }
  if (upgrade !== undefined) {
    headers.upgrade = upgrade;
    kept.push('upgrade');
  }
  if (kept.length > 0) headers.connection = kept.join(',');
  else delete headers.connection;
}

/**
 * Removes X-Forwarded-* and X-Real-Ip sent by an untrusted peer, then sets X-Real-Ip, X-Forwarded-Proto,
 * -Host, -Port and -Server where absent and applies the Connection header's options, as Traefik's
 * entryPoint does; X-Forwarded-For is appended later by the proxy. Runs once per request, before routing.
 * `localPort` is accepted but unused: Traefik takes X-Forwarded-Port from the Host header (then 443/80 by
 * scheme), which stays right behind port mappings where the local port would not.
 */
export function applyForwardedHeaders(
  req: IncomingMessage,
  clientIp: string,
  scheme: 'http' | 'https',
  _localPort: number,
  policy: ForwardedHeadersPolicy,
): void {
  const headers = req.headers;
  if (!policy.trusted(clientIp)) {
    for (const name in headers) if (isForwardedHeader(name)) delete headers[name];
  }
  if (!first(headers['x-real-ip'])) {
    const percent = clientIp.indexOf('%');
    headers['x-real-ip'] = percent === -1 ? clientIp : clientIp.slice(0, percent);
  }
  let proto = first(headers['x-forwarded-proto']);
  if (!proto) {
    const websocket = hasToken(headers.connection, 'upgrade') && hasToken(headers.upgrade, 'websocket');
    proto = websocket ? (scheme === 'https' ? 'wss' : 'ws') : scheme;
    headers['x-forwarded-proto'] = proto;
  }
  const host = headers.host;
  if (!first(headers['x-forwarded-port'])) {
    headers['x-forwarded-port'] =
      hostPort(host) ?? (proto === 'https' || proto === 'wss' || scheme === 'https' ? '443' : '80');
  }
  if (!first(headers['x-forwarded-host']) && host) headers['x-forwarded-host'] = host;
  if (policy.serverName !== undefined) headers['x-forwarded-server'] = policy.serverName;
  removeConnectionHeaders(headers, policy.connection);
}
