// /v1/kv/<key>: GET (plain, ?recurse, ?keys[&separator], ?raw), PUT (?flags, ?cas, ?acquire, ?release) and
// DELETE (?recurse, ?cas), after agent/kvs_endpoint.go and agent/consul/kvs_endpoint.go.
import { type BlockingEnv, type QueryRun, runQuery } from './blocking.ts';
import {
  contentLength,
  entryJson,
  HttpError,
  jsonReply,
  MAX_VALUE_SIZE,
  metaHeaders,
  parseQueryOptions,
  type QueryOptions,
  type Reply,
  type RequestContext,
  readBody,
  rejectConflictingFlags,
  requireAccess,
  uintParam,
} from './http-util.ts';
import {
  dirEnt,
  kvsDelete,
  kvsDeleteCAS,
  kvsDeleteTree,
  kvsGet,
  kvsList,
  kvsLock,
  kvsSet,
  kvsSetCAS,
  kvsUnlock,
} from './kv-ops.ts';

/** What the KV endpoint needs besides the request: the blocking-query environment and the clock. */
export interface KvEnv extends BlockingEnv {
  readonly now: () => number;
}

/** Handles one /v1/kv/ request. */
export function handleKv(env: KvEnv, ctx: RequestContext): Reply | Promise<Reply> {
  const key = ctx.path.slice('/v1/kv/'.length);
  // KVSEndpoint parses dc, consistency, index and wait for every method, so e.g. a PUT can get 400 too.
  const opts = parseQueryOptions(ctx);
  switch (ctx.method) {
    case 'GET':
      return ctx.query.has('keys') ? getKeys(env, ctx, key, opts) : get(env, ctx, key, opts);
    case 'PUT':
      return put(env, ctx, key);
    default:
      return del(env, ctx, key);
  }
}

function notFound(opts: QueryOptions, index: number, filtered = false): Reply {
  return { status: 404, headers: metaHeaders(index, opts, filtered), body: '' };
}

function get(env: KvEnv, ctx: RequestContext, key: string, opts: QueryOptions): Reply | Promise<Reply> {
  const recurse = ctx.query.has('recurse');
  if (!recurse && key === '') throw new HttpError(400, 'Missing key name');
  return runQuery(
    env,
    opts,
    (cb) => ctx.onClose(cb),
    (): QueryRun => {
      const state = env.store.read();
      if (recurse) {
        const { index, entries } = kvsList(state, key);
        // Under default-deny the anonymous token sees nothing: the list is filtered, not refused.
        const visible = ctx.authz === 'anonymous' ? [] : entries;
        const filtered = visible.length !== entries.length;
        if (visible.length === 0)
          return { index: Math.max(1, index), reply: notFound(opts, index, filtered) };
        return {
          index,
          reply: jsonReply(
            ctx,
            visible.map((e) => entryJson(e)),
            metaHeaders(index, opts, filtered),
          ),
        };
      }
      const { index, entry } = kvsGet(state, key);
      requireAccess(ctx, 'key:read', key);
      if (!entry) return { index: Math.max(1, index), notFound: true, reply: notFound(opts, index) };
      const headers = metaHeaders(entry.modifyIndex, opts);
      if (ctx.query.has('raw')) {
        return {
          index: entry.modifyIndex,
          reply: {
            status: 200,
            headers: {
              ...headers,
              'content-type': 'text/plain',
              'x-content-type-options': 'nosniff',
              'content-security-policy': 'sandbox',
            },
            body: entry.value ?? '',
          },
        };
      }
      return { index: entry.modifyIndex, reply: jsonReply(ctx, [entryJson(entry)], headers) };
    },
  );
}

function getKeys(
  env: KvEnv,
  ctx: RequestContext,
  prefix: string,
  opts: QueryOptions,
): Reply | Promise<Reply> {
  // The historic misspelling is still accepted; the correct spelling wins when both are given.
  let sep = ctx.query.has('seperator') ? (ctx.query.get('seperator') ?? '') : '';
  if (ctx.query.has('separator')) sep = ctx.query.get('separator') ?? '';
  return runQuery(
    env,
    opts,
    (cb) => ctx.onClose(cb),
    (): QueryRun => {
      const listed = kvsList(env.store.read(), prefix);
      const index = Math.max(1, listed.index);
      const entries = ctx.authz === 'anonymous' ? [] : listed.entries;
      const filtered = entries.length !== listed.entries.length;
      const keys: string[] = [];
      const seen = new Set<string>();
      for (const e of entries) {
        if (sep === '') {
          keys.push(e.key);
          continue;
        }
        const at = e.key.slice(prefix.length).indexOf(sep);
        if (at < 0) {
          keys.push(e.key);
          continue;
        }
        const folded = e.key.slice(0, prefix.length + at + sep.length);
        if (!seen.has(folded)) {
          seen.add(folded);
          keys.push(folded);
        }
      }
      if (keys.length === 0 && prefix !== '') return { index, reply: notFound(opts, index, filtered) };
      return { index, reply: jsonReply(ctx, keys, metaHeaders(index, opts, filtered)) };
    },
  );
}

function tooLarge(size: number): HttpError {
  return new HttpError(
    413,
    `Request body(${size} bytes) too large, max size: ${MAX_VALUE_SIZE} bytes. ` +
      'See https://developer.hashicorp.com/docs/agent/config/config-files#kv_max_value_size.',
  );
}

async function put(env: KvEnv, ctx: RequestContext, key: string): Promise<Reply> {
  if (key === '') throw new HttpError(400, 'Missing key name');
  rejectConflictingFlags(ctx, 'cas', 'acquire', 'release');
  const entry = dirEnt(key);
  let op: 'set' | 'cas' | 'lock' | 'unlock' = 'set';
  if (ctx.query.has('flags')) entry.flags = uintParam(ctx, 'flags');
  if (ctx.query.has('cas')) {
    const cas = uintParam(ctx, 'cas');
    entry.modifyIndex = cas > BigInt(Number.MAX_SAFE_INTEGER) ? -1 : Number(cas);
    op = 'cas';
  }
  if (ctx.query.has('acquire')) {
    entry.session = ctx.query.get('acquire') ?? '';
    op = 'lock';
  }
  if (ctx.query.has('release')) {
    entry.session = ctx.query.get('release') ?? '';
    op = 'unlock';
  }
  const declared = contentLength(ctx.req);
  if (declared > MAX_VALUE_SIZE) throw tooLarge(declared);
  const body = await readBody(ctx.req, MAX_VALUE_SIZE, tooLarge);
  entry.value = body.length > 0 ? body : null;
  requireAccess(ctx, 'key:write', key);
  // Lock-delay is enforced before the Raft apply, on the leader's clock (kvsPreApply).
  if (op === 'lock' && env.store.lockDelayUntil(key) > env.now()) return jsonReply(ctx, false);
  const ok = env.store.apply((tx, idx) => {
    switch (op) {
      case 'set':
        kvsSet(tx, idx, entry, false);
        return true;
      case 'cas':
        return kvsSetCAS(tx, idx, entry);
      case 'lock':
        return kvsLock(tx, idx, entry);
      default:
        return kvsUnlock(tx, idx, entry);
    }
  });
  // A plain PUT always answers true ("Only use the out value if this was a CAS").
  return jsonReply(ctx, op === 'set' ? true : ok);
}

function del(env: KvEnv, ctx: RequestContext, key: string): Reply {
  rejectConflictingFlags(ctx, 'recurse', 'cas');
  const recurse = ctx.query.has('recurse');
  if (!recurse && key === '') throw new HttpError(400, 'Missing key name');
  let cas: number | undefined;
  if (ctx.query.has('cas')) {
    const parsed = uintParam(ctx, 'cas');
    cas = parsed > BigInt(Number.MAX_SAFE_INTEGER) ? -1 : Number(parsed);
  }
  requireAccess(ctx, 'key:write', key);
  const ok = env.store.apply((tx, idx) => {
    if (recurse) kvsDeleteTree(tx, idx, key);
    else if (cas !== undefined) return kvsDeleteCAS(tx, idx, cas, key);
    else kvsDelete(tx, idx, key);
    return true;
  });
  return jsonReply(ctx, ok);
}
