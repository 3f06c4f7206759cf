import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import type { AccessLogConfig } from '../../config/static/access-log.ts';
import { FIELD_GETTERS, FIELD_NAMES, type LogEntry } from './fields.ts';

// `accessLog.fields` compiled once: which core fields a line has, and how each header is written.

type HeaderMode = 'keep' | 'drop' | 'redact';

/** The compiled `fields` section. */
export interface FieldPolicy {
  /** Whether a core field (Traefik's name) is written. */
  keeps(name: string): boolean;
  /** Kept core fields with their getters, in JSON order (entryPointName last). */
  readonly core: ReadonlyArray<{ readonly name: string; readonly get: (e: LogEntry) => unknown }>;
  /** How a header (any case) is written. */
  headerMode(name: string): HeaderMode;
  /** Whether any header can be written (otherwise headers are never looked at). */
  readonly anyHeader: boolean;
  /** RequestPath keeps its query string. */
  readonly keepQuery: boolean;
}

/** Traefik's checkFieldValue: keep or drop; anything else (redact) is the default. */
const fieldKeep = (mode: string | undefined, fallback: boolean) =>
  mode === 'keep' ? true : mode === 'drop' ? false : fallback;

/** Compiles `fields`; names of fields and headers are matched without regard to case, as Traefik does. */
export function compileFieldPolicy(fields: AccessLogConfig['fields']): FieldPolicy {
  const defaultKeep = fieldKeep(fields.defaultMode, true);
  const names = new Map<string, string>();
  for (const [k, v] of Object.entries(fields.names ?? {})) names.set(k.toLowerCase(), v);
  const decide = (name: string) => fieldKeep(names.get(name.toLowerCase()), defaultKeep);
  // Decided once per known field: the formats ask for every line.
  const known = new Map(FIELD_NAMES.map((name) => [name, decide(name)]));
  const keeps = (name: string) => known.get(name) ?? decide(name);
  const headerDefault: HeaderMode = fields.headers.defaultMode;
  const headers = new Map<string, HeaderMode>();
  for (const [k, v] of Object.entries(fields.headers.names ?? {})) headers.set(k.toLowerCase(), v);
  const core = FIELD_NAMES.filter(keeps).map((name) => ({
    name,
    get: FIELD_GETTERS[name] as (e: LogEntry) => unknown,
  }));
  return {
    keeps,
    core,
    headerMode: (name) => headers.get(name.toLowerCase()) ?? headerDefault,
    anyHeader: headerDefault !== 'drop' || [...headers.values()].some((m) => m !== 'drop'),
    keepQuery: fields.queryParameters?.defaultMode !== 'drop',
  };
}

const canonical = new Map<string, string>();
// The token characters of RFC 9110: Go leaves a name with any other byte as it is.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Go's textproto.CanonicalMIMEHeaderKey: `x-forwarded-for` → `X-Forwarded-For`; other bytes: as is. */
export function canonicalHeader(name: string): string {
  let out = canonical.get(name);
  if (out !== undefined) return out;
  out = TOKEN.test(name)
    ? name.toLowerCase().replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase())
    : name;
  // Header names come from clients: remember a bounded number.
  if (canonical.size < 1000) canonical.set(name, out);
  return out;
}

/** Request headers Go keeps out of req.Header: pseudo-headers, Host (req.Host), Transfer-Encoding. */
const NOT_REQUEST_HEADERS = new Set(['host', 'transfer-encoding']);
/** Response headers only on the wire (Go's server adds them), not in the handler's header map. */
const WIRE_ONLY = new Set(['connection', 'keep-alive', 'transfer-encoding']);

type Headers = IncomingHttpHeaders | OutgoingHttpHeaders;

/** `prefix + CanonicalName` → value (values of a repeated header joined with ","), sorted by name. */
export function headerFields(
  headers: Headers | undefined,
  skip: ReadonlySet<string>,
  policy: FieldPolicy,
): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  if (!headers) return out;
  for (const name in headers) {
    const lower = name.toLowerCase();
    if (lower.charCodeAt(0) === 58 || skip.has(lower)) continue;
    const mode = policy.headerMode(lower);
    if (mode === 'drop') continue;
    const value = headers[name];
    if (value === undefined) continue;
    out.push([
      canonicalHeader(name),
      mode === 'redact' ? 'REDACTED' : Array.isArray(value) ? value.join(',') : String(value),
    ]);
  }
  return out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/** The response head Node sent, as a header map (HTTP/1.1 keeps only its text when writeHead got an object). */
export function sentHeaders(res: LogEntry['res']): OutgoingHttpHeaders {
  const head = (res as unknown as { _header?: string | null })._header;
  if (typeof head !== 'string') return res.getHeaders();
  const out: Record<string, string | string[]> = {};
  const lines = head.split('\r\n');
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] as string;
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).toLowerCase();
    const value = line.slice(colon + 1).trim();
    const prev = out[name];
    out[name] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
  }
  return out;
}

/** The request, origin and downstream header fields of a line, each group sorted. */
export function allHeaderFields(
  e: LogEntry,
  policy: FieldPolicy,
): {
  request: Array<[string, string]>;
  origin: Array<[string, string]>;
  downstream: Array<[string, string]>;
} {
  return {
    request: headerFields(e.req.headers, NOT_REQUEST_HEADERS, policy),
    origin: headerFields(e.state.originHeaders, WIRE_ONLY, policy),
    downstream: headerFields(sentHeaders(e.res), WIRE_ONLY, policy),
  };
}
