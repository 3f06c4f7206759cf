import { compareKeys } from './go.ts';

/** One KV pair as Consul's state store holds it (structs.DirEntry); `session` is '' when no lock is held. */
export interface KvEntry {
  readonly key: string;
  readonly value: Buffer | null;
  readonly flags: bigint;
  readonly lockIndex: number;
  readonly session: string;
  readonly createIndex: number;
  readonly modifyIndex: number;
}

/** One session (structs.Session); `lockDelayNs` and `ttl` keep the forms Consul reports. */
export interface SessionRecord {
  readonly id: string;
  readonly name: string;
  readonly node: string;
  readonly lockDelayNs: number;
  readonly behavior: 'release' | 'delete';
  readonly ttl: string;
  readonly ttlNs: number;
  readonly nodeChecks: readonly string[];
  readonly createIndex: number;
  readonly modifyIndex: number;
}

/** The per-table max indexes of memdb's "index" table; they only grow, except through a snapshot restore. */
export interface TableIndexes {
  kvs: number;
  tombstones: number;
  sessions: number;
}

/** A copy of the replicated state, as taken by `snapshot()` and put back by `restore()`. */
export interface StateSnapshot {
  readonly kvs: ReadonlyMap<string, KvEntry>;
  readonly tombstones: ReadonlyMap<string, number>;
  readonly sessions: ReadonlyMap<string, SessionRecord>;
  readonly indexes: Readonly<TableIndexes>;
}

/** Read access shared by the committed state and an open write transaction. */
export interface StateReader {
  kv(key: string): KvEntry | undefined;
  kvPrefix(prefix: string): KvEntry[];
  kvBySession(session: string): KvEntry[];
  tombstoneMaxIndex(prefix: string): number;
  session(id: string): SessionRecord | undefined;
  sessions(): SessionRecord[];
  readonly indexes: Readonly<TableIndexes>;
}

class State implements StateReader {
  kvs = new Map<string, KvEntry>();
  tombstones = new Map<string, number>();
  sessionMap = new Map<string, SessionRecord>();
  indexes: TableIndexes = { kvs: 0, tombstones: 0, sessions: 0 };

  kv(key: string): KvEntry | undefined {
    return this.kvs.get(key);
  }
  kvPrefix(prefix: string): KvEntry[] {
    return [...this.kvs.values()]
      .filter((e) => e.key.startsWith(prefix))
      .sort((a, b) => compareKeys(a.key, b.key));
  }
  kvBySession(session: string): KvEntry[] {
    return [...this.kvs.values()]
      .filter((e) => e.session === session)
      .sort((a, b) => compareKeys(a.key, b.key));
  }
  tombstoneMaxIndex(prefix: string): number {
    let max = 0;
    for (const [key, index] of this.tombstones) if (key.startsWith(prefix) && index > max) max = index;
    return max;
  }
  session(id: string): SessionRecord | undefined {
    return this.sessionMap.get(id);
  }
  sessions(): SessionRecord[] {
    return [...this.sessionMap.values()].sort((a, b) => compareKeys(a.id, b.id));
  }
}

/** A write transaction: changes are buffered and become visible to readers only on commit. */
export class Tx implements StateReader {
  private readonly kvWrites = new Map<string, KvEntry | null>();
  private readonly tombWrites = new Map<string, number>();
  private readonly sessionWrites = new Map<string, SessionRecord | null>();
  private readonly lockDelays = new Map<string, number>();
  private readonly base: State;
  readonly indexes: TableIndexes;
  changed = false;

  constructor(base: State) {
    this.base = base;
    this.indexes = { ...base.indexes };
  }

  kv(key: string): KvEntry | undefined {
    const written = this.kvWrites.get(key);
    if (written !== undefined) return written ?? undefined;
    return this.base.kv(key);
  }
  private allKvs(): KvEntry[] {
    const out: KvEntry[] = [];
    for (const entry of this.base.kvs.values()) if (!this.kvWrites.has(entry.key)) out.push(entry);
    for (const entry of this.kvWrites.values()) if (entry) out.push(entry);
    return out;
  }
  kvPrefix(prefix: string): KvEntry[] {
    return this.allKvs()
      .filter((e) => e.key.startsWith(prefix))
      .sort((a, b) => compareKeys(a.key, b.key));
  }
  kvBySession(session: string): KvEntry[] {
    return this.allKvs()
      .filter((e) => e.session === session)
      .sort((a, b) => compareKeys(a.key, b.key));
  }
  tombstoneMaxIndex(prefix: string): number {
    let max = this.base.tombstoneMaxIndex(prefix);
    for (const [key, index] of this.tombWrites) if (key.startsWith(prefix) && index > max) max = index;
    return max;
  }
  session(id: string): SessionRecord | undefined {
    const written = this.sessionWrites.get(id);
    if (written !== undefined) return written ?? undefined;
    return this.base.session(id);
  }
  sessions(): SessionRecord[] {
    const out = this.base.sessions().filter((s) => !this.sessionWrites.has(s.id));
    for (const s of this.sessionWrites.values()) if (s) out.push(s);
    return out.sort((a, b) => compareKeys(a.id, b.id));
  }

  /** Inserts or replaces a KV entry and raises the kvs table index to its ModifyIndex. */
  putKv(entry: KvEntry): void {
    this.kvWrites.set(entry.key, entry);
    this.indexes.kvs = Math.max(this.indexes.kvs, entry.modifyIndex);
    this.changed = true;
  }
  /** Removes a KV entry at `idx` without a tombstone (callers add one where Consul does). */
  removeKv(key: string, idx: number): void {
    this.kvWrites.set(key, null);
    this.indexes.kvs = Math.max(this.indexes.kvs, idx);
    this.changed = true;
  }
  /** Records a tombstone for `key` at `idx` ("to prevent the index from sliding backwards"). */
  addTombstone(key: string, idx: number): void {
    this.tombWrites.set(key, idx);
    this.indexes.tombstones = Math.max(this.indexes.tombstones, idx);
    this.changed = true;
  }
  /** Inserts or replaces a session at `idx`. */
  putSession(session: SessionRecord, idx: number): void {
    this.sessionWrites.set(session.id, session);
    this.indexes.sessions = Math.max(this.indexes.sessions, idx);
    this.changed = true;
  }
  /** Deletes a session at `idx`. */
  removeSession(id: string, idx: number): void {
    this.sessionWrites.set(id, null);
    this.indexes.sessions = Math.max(this.indexes.sessions, idx);
    this.changed = true;
  }
  /** Blocks `acquire` on `key` until the clock reaches `expiresAt` (ms). */
  setLockDelay(key: string, expiresAt: number): void {
    this.lockDelays.set(key, expiresAt);
  }

  /** Applies the buffered writes to the committed state. */
  commitTo(base: State, lockDelays: Map<string, number>): void {
    for (const [key, entry] of this.kvWrites) {
      if (entry) base.kvs.set(key, entry);
      else base.kvs.delete(key);
    }
    for (const [key, index] of this.tombWrites) base.tombstones.set(key, index);
    for (const [id, session] of this.sessionWrites) {
      if (session) base.sessionMap.set(id, session);
      else base.sessionMap.delete(id);
    }
    for (const [key, expiresAt] of this.lockDelays) lockDelays.set(key, expiresAt);
    base.indexes = { ...this.indexes };
  }
}

/** Called after every commit that changed something, and with `abandoned` after a snapshot restore. */
export type StoreListener = (abandoned: boolean) => void;

/** The single-node state store: a Raft-like index counter, the tables, lock-delays and change listeners. */
export class Store {
  private state = new State();
  private readonly lockDelays = new Map<string, number>();
  private readonly listeners = new Set<StoreListener>();
  /** The last Raft index used; a fresh Consul has spent a few on its own bookkeeping before any user write. */
  raftIndex = 10;

  /** The committed state. */
  read(): StateReader {
    return this.state;
  }

  /** Runs `fn` as one Raft apply at a fresh index; it commits unless `fn` throws or calls `tx`'s rollback. */
  apply<T>(fn: (tx: Tx, idx: number, rollback: () => void) => T): T {
    const idx = ++this.raftIndex;
    const tx = new Tx(this.state);
    let rolledBack = false;
    const result = fn(tx, idx, () => {
      rolledBack = true;
    });
    if (!rolledBack && tx.changed) {
      tx.commitTo(this.state, this.lockDelays);
      this.notify(false);
    }
    return result;
  }

  /** Runs `fn` in a transaction that is never committed and uses no index (Consul's read-only txn path). */
  readTx<T>(fn: (tx: Tx) => T): T {
    return fn(new Tx(this.state));
  }

  /** The clock time (ms) until which `acquire` on `key` is refused, or 0. */
  lockDelayUntil(key: string): number {
    return this.lockDelays.get(key) ?? 0;
  }

  /** Subscribes to commits; returns the unsubscribe function. */
  subscribe(listener: StoreListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private notify(abandoned: boolean): void {
    for (const listener of [...this.listeners]) listener(abandoned);
  }

  /** Copies the replicated tables (not lock-delays, which Consul keeps in memory only). */
  snapshot(): StateSnapshot {
    return {
      kvs: new Map(this.state.kvs),
      tombstones: new Map(this.state.tombstones),
      sessions: new Map(this.state.sessionMap),
      indexes: { ...this.state.indexes },
    };
  }

  /** Replaces the tables with a snapshot's, keeps the Raft counter monotonic, and abandons every blocked query. */
  restore(snapshot: StateSnapshot): void {
    const next = new State();
    next.kvs = new Map(snapshot.kvs);
    next.tombstones = new Map(snapshot.tombstones);
    next.sessionMap = new Map(snapshot.sessions);
    next.indexes = { ...snapshot.indexes };
    this.state = next;
    this.notify(true);
  }

  /** Drops every tombstone, as Consul's periodic reaper eventually does; table indexes stay as they are. */
  reapTombstones(): void {
    this.state.tombstones.clear();
  }
}
