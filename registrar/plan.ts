import type { HostKeys } from '../core/registrar-document.ts';

// The registrar's plan: from what Consul holds under a host's prefix and the documents the host's
// containers should have, the guarded KV operations that turn one into the other. Pure and deterministic.

/** One KV entry under the host's prefix, as last read. */
export interface HeldEntry {
  readonly key: string;
  readonly value: string;
  readonly modifyIndex: number;
  /** The session holding the key's lock, if any. */
  readonly session?: string;
}

/** A KV operation of a Consul transaction, with the value as text (encoded when sent). */
export type TxnOp =
  | { readonly Verb: 'check-not-exists'; readonly Key: string }
  | { readonly Verb: 'check-index'; readonly Key: string; readonly Index: number }
  | {
      readonly Verb: 'lock' | 'unlock';
      readonly Key: string;
      readonly Value: string;
      readonly Session: string;
    }
  | { readonly Verb: 'delete-cas'; readonly Key: string; readonly Index: number };

/** One container's change: its operations always travel in the same transaction. */
export interface Change {
  readonly key: string;
  /** create: no document yet; update: another value; adopt: same value, another (or no) lock holder. */
  readonly action: 'create' | 'update' | 'adopt' | 'delete';
  readonly ops: readonly TxnOp[];
}

export interface PlanInput {
  readonly keys: HostKeys;
  readonly held: readonly HeldEntry[];
  /** Document key → JSON text, for every container that should be published. */
  readonly desired: ReadonlyMap<string, string>;
  /** The host's session: every document is locked by it, so it is deleted when the host is gone. */
  readonly session: string;
}

export interface Plan {
  readonly changes: Change[];
  /** Keys under the host prefix that are neither the lease nor a container document: left alone. */
  readonly ignored: string[];
}

/**
 * Plans the changes. Every write is guarded by what was read: a new document by `check-not-exists`, a
 * changed one by `check-index` of the value read, a removal by `delete-cas`. If anything moved since the
 * read, Consul rolls the whole transaction back (409) and the registrar re-reads and plans again. A
 * document held by another session (a previous session of this host) is unlocked from it and locked by
 * ours in the same transaction. Unchanged documents cause no operation at all.
 */
export function planChanges(input: PlanInput): Plan {
  const { keys, desired, session } = input;
  const changes: Change[] = [];
  const ignored: string[] = [];
  const held = new Map<string, HeldEntry>();
  for (const e of input.held) {
    if (e.key === keys.lease || e.key.endsWith('/')) continue;
    if (!e.key.startsWith(keys.containers) || e.key.slice(keys.containers.length).includes('/')) {
      if (e.key.startsWith(keys.prefix)) ignored.push(e.key);
      continue;
    }
    held.set(e.key, e);
  }
  const all = [...new Set([...held.keys(), ...desired.keys()])].sort();
  for (const key of all) {
    const have = held.get(key);
    const want = desired.get(key);
    if (want === undefined) {
      if (have)
        changes.push({
          key,
          action: 'delete',
          ops: [{ Verb: 'delete-cas', Key: key, Index: have.modifyIndex }],
        });
      continue;
    }
    const lock: TxnOp = { Verb: 'lock', Key: key, Value: want, Session: session };
    if (!have) {
      changes.push({ key, action: 'create', ops: [{ Verb: 'check-not-exists', Key: key }, lock] });
      continue;
    }
    if (have.value === want && have.session === session) continue;
    const ops: TxnOp[] = [{ Verb: 'check-index', Key: key, Index: have.modifyIndex }];
    if (have.session !== undefined && have.session !== session)
      ops.push({ Verb: 'unlock', Key: key, Value: want, Session: have.session });
    ops.push(lock);
    changes.push({ key, action: have.value === want ? 'adopt' : 'update', ops });
  }
  return { changes, ignored: ignored.sort() };
}

/** Consul's limit of operations in one transaction (1.14+; 64 before). */
export const MAX_TXN_OPS = 128;
/**
 * The largest transaction body sent. Consul's txn_max_req_len defaults to the Raft size suggestion
 * (~500 KB); values travel in base64 (4/3 of their size).
 */
export const MAX_TXN_BYTES = 400 * 1024;

/** Approximate bytes an operation takes in the request body. */
function opBytes(op: TxnOp): number {
  const value = 'Value' in op ? Math.ceil(Buffer.byteLength(op.Value) / 3) * 4 : 0;
  return Buffer.byteLength(op.Key) + value + 96;
}

/**
 * Groups changes into transactions of at most `maxOps` operations and `maxBytes` bytes, never splitting
 * one container's change: each container's document changes atomically, whatever the plan's size.
 */
export function chunkChanges(
  changes: readonly Change[],
  limits: { maxOps: number; maxBytes: number } = { maxOps: MAX_TXN_OPS, maxBytes: MAX_TXN_BYTES },
): TxnOp[][] {
  const txns: TxnOp[][] = [];
  let current: TxnOp[] = [];
  let bytes = 0;
  for (const change of changes) {
    const size = change.ops.reduce((n, op) => n + opBytes(op), 0);
    if (
      current.length > 0 &&
      (current.length + change.ops.length > limits.maxOps || bytes + size > limits.maxBytes)
    ) {
      txns.push(current);
      current = [];
      bytes = 0;
    }
    current.push(...change.ops);
    bytes += size;
  }
  if (current.length > 0) txns.push(current);
  return txns;
}

/** The request body of a transaction: Consul's JSON with base64 values. */
export function txnBody(ops: readonly TxnOp[]): Array<{ KV: Record<string, unknown> }> {
  return ops.map((op) => {
    if ('Value' in op) return { KV: { ...op, Value: Buffer.from(op.Value).toString('base64') } };
    return { KV: { ...op } };
  });
}
