import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { RequestState } from '../../middleware/request-state.ts';
import { bodyBytes } from './counting-response.ts';

// Traefik's access-log fields (pkg/middlewares/accesslog/logdata.go), each computed from the finished
// request only when a line needs it. A field whose getter returns undefined is absent, as in Traefik
// (RouterName of an unrouted request, TLSVersion of a plain one).

/** One finished request, as the formats read it. */
export interface LogEntry {
  req: IncomingMessage;
  res: ServerResponse;
  state: RequestState;
  /** Status sent to the client (499: the client left before one was). */
  status: number;
  /** Nanoseconds from arrival to the end of the response. */
  durationNs: number;
  /** Wall time (ms since epoch) when the response ended. */
  endMs: number;
  /** Requests logged since start, this one included (Traefik's RequestCount). */
  count: number;
  /** RequestPath keeps its query string (fields.queryParameters.defaultMode keep). */
  keepQuery: boolean;
}

const pad2 = (n: number) => (n < 10 ? `0${n}` : String(n));

/** The last second formatted, per time zone: lines of the same second share it. */
const secondCache = [
  { second: Number.NaN, text: '', zone: '' },
  { second: Number.NaN, text: '', zone: '' },
];

/** Go's RFC 3339 with nanoseconds, trailing zeros trimmed (how time.Time marshals to JSON). */
export function rfc3339Nano(ms: number, local: boolean): string {
  const whole = Math.floor(ms);
  const second = Math.floor(whole / 1000);
  const cache = secondCache[local ? 1 : 0] as (typeof secondCache)[number];
  if (cache.second !== second) {
    const d = new Date(second * 1000);
    cache.second = second;
    if (local) {
      const off = -d.getTimezoneOffset();
      cache.zone =
        off === 0
          ? 'Z'
          : `${off > 0 ? '+' : '-'}${pad2(Math.floor(Math.abs(off) / 60))}:${pad2(Math.abs(off) % 60)}`;
      cache.text = `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())}T${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
    } else {
      cache.zone = 'Z';
      cache.text = `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}T${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`;
    }
  }
  const ns = Math.round((ms - second * 1000) * 1e6);
  const frac = ns === 0 ? '' : `.${String(ns).padStart(9, '0').replace(/0+$/, '')}`;
  return `${cache.text}${frac}${cache.zone}`;
}

/** When the request arrived, in ms since epoch (sub-millisecond part from the monotonic duration). */
export const startMs = (e: LogEntry): number => e.endMs - e.durationNs / 1e6;

/** Go's net.SplitHostPort, or [value, "-"] when it fails (Traefik's silentSplitHostPort). */
export function splitHostPort(value: string): [string, string] {
  if (value.startsWith('[')) {
    const end = value.indexOf(']');
    if (end > 0 && value.charCodeAt(end + 1) === 58 && value.indexOf(':', end + 2) === -1)
      return [value.slice(1, end), value.slice(end + 2)];
    return [value, '-'];
  }
  const colon = value.indexOf(':');
  if (colon === -1 || value.indexOf(':', colon + 1) !== -1) return [value, '-'];
  return [value.slice(0, colon), value.slice(colon + 1)];
}

/** The host[:port] of a server URL (Traefik's ServiceAddr), without user info. */
export function urlHost(url: string): string {
  const scheme = url.indexOf('://');
  const start = scheme === -1 ? 0 : scheme + 3;
  let end = url.indexOf('/', start);
  if (end === -1) end = url.length;
  const authority = url.slice(start, end);
  return authority.slice(authority.lastIndexOf('@') + 1);
}

const SHORT_NAMES = new Set(['C', 'O', 'OU', 'CN', 'SERIALNUMBER', 'L', 'ST', 'STREET', 'POSTALCODE']);

/**
 * A certificate subject as Go's pkix.Name.String() writes it: most specific first, comma-separated
 * (`CN=alice,O=Example,C=FR`). Node's subject lists the RDNs in certificate order, one a line.
 */
export function goSubject(nodeSubject: string): string {
  return nodeSubject
    .split('\n')
    .filter(Boolean)
    .reverse()
    .map((rdn) => {
      const eq = rdn.indexOf('=');
      const name = rdn.slice(0, eq);
      return `${SHORT_NAMES.has(name.toUpperCase()) ? name.toUpperCase() : name}${rdn.slice(eq)}`;
    })
    .join(',');
}

const TLS_VERSIONS: Record<string, string> = {
  TLSv1: '1.0',
  'TLSv1.1': '1.1',
  'TLSv1.2': '1.2',
  'TLSv1.3': '1.3',
};

function tlsSocket(e: LogEntry): TLSSocket | undefined {
  const socket = e.req.socket as TLSSocket | undefined;
  return socket?.encrypted ? socket : undefined;
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** The Host header (HTTP/2: :authority), or undefined when there is none. */
function hostHeader(e: LogEntry): string | undefined {
  const host = e.req.headers.host;
  return host ? host : undefined;
}

function requestBytes(e: LogEntry): number {
  const replay = e.state.replayBody;
  if (Buffer.isBuffer(replay)) return replay.length;
  if (!e.req.complete) return 0;
  return Number(e.req.headers['content-length']) || 0;
}

const originNs = (e: LogEntry): number =>
  e.state.originMs === undefined ? 0 : Math.round(e.state.originMs * 1e6);

const originStatus = (e: LogEntry): number =>
  // A server was tried and failed: Traefik's OriginStatus is then the error status its proxy wrote.
  e.state.originStatus ?? (e.state.serverUrl !== undefined ? e.status : 0);

/** Every core field by name, in Traefik's spelling. */
export const FIELD_GETTERS: Readonly<Record<string, (e: LogEntry) => unknown>> = {
  StartUTC: (e) => rfc3339Nano(startMs(e), false),
  StartLocal: (e) => rfc3339Nano(startMs(e), true),
  Duration: (e) => e.durationNs,
  RouterName: (e) => e.state.router,
  ServiceName: (e) => e.state.service,
  ServiceURL: (e) => e.state.serverUrl,
  ServiceAddr: (e) => (e.state.serverUrl === undefined ? undefined : urlHost(e.state.serverUrl)),
  ClientAddr: (e) => {
    const ip = e.state.clientIp;
    return `${ip.includes(':') ? `[${ip}]` : ip}:${e.req.socket?.remotePort ?? 0}`;
  },
  // As Traefik: the X-Forwarded-For a trusted peer sent (others' are removed at the entryPoint).
  ClientHost: (e) => first(e.req.headers['x-forwarded-for']) || e.state.clientIp,
  ClientPort: (e) => String(e.req.socket?.remotePort ?? 0),
  ClientUsername: (e) => e.state.username || '-',
  RequestAddr: hostHeader,
  RequestHost: (e) => {
    const host = hostHeader(e);
    return host === undefined ? undefined : splitHostPort(host)[0];
  },
  RequestPort: (e) => {
    const host = hostHeader(e);
    return host === undefined ? undefined : splitHostPort(host)[1];
  },
  RequestMethod: (e) => e.req.method,
  RequestPath: (e) => {
    const url = e.state.originalUrl;
    if (e.keepQuery) return url;
    const q = url.indexOf('?');
    return q === -1 ? url : url.slice(0, q);
  },
  RequestProtocol: (e) => `HTTP/${e.req.httpVersion}`,
  RequestScheme: (e) => e.state.scheme,
  RequestContentSize: requestBytes,
  OriginDuration: originNs,
  OriginContentSize: (e) => e.state.responseBytes ?? 0,
  OriginStatus: originStatus,
  DownstreamStatus: (e) => e.status,
  DownstreamContentSize: (e) => bodyBytes(e.res),
  RequestCount: (e) => e.count,
  GzipRatio: (e) => {
    const size = bodyBytes(e.res);
    const origin = e.state.responseBytes ?? 0;
    return size !== origin && size !== 0 ? origin / size : undefined;
  },
  Overhead: (e) => e.durationNs - originNs(e),
  RetryAttempts: (e) => e.state.retryAttempts ?? 0,
  // Wharf's own (Traefik has no request id): set only for requests a waf middleware evaluated, the id its
  // audit log lines carry; absent otherwise, so other lines stay as Traefik writes them.
  RequestId: (e) => e.state.requestId,
  TLSVersion: (e) => {
    const socket = tlsSocket(e);
    if (!socket) return undefined;
    const v = socket.getProtocol?.();
    return v ? (TLS_VERSIONS[v] ?? v) : undefined;
  },
  TLSCipher: (e) => {
    const socket = tlsSocket(e);
    if (!socket) return undefined;
    const cipher = socket.getCipher?.();
    return cipher ? (cipher.standardName ?? cipher.name) : undefined;
  },
  TLSClientSubject: (e) => {
    const subject = tlsSocket(e)?.getPeerX509Certificate?.()?.subject;
    return subject ? goSubject(subject) : undefined;
  },
  entryPointName: (e) => e.state.entryPoint,
};

/** Field names in the order Traefik's JSON lines have them (Go sorts map keys byte-wise). */
export const FIELD_NAMES: readonly string[] = Object.keys(FIELD_GETTERS).sort();
