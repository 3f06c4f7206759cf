// Sessions: /v1/session/{create,destroy,renew,info,list,node} (agent/session_endpoint.go,
// agent/consul/session_endpoint.go) and TTL expiry. Like Consul's leader, a TTL session is invalidated
// 2 x TTL after its creation or last renewal (structs.SessionTTLMultiplier); expiry is checked on the
// injectable clock at every request and by a timer.
import { randomUUID } from 'node:crypto';
import { type BlockingEnv, runQuery } from './blocking.ts';
import { formatGoDuration, parseGoDuration, uuidError } from './go.ts';
import {
  checkDatacenter,
  field,
  HttpError,
  jsonReply,
  metaHeaders,
  parseQueryOptions,
  type Reply,
  type RequestContext,
  readBody,
  requireAccess,
  sessionJson,
} from './http-util.ts';
import { sessionDestroy } from './kv-ops.ts';
import type { SessionRecord, Store } from './store.ts';

/** structs.SessionTTLMultiplier: the leader's timer runs for twice the TTL. */
export const SESSION_TTL_MULTIPLIER = 2;
const SESSION_TTL_MAX_NS = 24 * 3600e9;
const TIMER_MAX_MS = 2 ** 31 - 1;

/** Tracks TTL deadlines on the injectable clock and invalidates sessions whose deadline has passed. */
export class SessionTimers {
  private readonly deadlines = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private readonly store: Store;
  private readonly now: () => number;

  constructor(store: Store, now: () => number) {
    this.store = store;
    this.now = now;
  }

  /** (Re)starts a session's timer: it expires 2 x TTL from now. */
  reset(id: string, ttlNs: number): void {
    if (ttlNs <= 0) return;
    this.deadlines.set(id, this.now() + (SESSION_TTL_MULTIPLIER * ttlNs) / 1e6);
    this.schedule();
  }

  /** Forgets a session's timer (destroyed sessions). */
  clear(id: string): void {
    this.deadlines.delete(id);
  }

  /** Restarts every TTL session's timer, as a new leader (or a restore) does. */
  resetAll(sessions: readonly SessionRecord[]): void {
    this.deadlines.clear();
    for (const s of sessions) this.reset(s.id, s.ttlNs);
  }

  /** Invalidates every session whose deadline has passed, each in its own Raft apply. */
  sweep(): void {
    const now = this.now();
    for (const [id, deadline] of [...this.deadlines]) {
      if (deadline > now) continue;
      this.deadlines.delete(id);
      this.store.apply((tx, idx) => sessionDestroy(tx, idx, id, now));
    }
  }

  private schedule(): void {
    clearTimeout(this.timer);
    if (this.deadlines.size === 0) return;
    const next = Math.min(...this.deadlines.values()) - this.now();
    this.timer = setTimeout(
      () => {
        this.sweep();
        this.schedule();
      },
      Math.min(Math.max(next, 5), TIMER_MAX_MS),
    );
    this.timer.unref();
  }

  /** Stops the timer. */
  stop(): void {
    clearTimeout(this.timer);
    this.deadlines.clear();
  }
}

/** What the session endpoints need from the server. */
export interface SessionEnv extends BlockingEnv {
  readonly now: () => number;
  readonly timers: SessionTimers;
  /** Consul's session_ttl_min (default 10s). */
  readonly sessionTtlMinMs: number;
}

function decodeError(message: string): HttpError {
  return new HttpError(400, `Request decode failed: ${message}`);
}

function stringField(body: Record<string, unknown>, name: string): string | undefined {
  const v = field(body, name);
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw decodeError(`'${name}' expected type 'string', got '${typeof v}'`);
  return v;
}

/** FixupLockDelay: strings are Go durations, numbers nanoseconds; values under 1000ns mean seconds. */
function lockDelayNs(body: Record<string, unknown>): number {
  const v = field(body, 'LockDelay');
  if (v === undefined || v === null) return 15e9;
  let ns: number;
  if (typeof v === 'string') {
    const parsed = parseGoDuration(v);
    if ('error' in parsed) throw decodeError(parsed.error);
    ns = parsed.ns;
  } else if (typeof v === 'number') {
    ns = Math.trunc(v);
  } else {
    throw decodeError(`'LockDelay' expected type 'time.Duration', got '${typeof v}'`);
  }
  return ns < 1000 ? ns * 1e9 : ns;
}

function checkList(body: Record<string, unknown>): string[] {
  for (const name of ['NodeChecks', 'Checks']) {
    const v = field(body, name);
    if (v === undefined) continue;
    if (v === null) return [];
    if (!Array.isArray(v) || v.some((c) => typeof c !== 'string')) {
      throw decodeError(`'${name}' expected a list of strings`);
    }
    return v as string[];
  }
  return ['serfHealth'];
}

async function create(env: SessionEnv, ctx: RequestContext): Promise<Reply> {
  checkDatacenter(ctx);
  const raw = await readBody(ctx.req, 1 << 20, () => decodeError('body too large'));
  let body: Record<string, unknown> = {};
  if (raw.length > 0) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw.toString('utf8'));
    } catch (error) {
      throw decodeError((error as Error).message);
    }
    if (parsed !== null && (typeof parsed !== 'object' || Array.isArray(parsed))) {
      throw decodeError(
        `json: cannot unmarshal ${Array.isArray(parsed) ? 'array' : typeof parsed} into Go value`,
      );
    }
    body = (parsed ?? {}) as Record<string, unknown>;
  }
  const name = stringField(body, 'Name') ?? '';
  const node = stringField(body, 'Node') || ctx.node;
  const ttl = stringField(body, 'TTL') ?? '';
  const delay = lockDelayNs(body);
  const checks = checkList(body);
  requireAccess(ctx, 'session:write', node);
  const requested = stringField(body, 'Behavior') || 'release';
  if (requested !== 'release' && requested !== 'delete') {
    throw new HttpError(500, `Invalid Behavior setting '${requested}'`);
  }
  const behavior: SessionRecord['behavior'] = requested;
  let ttlNs = 0;
  if (ttl !== '') {
    const parsed = parseGoDuration(ttl);
    if ('error' in parsed) throw new HttpError(500, `Session TTL '${ttl}' invalid: ${parsed.error}`);
    const minNs = env.sessionTtlMinMs * 1e6;
    if (parsed.ns !== 0 && (parsed.ns < minNs || parsed.ns > SESSION_TTL_MAX_NS)) {
      throw new HttpError(
        500,
        `Invalid Session TTL '${parsed.ns}', must be between [${formatGoDuration(minNs)}=${formatGoDuration(SESSION_TTL_MAX_NS)}]`,
      );
    }
    ttlNs = parsed.ns;
  }
  if (node !== ctx.node) throw new HttpError(500, 'Missing node registration');
  for (const check of checks) {
    if (check !== 'serfHealth') throw new HttpError(500, `Missing check '${check}' registration`);
  }
  const id = randomUUID();
  env.store.apply((tx, idx) => {
    const session = { id, name, node, lockDelayNs: delay, behavior, ttl, ttlNs, nodeChecks: checks };
    tx.putSession({ ...session, createIndex: idx, modifyIndex: idx }, idx);
  });
  env.timers.reset(id, ttlNs);
  return jsonReply(ctx, { ID: id });
}

function sessionId(ctx: RequestContext, prefix: string): string {
  const id = ctx.path.slice(prefix.length);
  if (id === '') throw new HttpError(400, 'Missing session');
  return id;
}

function lookupError(id: string): HttpError | undefined {
  const bad = uuidError(id);
  return bad ? new HttpError(500, `failed session lookup: ${bad}`) : undefined;
}

function destroy(env: SessionEnv, ctx: RequestContext): Reply {
  checkDatacenter(ctx);
  const id = sessionId(ctx, '/v1/session/destroy/');
  const bad = lookupError(id);
  if (bad) throw new HttpError(500, `Session lookup failed: ${bad.message}`);
  const existing = env.store.read().session(id);
  // Destroying an unknown session is a successful no-op, and costs no Raft index.
  if (existing) {
    requireAccess(ctx, 'session:write', existing.node);
    env.store.apply((tx, idx) => sessionDestroy(tx, idx, id, env.now()));
    env.timers.clear(id);
  }
  return jsonReply(ctx, true);
}

function renew(env: SessionEnv, ctx: RequestContext): Reply {
  parseQueryOptions(ctx);
  const id = sessionId(ctx, '/v1/session/renew/');
  const bad = lookupError(id);
  if (bad) throw bad;
  const session = env.store.read().session(id);
  if (!session) throw new HttpError(404, `Session id '${id}' not found`);
  requireAccess(ctx, 'session:write', session.node);
  env.timers.reset(id, session.ttlNs);
  return jsonReply(ctx, [sessionJson(session)]);
}

function listing(
  env: SessionEnv,
  ctx: RequestContext,
  select: () => SessionRecord[],
): Reply | Promise<Reply> {
  const opts = parseQueryOptions(ctx);
  return runQuery(
    env,
    opts,
    (cb) => ctx.onClose(cb),
    () => {
      const index = Math.max(1, env.store.read().indexes.sessions);
      const all = select();
      const visible = ctx.authz === 'anonymous' ? [] : all;
      const headers = metaHeaders(index, opts, visible.length !== all.length);
      return { index, reply: jsonReply(ctx, visible.map(sessionJson), headers) };
    },
  );
}

/** Routes /v1/session/* requests (method checks are done by the router). */
export function handleSession(env: SessionEnv, ctx: RequestContext): Reply | Promise<Reply> {
  const p = ctx.path;
  if (p === '/v1/session/create') return create(env, ctx);
  if (p.startsWith('/v1/session/destroy/')) return destroy(env, ctx);
  if (p.startsWith('/v1/session/renew/')) return renew(env, ctx);
  if (p.startsWith('/v1/session/info/')) {
    const id = sessionId(ctx, '/v1/session/info/');
    const bad = lookupError(id);
    return listing(env, ctx, () => {
      if (bad) throw bad;
      const s = env.store.read().session(id);
      return s ? [s] : [];
    });
  }
  if (p.startsWith('/v1/session/node/')) {
    const node = ctx.path.slice('/v1/session/node/'.length);
    if (node === '') throw new HttpError(400, 'Missing node name');
    return listing(env, ctx, () =>
      env.store
        .read()
        .sessions()
        .filter((s) => s.node === node),
    );
  }
  return listing(env, ctx, () => env.store.read().sessions());
}
