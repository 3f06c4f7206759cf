// PUT /v1/txn: KV operations applied all-or-nothing at one index (agent/txn_endpoint.go,
// agent/consul/txn_endpoint.go, agent/consul/state/txn.go). Every operation runs even after one fails, so
// `Errors` lists each failing operation, as Consul's txnDispatch does.
import {
  checkDatacenter,
  contentLength,
  entryJson,
  HttpError,
  jsonReply,
  MAX_VALUE_SIZE,
  parseQueryOptions,
  permissionDenied,
  type Reply,
  type RequestContext,
  readBody,
} from './http-util.ts';
import type { KvEnv } from './kv-endpoint.ts';
import {
  type DirEnt,
  dirEnt,
  kvsCheckIndex,
  kvsCheckSession,
  kvsDelete,
  kvsDeleteCAS,
  kvsDeleteTree,
  kvsLock,
  kvsSet,
  kvsSetCAS,
  kvsUnlock,
} from './kv-ops.ts';
import type { KvEntry, Tx } from './store.ts';
import { decodeTxnOps, type TxnKvOp } from './txn-decode.ts';

/** The hard-coded operation limit since Consul 1.14 (64 before). */
export const MAX_TXN_OPS = 128;

const WRITE_VERBS = new Set(['set', 'delete', 'delete-cas', 'delete-tree', 'cas', 'lock', 'unlock']);

interface TxnError {
  OpIndex: number;
  What: string;
}

/** One result entry: the entry and whether its Value is reported. */
type TxnResult = { entry: KvEntry; withValue: boolean };

function q(key: string): string {
  return JSON.stringify(key);
}

/** txnKVS: one operation against the open transaction; throws with Consul's wording on failure. */
function runOp(tx: Tx, idx: number, op: TxnKvOp): TxnResult[] {
  const draft = (): DirEnt => {
    const e = dirEnt(op.key, op.value, op.flags, op.session);
    e.modifyIndex = op.index;
    return e;
  };
  const blank = (entry: KvEntry): TxnResult[] => [{ entry, withValue: false }];
  switch (op.verb) {
    case 'set': {
      const e = draft();
      kvsSet(tx, idx, e, false);
      return blank(e);
    }
    case 'cas': {
      const e = draft();
      if (!kvsSetCAS(tx, idx, e)) throw new Error(`failed to set key ${q(op.key)}, index is stale`);
      return blank(e);
    }
    case 'lock': {
      const e = draft();
      if (!kvsLock(tx, idx, e)) throw new Error(`failed to lock key ${q(op.key)}, lock is already held`);
      return blank(e);
    }
    case 'unlock': {
      const e = draft();
      if (!kvsUnlock(tx, idx, e)) {
        throw new Error(`failed to unlock key ${q(op.key)}, lock isn't held, or is held by another session`);
      }
      return blank(e);
    }
    case 'delete':
      kvsDelete(tx, idx, op.key);
      return [];
    case 'delete-cas':
      if (!kvsDeleteCAS(tx, idx, op.index, op.key)) {
        throw new Error(`failed to delete key ${q(op.key)}, index is stale`);
      }
      return [];
    case 'delete-tree':
      kvsDeleteTree(tx, idx, op.key);
      return [];
    case 'get': {
      const entry = tx.kv(op.key);
      if (!entry) throw new Error(`key ${q(op.key)} doesn't exist`);
      return [{ entry, withValue: true }];
    }
    case 'get-or-empty': {
      const entry = tx.kv(op.key);
      return [{ entry: entry ?? { ...draft(), value: null }, withValue: true }];
    }
    case 'get-tree':
      return tx.kvPrefix(op.key).map((entry) => ({ entry, withValue: true }));
    case 'check-session':
      return blank(kvsCheckSession(tx, op.key, op.session));
    case 'check-index':
      return blank(kvsCheckIndex(tx, op.key, op.index));
    case 'check-not-exists':
      if (tx.kv(op.key)) throw new Error(`key ${q(op.key)} exists`);
      return [];
    default:
      throw new Error(`unknown KV verb ${q(op.verb)}`);
  }
}

/** txnDispatch: runs every operation, collecting results and errors. */
function dispatch(tx: Tx, idx: number, ops: TxnKvOp[]): { results: TxnResult[]; errors: TxnError[] } {
  const results: TxnResult[] = [];
  const errors: TxnError[] = [];
  ops.forEach((op, i) => {
    try {
      results.push(...runOp(tx, idx, op));
    } catch (error) {
      errors.push({ OpIndex: i, What: (error as Error).message });
    }
  });
  return { results, errors };
}

/** Txn.preCheck / kvsPreApply: key presence, ACLs and lock-delay, before anything reaches the store. */
function preCheck(env: KvEnv, ctx: RequestContext, ops: TxnKvOp[]): TxnError[] {
  const errors: TxnError[] = [];
  ops.forEach((op, i) => {
    if (op.key === '' && op.verb !== 'delete-tree') {
      errors.push({ OpIndex: i, What: 'Must provide key' });
      return;
    }
    if (ctx.authz === 'anonymous' && !['get', 'get-or-empty', 'get-tree'].includes(op.verb)) {
      const level = op.verb === 'check-session' || op.verb === 'check-index' ? 'key:read' : 'key:write';
      errors.push({ OpIndex: i, What: permissionDenied(level, op.key).message });
      return;
    }
    if (op.verb === 'lock' && env.store.lockDelayUntil(op.key) > env.now()) {
      errors.push({ OpIndex: i, What: `failed to lock key ${q(op.key)} due to lock delay` });
    }
  });
  return errors;
}

function encodeResults(ctx: RequestContext, results: TxnResult[]): unknown[] {
  // FilterTxnResults: entries the token may not read are dropped (all of them, for the anonymous token).
  if (ctx.authz === 'anonymous') return [];
  return results.map(({ entry, withValue }) => ({ KV: entryJson(entry, withValue) }));
}

function tooLarge(): HttpError {
  return new HttpError(413, `Request body too large, max size: ${MAX_VALUE_SIZE} bytes`);
}

/** Handles PUT /v1/txn. */
export async function handleTxn(env: KvEnv, ctx: RequestContext): Promise<Reply> {
  checkDatacenter(ctx);
  if (contentLength(ctx.req) > MAX_VALUE_SIZE) throw tooLarge();
  const body = await readBody(ctx.req, MAX_VALUE_SIZE, tooLarge);
  const ops = decodeTxnOps(body);
  if (ops.count > MAX_TXN_OPS) {
    throw new HttpError(413, `Transaction contains too many operations (${ops.count} > ${MAX_TXN_OPS})`);
  }
  for (const op of ops.kv) {
    const size = op.value?.length ?? 0;
    if (size > MAX_VALUE_SIZE) {
      throw new HttpError(413, `Value for key ${q(op.key)} is too large (${size} > ${MAX_VALUE_SIZE} bytes)`);
    }
  }
  const writes = ops.kv.filter((op) => WRITE_VERBS.has(op.verb)).length;
  if (writes === 0) {
    // Fast path: no Raft, no index, consistency modes honoured, and no blocking.
    parseQueryOptions(ctx);
    const headers = { 'x-consul-knownleader': 'true', 'x-consul-lastcontact': '0' };
    const meta = {
      Index: 0,
      LastContact: 0,
      KnownLeader: true,
      ConsistencyLevel: '',
      NotModified: false,
      Backend: 0,
    };
    let errors = preCheck(env, ctx, ops.kv);
    let results: TxnResult[] = [];
    if (errors.length === 0) ({ results, errors } = env.store.readTx((tx) => dispatch(tx, 0, ops.kv)));
    if (errors.length > 0) return jsonReply(ctx, { Results: null, Errors: errors, ...meta }, headers, 409);
    return jsonReply(ctx, { Results: encodeResults(ctx, results), Errors: null, ...meta }, headers);
  }
  const early = preCheck(env, ctx, ops.kv);
  if (early.length > 0) return jsonReply(ctx, { Results: null, Errors: early }, {}, 409);
  const outcome = env.store.apply((tx, idx, rollback) => {
    const run = dispatch(tx, idx, ops.kv);
    if (run.errors.length > 0) rollback();
    return run;
  });
  if (outcome.errors.length > 0) return jsonReply(ctx, { Results: null, Errors: outcome.errors }, {}, 409);
  return jsonReply(ctx, { Results: encodeResults(ctx, outcome.results), Errors: null });
}
