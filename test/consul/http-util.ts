// Request/response plumbing shared by the endpoints: replies, errors worded as Consul's HTTP layer words
// them, query-option parsing (dc, consistency, index, wait), the ACL model and the JSON shapes.
import type { IncomingMessage } from 'node:http';
import { encodeGoQuery, encodeJson, parseGoDuration, parseUint64 } from './go.ts';
import type { KvEntry, SessionRecord } from './store.ts';

/** A complete HTTP answer. */
export interface Reply {
  status: number;
  headers: Record<string, string>;
  body: string | Buffer;
}

/** An error answer: Consul writes these as plain text with the given status. */
export class HttpError extends Error {
  readonly status: number;
  readonly headers: Record<string, string>;
  constructor(status: number, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.status = status;
    this.headers = headers;
  }
}

/** Consul's values for kv_max_value_size and txn_max_req_len (both 512 KiB). */
export const MAX_VALUE_SIZE = 512 * 1024;

/** Who is asking: ACLs off, the configured (management) token, or the anonymous token under default-deny. */
export type Authz = 'disabled' | 'management' | 'anonymous';

/** Everything an endpoint needs about the request and the server. */
export interface RequestContext {
  readonly req: IncomingMessage;
  readonly method: string;
  /** The decoded, cleaned path. */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly authz: Authz;
  readonly datacenter: string;
  readonly node: string;
  /** Registers a callback for when the client goes away (used by blocking queries). */
  onClose(cb: () => void): void;
}

/** A JSON answer (`?pretty` honoured) with extra headers. */
export function jsonReply(
  ctx: RequestContext,
  value: unknown,
  headers: Record<string, string> = {},
  status = 200,
): Reply {
  return {
    status,
    headers: { 'content-type': 'application/json', ...headers },
    body: encodeJson(value, ctx.query.has('pretty')),
  };
}

/** Reads the request body, failing with `tooLarge` once it exceeds `limit` bytes. */
export async function readBody(
  req: IncomingMessage,
  limit: number,
  tooLarge: (size: number) => HttpError,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw tooLarge(size);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** The declared Content-Length, or -1 when the body is chunked or absent. */
export function contentLength(req: IncomingMessage): number {
  const raw = req.headers['content-length'];
  return raw === undefined ? -1 : Number(raw);
}

/** Read-query options as Consul's `parse()` produces them. */
export interface QueryOptions {
  minIndex: number;
  /** The requested wait in ms, or 0 when absent (the server default applies). */
  waitMs: number;
  consistency: 'leader' | 'stale' | 'consistent';
}

/** parseDC + parseConsistency + parseWait, with their 400/500 answers. */
export function parseQueryOptions(ctx: RequestContext): QueryOptions {
  checkDatacenter(ctx);
  const q = ctx.query;
  let consistency: QueryOptions['consistency'] = 'leader';
  const stale = q.has('stale');
  const consistent = q.has('consistent');
  const maxStale = q.get('max_stale');
  let allowStale = stale;
  if (maxStale) {
    const parsed = parseGoDuration(maxStale);
    if ('error' in parsed) throw new HttpError(400, `Invalid max_stale value ${JSON.stringify(maxStale)}`);
    if (parsed.ns > 0) allowStale = true;
  }
  if (allowStale && consistent) {
    throw new HttpError(400, 'Cannot specify ?stale with ?consistent, conflicting semantics.');
  }
  if (allowStale) consistency = 'stale';
  if (consistent) consistency = 'consistent';
  let waitMs = 0;
  const wait = q.get('wait');
  if (wait) {
    const parsed = parseGoDuration(wait);
    if ('error' in parsed) throw new HttpError(400, 'Invalid wait time');
    waitMs = parsed.ns / 1e6;
  }
  let minIndex = 0;
  const index = q.get('index');
  if (index) {
    const parsed = parseUint64(index);
    if ('error' in parsed) throw new HttpError(400, 'Invalid index');
    minIndex =
      parsed.value > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(parsed.value);
  }
  return { minIndex, waitMs, consistency };
}

/** A single node has a single datacenter; any other `?dc` has no path, as Consul answers. */
export function checkDatacenter(ctx: RequestContext): void {
  const dc = ctx.query.get('dc');
  if (dc && dc !== ctx.datacenter) throw new HttpError(500, 'No path to datacenter');
}

/** The X-Consul-* metadata headers of a read (setMeta); the index is floored at 1 as Consul's setIndex does. */
export function metaHeaders(index: number, opts: QueryOptions, filtered = false): Record<string, string> {
  const headers: Record<string, string> = {
    'x-consul-index': String(Math.max(1, index)),
    'x-consul-knownleader': 'true',
    'x-consul-lastcontact': '0',
    'x-consul-effective-consistency': opts.consistency,
  };
  if (filtered) headers['x-consul-results-filtered-by-acls'] = 'true';
  return headers;
}

/** 400 "Conflicting flags: <query>" when more than one of `flags` is present (conflictingFlags()). */
export function rejectConflictingFlags(ctx: RequestContext, ...flags: string[]): void {
  if (flags.filter((f) => ctx.query.has(f)).length > 1) {
    throw new HttpError(400, `Conflicting flags: ${encodeGoQuery(ctx.query)}\n`);
  }
}

/** Parses a uint64 query parameter; Consul returns the strconv error as a 500. */
export function uintParam(ctx: RequestContext, name: string): bigint {
  const parsed = parseUint64(ctx.query.get(name) ?? '');
  if ('error' in parsed) throw new HttpError(500, parsed.error);
  return parsed.value;
}

/** The permission error Consul gives the anonymous token, e.g. for `key:write` on "a/b". */
export function permissionDenied(resource: string, name: string): HttpError {
  const on = name === '' ? '' : ` on "${name}"`;
  return new HttpError(
    403,
    `Permission denied: anonymous token lacks permission '${resource}'${on}. ` +
      'The anonymous token is used implicitly when a request does not specify a token.',
  );
}

/** Throws the anonymous-token denial unless the request may act. */
export function requireAccess(ctx: RequestContext, resource: string, name: string): void {
  if (ctx.authz === 'anonymous') throw permissionDenied(resource, name);
}

/** The request's token: `?token`, then X-Consul-Token, then `Authorization: Bearer`. */
export function requestToken(req: IncomingMessage, query: URLSearchParams): string {
  const fromQuery = query.get('token');
  if (fromQuery) return fromQuery;
  const header = req.headers['x-consul-token'];
  if (typeof header === 'string' && header !== '') return header;
  const auth = req.headers.authorization;
  if (typeof auth === 'string') {
    const parts = auth.split(' ');
    if (parts.length === 2 && parts[0]?.toLowerCase() === 'bearer') return (parts[1] ?? '').trim();
  }
  return '';
}

/** An entry in Consul's JSON shape and field order; `withValue` false blanks Value as txn results do. */
export function entryJson(e: KvEntry, withValue = true): Record<string, unknown> {
  const out: Record<string, unknown> = {
    LockIndex: e.lockIndex,
    Key: e.key,
    Flags: e.flags,
    Value: withValue && e.value && e.value.length > 0 ? e.value.toString('base64') : null,
  };
  if (e.session !== '') out.Session = e.session;
  out.CreateIndex = e.createIndex;
  out.ModifyIndex = e.modifyIndex;
  return out;
}

/** A session in Consul's JSON shape (LockDelay in nanoseconds). */
export function sessionJson(s: SessionRecord): Record<string, unknown> {
  return {
    ID: s.id,
    Name: s.name,
    Node: s.node,
    LockDelay: s.lockDelayNs,
    Behavior: s.behavior,
    TTL: s.ttl,
    NodeChecks: s.nodeChecks,
    ServiceChecks: null,
    CreateIndex: s.createIndex,
    ModifyIndex: s.modifyIndex,
  };
}

/** Looks a field up the way Go's encoding/json matches struct fields: exact name first, then case-insensitively. */
export function field(obj: Record<string, unknown>, name: string): unknown {
  if (name in obj) return obj[name];
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(obj)) if (k.toLowerCase() === lower) return v;
  return undefined;
}
