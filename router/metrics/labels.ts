import type { IncomingHttpHeaders } from 'node:http';
import type { TLSSocket } from 'node:tls';

// The label values of the request metrics, as Traefik v3 computes them (pkg/middlewares/metrics): the
// method (bounded to HTTP's verbs), the protocol (http, websocket, sse, grpc-web, grpc) and the TLS version
// and cipher. Methods and protocols are small indexes so a request's series key is a number, not a string.

/** The `method` label values: HTTP's verbs, then the value for every other method. */
export const METHODS = [
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'DELETE',
  'CONNECT',
  'OPTIONS',
  'TRACE',
  'PATCH',
  'PRI',
  'EXTENSION_METHOD',
] as const;

/** The `protocol` label values. */
export const PROTOCOLS = ['http', 'websocket', 'sse', 'grpc-web', 'grpc'] as const;

const EXTENSION = METHODS.indexOf('EXTENSION_METHOD');

/**
 * The index in METHODS of a request method: the verb itself for HTTP's verbs, EXTENSION_METHOD for any
 * other (so a client cannot create a series per made-up method). Node only accepts known methods, so the
 * last case is rare; it is there for Traefik's bound.
 */
export function methodIndex(method: string | undefined): number {
  switch (method) {
    case 'GET':
      return 0;
    case 'HEAD':
      return 1;
    case 'POST':
      return 2;
    case 'PUT':
      return 3;
    case 'DELETE':
      return 4;
    case 'CONNECT':
      return 5;
    case 'OPTIONS':
      return 6;
    case 'TRACE':
      return 7;
    case 'PATCH':
      return 8;
    case 'PRI':
      return 9;
    default:
      return EXTENSION;
  }
}

/** Whether a comma-separated header holds `value` as one item (trimmed, case-insensitive), as Traefik checks. */
export function headerHasItem(header: string | string[] | undefined, value: string): boolean {
  if (header === undefined) return false;
  const text = Array.isArray(header) ? header[0] : header;
  if (text === undefined || text.length < value.length) return false;
  for (const item of text.split(',')) if (item.trim().toLowerCase() === value) return true;
  return false;
}

/**
 * The index in PROTOCOLS of a request: websocket for an Upgrade to websocket, sse when it accepts
 * text/event-stream, grpc-web and grpc by content type, else http (Traefik's order of tests).
 */
export function protocolIndex(headers: IncomingHttpHeaders): number {
  if (headers.upgrade !== undefined && headerHasItem(headers.connection, 'upgrade')) {
    if (headerHasItem(headers.upgrade, 'websocket')) return 1;
  }
  if (headers.accept !== undefined && headerHasItem(headers.accept, 'text/event-stream')) return 2;
  const type = headers['content-type'];
  if (type?.startsWith('application/grpc')) {
    return type.startsWith('application/grpc-web') ? 3 : 4;
  }
  return 0;
}

/** Traefik's `tls_version` value of Node's protocol name: TLSv1.3 -> 1.3. */
export function tlsVersionLabel(protocol: string | null): string {
  if (!protocol) return 'unknown';
  if (protocol === 'TLSv1') return '1.0';
  return protocol.startsWith('TLSv') ? protocol.slice(4) : protocol;
}

/** The TLS labels of one connection, computed once per connection and shared by its requests. */
export interface TlsLabels {
  readonly version: string;
  readonly cipher: string;
}

const TLS_LABELS = Symbol('wharf.metrics.tls');
const interned = new Map<string, TlsLabels>();

/**
 * The TLS labels of a TLS socket (IANA cipher names, as Go's and so Traefik's), cached on the socket:
 * getCipher() allocates, so it runs once per connection, and equal labels are one object.
 */
export function tlsLabelsOf(socket: TLSSocket): TlsLabels {
  const s = socket as TLSSocket & { [TLS_LABELS]?: TlsLabels };
  const cached = s[TLS_LABELS];
  if (cached) return cached;
  const cipher = socket.getCipher?.();
  const version = tlsVersionLabel(socket.getProtocol?.() ?? null);
  const name = cipher?.standardName ?? cipher?.name ?? 'unknown';
  const key = `${version} ${name}`;
  let labels = interned.get(key);
  if (!labels) {
    labels = { version, cipher: name };
    interned.set(key, labels);
  }
  s[TLS_LABELS] = labels;
  return labels;
}

/** A Content-Length header as a number of bytes (0 when absent or not a number). */
export function contentLength(value: string | number | string[] | undefined): number {
  if (value === undefined) return 0;
  const n = typeof value === 'number' ? value : Number(Array.isArray(value) ? value[0] : value);
  return Number.isFinite(n) && n > 0 ? n : 0;
}
