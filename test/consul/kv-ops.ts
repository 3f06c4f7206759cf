// KV state operations, one function per Consul state-store function (agent/consul/state/kvs.go), with the
// same error texts. Errors are thrown as plain Errors, which the HTTP layer turns into 500s as Consul does
// for RPC errors, and which transactions turn into `Errors[].What`.
import { uuidError } from './go.ts';
import type { KvEntry, SessionRecord, StateReader, Tx } from './store.ts';

/** A mutable draft of a KV entry, as a request carries it into the state store. */
export interface DirEnt {
  key: string;
  value: Buffer | null;
  flags: bigint;
  lockIndex: number;
  session: string;
  createIndex: number;
  modifyIndex: number;
}

/** A draft entry with zeroed indexes. */
export function dirEnt(key: string, value: Buffer | null = null, flags = 0n, session = ''): DirEnt {
  return { key, value, flags, lockIndex: 0, session, createIndex: 0, modifyIndex: 0 };
}

function sameValue(a: Buffer | null, b: Buffer | null): boolean {
  return (a ?? Buffer.alloc(0)).equals(b ?? Buffer.alloc(0));
}

/** structs.DirEntry.Equal: the fields whose change makes a write real. */
function equal(a: KvEntry, b: DirEnt): boolean {
  return (
    a.lockIndex === b.lockIndex &&
    a.key === b.key &&
    a.flags === b.flags &&
    sameValue(a.value, b.value) &&
    a.session === b.session
  );
}

/** The whole KV table index (kvs + tombstones). */
export function kvsMaxIndex(r: StateReader): number {
  return Math.max(r.indexes.kvs, r.indexes.tombstones);
}

/** kvsSetTxn: upsert; an identical entry is left untouched and keeps its ModifyIndex. */
export function kvsSet(tx: Tx, idx: number, entry: DirEnt, updateSession: boolean): void {
  const existing = tx.kv(entry.key);
  entry.createIndex = existing ? existing.createIndex : idx;
  if (!updateSession) entry.session = existing ? existing.session : '';
  if (existing && equal(existing, entry)) {
    entry.modifyIndex = existing.modifyIndex;
    return;
  }
  entry.modifyIndex = idx;
  tx.putKv({ ...entry, value: entry.value && entry.value.length > 0 ? entry.value : null });
}

/** kvsSetCASTxn: ModifyIndex 0 means create-only, otherwise it must equal the current ModifyIndex. */
export function kvsSetCAS(tx: Tx, idx: number, entry: DirEnt): boolean {
  const existing = tx.kv(entry.key);
  if (entry.modifyIndex === 0 && existing) return false;
  if (entry.modifyIndex !== 0 && !existing) return false;
  if (existing && entry.modifyIndex !== 0 && entry.modifyIndex !== existing.modifyIndex) return false;
  kvsSet(tx, idx, entry, false);
  return true;
}

/** kvsDeleteTxn: delete one key, leaving a tombstone; a missing key is a no-op. */
export function kvsDelete(tx: Tx, idx: number, key: string): void {
  if (!tx.kv(key)) return;
  tx.addTombstone(key, idx);
  tx.removeKv(key, idx);
}

/** kvsDeleteCASTxn: a missing key reports success; otherwise the index must match (so cas=0 never deletes). */
export function kvsDeleteCAS(tx: Tx, idx: number, cidx: number, key: string): boolean {
  const existing = tx.kv(key);
  if (!existing || existing.modifyIndex !== cidx) return existing === undefined;
  kvsDelete(tx, idx, key);
  return true;
}

/** kvsDeleteTreeTxn: delete a prefix with ONE tombstone at the prefix itself (none for the root). */
export function kvsDeleteTree(tx: Tx, idx: number, prefix: string): void {
  const doomed = tx.kvPrefix(prefix);
  if (doomed.length === 0) return;
  for (const entry of doomed) tx.removeKv(entry.key, idx);
  if (prefix !== '') tx.addTombstone(prefix, idx);
}

/** The session lookup memdb does for lock operations, with its errors for malformed and unknown IDs. */
function requireSession(r: StateReader, id: string): SessionRecord {
  const bad = uuidError(id);
  if (bad) throw new Error(`failed session lookup: ${bad}`);
  const session = r.session(id);
  if (!session) throw new Error(`invalid session ${JSON.stringify(id)}`);
  return session;
}

/** kvsLockTxn: acquire (or re-acquire) the lock; false when another session holds it. */
export function kvsLock(tx: Tx, idx: number, entry: DirEnt): boolean {
  if (entry.session === '') throw new Error('missing session');
  requireSession(tx, entry.session);
  const existing = tx.kv(entry.key);
  if (existing) {
    if (existing.session === entry.session) {
      entry.createIndex = existing.createIndex;
      entry.lockIndex = existing.lockIndex;
    } else if (existing.session !== '') {
      return false;
    } else {
      entry.createIndex = existing.createIndex;
      entry.lockIndex = existing.lockIndex + 1;
    }
  } else {
    entry.createIndex = idx;
    entry.lockIndex = 1;
  }
  entry.modifyIndex = idx;
  kvsSet(tx, idx, entry, true);
  return true;
}

/** kvsUnlockTxn: release; false when the key is missing or another session (or none) holds it. */
export function kvsUnlock(tx: Tx, idx: number, entry: DirEnt): boolean {
  if (entry.session === '') throw new Error('missing session');
  const existing = tx.kv(entry.key);
  if (!existing || existing.session !== entry.session) return false;
  entry.session = '';
  entry.lockIndex = existing.lockIndex;
  entry.createIndex = existing.createIndex;
  entry.modifyIndex = idx;
  kvsSet(tx, idx, entry, true);
  return true;
}

/** kvsCheckSessionTxn: the key must exist and be locked by exactly `session`. */
export function kvsCheckSession(r: StateReader, key: string, session: string): KvEntry {
  const entry = r.kv(key);
  if (!entry) throw new Error(`failed to check session, key ${JSON.stringify(key)} doesn't exist`);
  if (entry.session !== session) {
    throw new Error(
      `failed session check for key ${JSON.stringify(key)}, current session ${JSON.stringify(entry.session)} != ${JSON.stringify(session)}`,
    );
  }
  return entry;
}

/** kvsCheckIndexTxn: the key must exist with exactly this ModifyIndex. */
export function kvsCheckIndex(r: StateReader, key: string, cidx: number): KvEntry {
  const entry = r.kv(key);
  if (!entry) throw new Error(`failed to check index, key ${JSON.stringify(key)} doesn't exist`);
  if (entry.modifyIndex !== cidx) {
    throw new Error(
      `failed index check for key ${JSON.stringify(key)}, current modify index ${entry.modifyIndex} != ${cidx}`,
    );
  }
  return entry;
}

/** kvsGetTxn: the entry (if any) and the whole-table index. */
export function kvsGet(r: StateReader, key: string): { index: number; entry: KvEntry | undefined } {
  return { index: kvsMaxIndex(r), entry: r.kv(key) };
}

/** kvsListTxn: entries under a prefix; index = max of their ModifyIndex and tombstones, else the table index. */
export function kvsList(r: StateReader, prefix: string): { index: number; entries: KvEntry[] } {
  const table = kvsMaxIndex(r);
  const entries = r.kvPrefix(prefix);
  let local = 0;
  for (const e of entries) if (e.modifyIndex > local) local = e.modifyIndex;
  if (prefix !== '') local = Math.max(local, r.tombstoneMaxIndex(prefix));
  else local = table;
  return { index: local !== 0 ? local : table, entries };
}

/** structs.MaxLockDelay. */
const MAX_LOCK_DELAY_NS = 60e9;

/** deleteSessionTxn: remove a session and release or delete its keys per Behavior, starting their lock-delay. */
export function sessionDestroy(tx: Tx, idx: number, id: string, nowMs: number): void {
  const session = tx.session(id);
  if (!session) return;
  tx.removeSession(id, idx);
  const delayMs = Math.min(session.lockDelayNs, MAX_LOCK_DELAY_NS) / 1e6;
  for (const held of tx.kvBySession(id)) {
    if (session.behavior === 'release') {
      kvsSet(tx, idx, { ...held, session: '' }, true);
    } else {
      kvsDelete(tx, idx, held.key);
    }
    if (delayMs > 0) tx.setLockDelay(held.key, nowMs + delayMs);
  }
}
