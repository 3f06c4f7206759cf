import { rfc3339 } from '../../core/console-line.ts';
import { allHeaderFields, type FieldPolicy } from './field-policy.ts';
import { FIELD_GETTERS, type LogEntry, startMs } from './fields.ts';

// Traefik's three access-log formats (pkg/middlewares/accesslog/logger_formatters.go and logrus's JSON
// formatter), built from the fields the policy keeps; a dropped field prints as Traefik prints a missing one.

/** Formats one finished request as a line (with its newline). */
export type Formatter = (e: LogEntry, policy: FieldPolicy) => string;

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number) => (n < 10 ? `0${n}` : String(n));

const clfCache = [
  { second: Number.NaN, text: '' },
  { second: Number.NaN, text: '' },
];

/** CLF time (02/Jan/2006:15:04:05 -0700): UTC, or local time with its offset; one formatting a second. */
export function clfTime(ms: number, local: boolean): string {
  const second = Math.floor(ms / 1000);
  const cache = clfCache[local ? 1 : 0] as (typeof clfCache)[number];
  if (cache.second !== second) {
    cache.second = second;
    cache.text = formatClfTime(second * 1000, local);
  }
  return cache.text;
}

function formatClfTime(ms: number, local: boolean): string {
  const d = new Date(ms);
  if (!local)
    return `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
  const off = -d.getTimezoneOffset();
  const zone = `${off < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(off) / 60))}${pad(Math.abs(off) % 60)}`;
  return `${pad(d.getDate())}/${MONTHS[d.getMonth()]}/${d.getFullYear()}:${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())} ${zone}`;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is escaped
const QUOTED_SPECIAL = /["\\\x00-\x1f\x7f]/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: as above
const QUOTED_SPECIAL_G = /["\\\x00-\x1f\x7f]/g;
const hex = (c: string) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;

/**
 * A value for a quoted field of the CLF formats: `"` and `\` are backslash-escaped (Traefik escapes only
 * `"`, which lets a trailing backslash reopen the field) and control characters become `\xHH`, so a
 * client-chosen Referer, User-Agent or path can neither end its field early nor forge a line.
 */
export function quoteClf(value: string): string {
  if (!QUOTED_SPECIAL.test(value)) return `"${value}"`;
  return `"${value.replace(QUOTED_SPECIAL_G, (c) => (c === '"' || c === '\\' ? `\\${c}` : hex(c)))}"`;
}

/**
 * The user for the unquoted user field of the CLF formats: "-" when there is none (as Traefik), and
 * otherwise with spaces, quotes, backslashes and control characters as `\xHH`, so a client-chosen name
 * stays one field (Traefik writes it raw).
 */
export function clfUser(user: string | undefined): string {
  if (!user) return '-';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is escaped
  return user.replace(/[\s"\\\x00-\x1f\x7f]/g, hex);
}

/** The unquoted ClientHost field: as Traefik (an X-Forwarded-For list keeps its spaces) but one line. */
function clfHost(host: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is escaped
  return /["\\\x00-\x1f\x7f]/.test(host) ? host.replace(QUOTED_SPECIAL_G, hex) : host;
}

function kept(e: LogEntry, policy: FieldPolicy, name: string): unknown {
  return policy.keeps(name) ? (FIELD_GETTERS[name] as (e: LogEntry) => unknown)(e) : undefined;
}

/** Traefik's toLog for strings: the value, or the default when missing or empty. */
function text(v: unknown, missing = '-'): string {
  return v === undefined || v === '' ? missing : String(v);
}

/** request_Referer or request_User-Agent as the CLF formats print it: quoted, `"-"` when not logged. */
function headerClf(e: LogEntry, policy: FieldPolicy, name: string): string {
  if (!policy.anyHeader) return '"-"';
  const mode = policy.headerMode(name);
  if (mode === 'drop') return '"-"';
  const value = e.req.headers[name];
  if (value === undefined || value === '') return '"-"';
  return quoteClf(mode === 'redact' ? 'REDACTED' : String(value));
}

/** The part both CLF formats share: host, user, time, request line, status, size, referer, user agent. */
function clfPrefix(e: LogEntry, policy: FieldPolicy): string {
  const host = kept(e, policy, 'ClientHost');
  const user = policy.keeps('ClientUsername') ? clfUser(e.state.username) : '-';
  const time = policy.keeps('StartUTC')
    ? clfTime(startMs(e), false)
    : policy.keeps('StartLocal')
      ? clfTime(startMs(e), true)
      : '-';
  const line = `${text(kept(e, policy, 'RequestMethod'))} ${text(kept(e, policy, 'RequestPath'))} ${text(kept(e, policy, 'RequestProtocol'))}`;
  return `${host === undefined ? '-' : clfHost(String(host))} - ${user} [${time}] ${quoteClf(line)} ${text(kept(e, policy, 'DownstreamStatus'))} ${text(kept(e, policy, 'DownstreamContentSize'))} ${headerClf(e, policy, 'referer')} ${headerClf(e, policy, 'user-agent')}`;
}

const quotedOrDash = (v: unknown) => (v === undefined || v === '' ? '"-"' : quoteClf(String(v)));

/** Traefik's `common` format: generic CLF plus request count, router, server URL and duration. */
export const commonFormat: Formatter = (e, policy) => {
  const ms = policy.keeps('Duration') ? Math.floor(e.durationNs / 1e6) : 0;
  return `${clfPrefix(e, policy)} ${text(kept(e, policy, 'RequestCount'))} ${quotedOrDash(kept(e, policy, 'RouterName'))} ${quotedOrDash(kept(e, policy, 'ServiceURL'))} ${ms}ms\n`;
};

/** `genericCLF`: the Common Log Format with referer and user agent, as log analysers read it. */
export const genericClfFormat: Formatter = (e, policy) => `${clfPrefix(e, policy)}\n`;

// Go's encoder escapes these in strings (HTML safety and JavaScript line terminators); JSON.stringify does not.
const GO_ESCAPE = /[<>&\u2028\u2029]/;
const GO_ESCAPE_G = /[<>&\u2028\u2029]/g;
const goEscape = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

// A string without these is written as is between quotes (the common case: no JSON.stringify call).
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters need escaping
const JSON_SPECIAL = /["\\\x00-\x1f<>&\u2028\u2029]/;

/** A value as Go's encoding/json writes it. */
export function goJson(value: unknown): string {
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string' && !JSON_SPECIAL.test(value)) return `"${value}"`;
  const json = JSON.stringify(value);
  return GO_ESCAPE.test(json) ? json.replace(GO_ESCAPE_G, goEscape) : json;
}

const timeCache = { second: Number.NaN, text: '' };

/** logrus's `time`: RFC 3339 in local time, seconds; one formatting a second. */
function jsonTime(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (timeCache.second !== second) {
    timeCache.second = second;
    timeCache.text = rfc3339(new Date(second * 1000));
  }
  return timeCache.text;
}

function appendHeaders(out: string, prefix: string, list: Array<[string, string]>): string {
  for (const [name, value] of list) out += `,${goJson(prefix + name)}:${goJson(value)}`;
  return out;
}

/**
 * Traefik's `json` format (logrus): one object a line, keys sorted as Go sorts map keys: the core fields,
 * downstream_ headers, entryPointName, level, msg, origin_ and request_ headers, time.
 */
export const jsonFormat: Formatter = (e, policy) => {
  let out = '';
  let entryPoint: unknown;
  for (const field of policy.core) {
    const value = field.get(e);
    if (value === undefined) continue;
    if (field.name === 'entryPointName') {
      entryPoint = value;
      continue;
    }
    out += `,"${field.name}":${goJson(value)}`;
  }
  const headers = policy.anyHeader ? allHeaderFields(e, policy) : undefined;
  if (headers) out = appendHeaders(out, 'downstream_', headers.downstream);
  if (entryPoint !== undefined) out += `,"entryPointName":${goJson(entryPoint)}`;
  out += ',"level":"info","msg":""';
  if (headers) {
    out = appendHeaders(out, 'origin_', headers.origin);
    out = appendHeaders(out, 'request_', headers.request);
  }
  return `{${out.slice(1)},"time":"${jsonTime(e.endMs)}"}\n`;
};

/** The formatter for `accessLog.format`. */
export const FORMATS: Readonly<Record<'common' | 'genericCLF' | 'json', Formatter>> = {
  common: commonFormat,
  genericCLF: genericClfFormat,
  json: jsonFormat,
};
