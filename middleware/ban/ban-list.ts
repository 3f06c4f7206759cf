/** One ban as it is kept (in memory and, for the consul store, as the JSON value of its Consul key). */
export interface BanRecord {
  /** Qualified name of the ban middleware that banned (`name@provider`): bans are per middleware. */
  readonly middleware: string;
  /** The client address, as the middleware's ipStrategy chose it. */
  readonly ip: string;
  /** Why: the failures that caused it, e.g. `5 failures within 10m: basicAuth ×5`. */
  readonly reason: string;
  /** When the ban began and ends (ms since the epoch). */
  readonly since: number;
  readonly until: number;
  /** 1 for a first ban, n for the n-th of a repeat offender (see banTimeMultiplier). */
  readonly offence: number;
  /** When the record is dropped (ms): `until`, or later to remember a repeat offender. */
  readonly forgetAt: number;
  /** The host name of the replica that banned. */
  readonly replica: string;
}

/** Where a ban is kept: shared by every replica through Consul, or in this process only. */
export type BanStoreKind = 'consul' | 'memory';

/** Told about bans added or lifted in the consul store, to write them to Consul (router/ban/). */
export interface BanListener {
  added(record: BanRecord): void;
  lifted(middleware: string, ip: string): void;
}

interface Entry {
  readonly record: BanRecord;
  readonly store: BanStoreKind;
}

/** Records kept at most; beyond, the oldest one is dropped (a Map keeps insertion order). */
export const MAX_BANS = 1 << 18;

/** The key of a ban in the list (and the two parts of its Consul key). */
export const banKey = (middleware: string, ip: string): string => `${middleware}\u0000${ip}`;

/**
 * The bans this process enforces, of every ban middleware: those of the memory store, and the consul
 * store's as last read from Consul plus those this process added since. Lookups are synchronous (one
 * Map.get per request); what the Consul side does happens through `listener` and `replaceShared`.
 * Counters for the metrics live here too, so nothing prom-client runs per request.
 */
export class BanList {
  readonly #entries = new Map<string, Entry>();
  readonly #capacity: number;
  /** Set by the Consul sync (router/ban/consul-ban-sync.ts). */
  listener: BanListener | undefined;
  /** Bans decided by this process, per middleware. */
  readonly bansTotal = new Map<string, number>();
  /** Requests refused because their client was banned, per middleware. */
  readonly refusalsTotal = new Map<string, number>();

  constructor(capacity = MAX_BANS) {
    this.#capacity = capacity;
  }

  /** The ban `ip` is under from `middleware` at `now`, if any. */
  active(middleware: string, ip: string, now: number): BanRecord | undefined {
    const e = this.#entries.get(banKey(middleware, ip));
    return e && e.record.until > now ? e.record : undefined;
  }

  /** The last ban of `ip` by `middleware`, ended or not, while it is remembered (repeat offenders). */
  last(middleware: string, ip: string, now: number): BanRecord | undefined {
    const e = this.#entries.get(banKey(middleware, ip));
    return e && e.record.forgetAt > now ? e.record : undefined;
  }

  /** Adds a ban this process decided (counted in bansTotal; written to Consul for the consul store). */
  add(record: BanRecord, store: BanStoreKind): void {
    this.#set(record, store);
    this.bansTotal.set(record.middleware, (this.bansTotal.get(record.middleware) ?? 0) + 1);
    if (store === 'consul') this.listener?.added(record);
  }

  /** Counts a refused request of a banned client. */
  refused(middleware: string): void {
    this.refusalsTotal.set(middleware, (this.refusalsTotal.get(middleware) ?? 0) + 1);
  }

  /** Lifts a ban (the API's DELETE); true when this process knew it. Told to Consul when shared. */
  lift(middleware: string, ip: string): boolean {
    const key = banKey(middleware, ip);
    const e = this.#entries.get(key);
    this.#entries.delete(key);
    if (e?.store !== 'memory') this.listener?.lifted(middleware, ip);
    return e !== undefined;
  }

  /** The bans in force at `now`, soonest to end first. */
  list(now: number): Array<BanRecord & { store: BanStoreKind }> {
    const out: Array<BanRecord & { store: BanStoreKind }> = [];
    for (const e of this.#entries.values())
      if (e.record.until > now) out.push({ ...e.record, store: e.store });
    return out.sort((a, b) => a.until - b.until || (a.ip < b.ip ? -1 : 1));
  }

  /** Bans in force at `now` per middleware (the metrics' gauge). */
  countActive(now: number): Map<string, number> {
    const out = new Map<string, number>();
    for (const { record } of this.#entries.values())
      if (record.until > now) out.set(record.middleware, (out.get(record.middleware) ?? 0) + 1);
    return out;
  }

  /**
   * Replaces the consul store's records with what Consul holds (`records`), keeping `keep` (keys whose
   * write this process has not seen acknowledged yet, with the record to keep or undefined for a lift).
   */
  replaceShared(records: Iterable<BanRecord>, keep: ReadonlyMap<string, BanRecord | undefined>): void {
    for (const [key, e] of this.#entries) if (e.store === 'consul') this.#entries.delete(key);
    for (const r of records) this.#set(r, 'consul');
    for (const [key, r] of keep) {
      if (r) this.#set(r, 'consul');
      else this.#entries.delete(key);
    }
  }

  /** The consul store's records this process holds (for cleaning Consul up). */
  shared(): BanRecord[] {
    return [...this.#entries.values()].filter((e) => e.store === 'consul').map((e) => e.record);
  }

  /** Drops the records forgotten at `now`. */
  sweep(now: number): void {
    for (const [key, e] of this.#entries) if (e.record.forgetAt <= now) this.#entries.delete(key);
  }

  #set(record: BanRecord, store: BanStoreKind): void {
    const key = banKey(record.middleware, record.ip);
    this.#entries.delete(key);
    if (this.#entries.size >= this.#capacity) {
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.delete(oldest);
    }
    this.#entries.set(key, { record, store });
  }
}
