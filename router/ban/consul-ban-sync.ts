import type { Logger } from '../../core/log.ts';
import { type BanList, type BanListener, type BanRecord, banKey } from '../../middleware/ban/ban-list.ts';
import type { Clock, ClockTimer } from '../../middleware/clock.ts';
import type { ConsulKvClient, KvEntry } from '../../providers/consul/kv-client.ts';

/** The folder under providers.consul.rootKey holding the bans (the Consul provider skips it). */
export const BANS_FOLDER = 'bans';
/** How often expired bans are removed from Consul and failed writes retried. */
const SWEEP_MS = 5_000;
/** Shortest time between two reads of the bans (changes in between are read together). */
const MIN_READ_INTERVAL_MS = 200;
/** Longest a blocking read of the bans waits for a change. */
const WAIT_MS = 30_000;

/** A key segment with `%` and `/` escaped, so a name or address is one segment whatever it holds. */
const segment = (text: string) => text.replaceAll('%', '%25').replaceAll('/', '%2F');

/** The Consul key of a ban: `<rootKey>/bans/<middleware>/<ip>`, e.g. `wharf/bans/ban@file/203.0.113.7`. */
export function banConsulKey(prefix: string, middleware: string, ip: string): string {
  return `${prefix}${segment(middleware)}/${segment(ip)}`;
}

/** A ban read back from its Consul value; undefined when the value is not one. */
export function parseBanValue(text: string): BanRecord | undefined {
  let v: Record<string, unknown>;
  try {
    v = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const str = (k: string) => (typeof v[k] === 'string' ? (v[k] as string) : undefined);
  const time = (k: string) => {
    const t = Date.parse(str(k) ?? '');
    return Number.isFinite(t) ? t : undefined;
  };
  const middleware = str('middleware');
  const ip = str('ip');
  const since = time('since');
  const until = time('until');
  if (!middleware || !ip || since === undefined || until === undefined) return undefined;
  const offence = typeof v.offence === 'number' && v.offence >= 1 ? v.offence : 1;
  return {
    middleware,
    ip,
    reason: str('reason') ?? '',
    since,
    until,
    offence,
    forgetAt: Math.max(until, time('forgetAt') ?? until),
    replica: str('replica') ?? '',
  };
}

/** A ban as its Consul value: JSON with ISO-8601 times, readable with `consul kv get`. */
export function banValue(r: BanRecord): string {
  const iso = (t: number) => new Date(t).toISOString();
  return JSON.stringify({
    middleware: r.middleware,
    ip: r.ip,
    reason: r.reason,
    since: iso(r.since),
    until: iso(r.until),
    offence: r.offence,
    forgetAt: iso(r.forgetAt),
    replica: r.replica,
  });
}

interface Pending {
  /** The record written, or undefined for a lift. */
  readonly record: BanRecord | undefined;
  /** Sequence number of the last read started before the write was acknowledged; undefined until then. */
  ackedAt: number | undefined;
  /** When the write was acknowledged (clock ms). */
  ackedAtMs?: number;
  failed: boolean;
}

/** How long an acknowledged write may still win over what reads say (a bound on any ordering race). */
const PENDING_MS = 5_000;

/**
 * Shares a BanList's consul-store bans through Consul KV. Steps:
 * 1. A blocking read of `<rootKey>/bans/` (recursive) loads every ban at start (so bans survive restarts)
 *    and returns as soon as any replica adds or lifts one: the list is replaced by what Consul holds.
 * 2. A ban decided here is enforced at once and written with one `set` (one write per ban, never per
 *    request: a banned client's requests are refused without counting). Until a read that started after
 *    the write was acknowledged comes back, the local record wins over what reads say.
 * 3. A lift (the API's DELETE) deletes the key; every replica's read drops it.
 * 4. Every few seconds: records past their forgetAt are dropped, and deleted from Consul with `delete-cas`
 *    (a client banned again meanwhile keeps its new ban); writes that failed are retried.
 * When Consul cannot be reached, bans decided here are still enforced here, and written once it is back.
 */
export class ConsulBanSync implements BanListener {
  readonly #list: BanList;
  readonly #client: ConsulKvClient;
  readonly #prefix: string;
  readonly #logger: Logger;
  readonly #clock: Clock;
  readonly #pending = new Map<string, Pending>();
  readonly #abort = new AbortController();
  /** ModifyIndex of each ban key in the last read, for delete-cas. */
  #indexes = new Map<string, { key: string; index: number }>();
  /** The bans of the last read, by banKey. */
  #last = new Map<string, BanRecord>();
  #readSeq = 0;
  #sweep: ClockTimer | undefined;
  #loop: Promise<void> = Promise.resolve();
  #loaded = false;

  constructor(list: BanList, client: ConsulKvClient, rootKey: string, logger: Logger, clock: Clock) {
    this.#list = list;
    this.#client = client;
    this.#prefix = `${rootKey.replace(/\/+$/, '')}/${BANS_FOLDER}/`;
    this.#logger = logger;
    this.#clock = clock;
  }

  /** The KV prefix of the bans, e.g. `wharf/bans/`. */
  get prefix(): string {
    return this.#prefix;
  }

  /** Starts following Consul and sweeping. */
  start(): void {
    this.#list.listener = this;
    this.#loop = this.#watch().catch((err: unknown) =>
      this.#logger.error({ err }, 'ban: the Consul watch of bans ended unexpectedly'),
    );
    this.#scheduleSweep();
  }

  added(record: BanRecord): void {
    const key = banKey(record.middleware, record.ip);
    this.#write(key, { record, ackedAt: undefined, failed: false });
  }

  lifted(middleware: string, ip: string): void {
    this.#write(banKey(middleware, ip), { record: undefined, ackedAt: undefined, failed: false });
  }

  /** Deletes a ban in Consul and resolves once Consul has it (the API waits for this). */
  async lift(middleware: string, ip: string): Promise<void> {
    const p: Pending = { record: undefined, ackedAt: undefined, failed: false };
    const key = banKey(middleware, ip);
    this.#pending.set(key, p);
    try {
      await this.#send(key, p);
    } catch (err) {
      // Retried by the sweep; the caller (the API) reports the failure.
      p.failed = true;
      throw err;
    }
  }

  #write(key: string, p: Pending): void {
    this.#pending.set(key, p);
    this.#send(key, p).catch((err: unknown) => {
      p.failed = true;
      this.#logger.warn(
        { err: String(err) },
        'ban: cannot write a ban to Consul; it is enforced here and written when Consul answers again',
      );
    });
  }

  async #send(key: string, p: Pending): Promise<void> {
    const [middleware, ip] = key.split('\u0000') as [string, string];
    const Key = banConsulKey(this.#prefix, middleware, ip);
    const op = p.record
      ? { Verb: 'set', Key, Value: Buffer.from(banValue(p.record)).toString('base64') }
      : { Verb: 'delete', Key };
    const res = await this.#client.txn([{ KV: op }]);
    if (!res.ok) throw new Error(res.errors.map((e) => e.What).join('; '));
    p.failed = false;
    p.ackedAt = this.#readSeq;
    p.ackedAtMs = this.#clock.now();
  }

  async #watch(): Promise<void> {
    const signal = this.#abort.signal;
    let index = 0;
    let failures = 0;
    let lastRead = 0;
    while (!signal.aborted) {
      // Under attack bans change often and each read returns every ban: at most one read per
      // MIN_READ_INTERVAL_MS batches the changes, well within the second a ban may take to reach all.
      const since = performance.now() - lastRead;
      if (since < MIN_READ_INTERVAL_MS)
        await new Promise((r) => setTimeout(r, MIN_READ_INTERVAL_MS - since).unref());
      if (signal.aborted) break;
      lastRead = performance.now();
      const seq = ++this.#readSeq;
      try {
        const res = await this.#client.list(this.#prefix, { index, waitMs: WAIT_MS, signal });
        // Consul answers again after an outage: write what could not be written meanwhile.
        if (failures > 0) this.#retryFailed(this.#clock.now());
        failures = 0;
        if (res.index !== index || !this.#loaded) this.#apply(res.entries, seq);
        index = res.index < index ? 0 : res.index;
      } catch (err) {
        if (signal.aborted) break;
        failures++;
        if (failures === 1 || failures % 10 === 0)
          this.#logger.warn(
            { err: String(err), failures },
            'ban: cannot read the bans from Consul; retrying',
          );
        await new Promise((r) => setTimeout(r, Math.min(30_000, 250 * 2 ** failures)).unref());
      }
    }
  }

  #apply(entries: readonly KvEntry[], seq: number): void {
    const records = new Map<string, BanRecord>();
    const indexes = new Map<string, { key: string; index: number }>();
    for (const e of entries) {
      const r = parseBanValue(e.value);
      if (!r) continue;
      const k = banKey(r.middleware, r.ip);
      records.set(k, r);
      indexes.set(k, { key: e.key, index: e.modifyIndex });
    }
    this.#indexes = indexes;
    this.#last = records;
    for (const [key, p] of this.#pending) {
      const stored = records.get(key);
      const acked = p.ackedAt !== undefined;
      // The read shows the write (the same ban, or the key gone), or started after the write was
      // acknowledged (so it includes it): the local state no longer needs to win.
      const shown = p.record
        ? stored?.since === p.record.since && stored.until === p.record.until
        : acked && stored === undefined;
      if (shown || (acked && (p.ackedAt as number) < seq)) this.#pending.delete(key);
    }
    this.#replace();
    this.#loaded = true;
  }

  /** The list's consul records: the last read, with the writes not yet shown by a read on top. */
  #replace(): void {
    const keep = new Map([...this.#pending].map(([k, p]) => [k, p.record] as const));
    this.#list.replaceShared(this.#last.values(), keep);
  }

  #scheduleSweep(): void {
    this.#sweep = this.#clock.setTimeout(() => {
      this.#sweepOnce().finally(() => {
        if (!this.#abort.signal.aborted) this.#scheduleSweep();
      });
    }, SWEEP_MS);
  }

  async #sweepOnce(): Promise<void> {
    const now = this.#clock.now();
    let dropped = this.#retryFailed(now);
    for (const [key, p] of this.#pending) {
      if (p.ackedAtMs !== undefined && now - p.ackedAtMs > PENDING_MS) {
        this.#pending.delete(key);
        dropped = true;
      }
    }
    if (dropped && this.#loaded) this.#replace();
    this.#list.sweep(now);
    const gone = [...this.#indexes].filter(([k]) => {
      const r = this.#list.last(...(k.split('\u0000') as [string, string]), now);
      return r === undefined && !this.#pending.has(k);
    });
    for (const [k, { key, index }] of gone) {
      this.#indexes.delete(k);
      // Another replica may delete it first, or the client be banned again: the CAS then fails, harmlessly.
      await this.#client
        .txn([{ KV: { Verb: 'delete-cas', Key: key, Index: index } }])
        .catch((err: unknown) =>
          this.#logger.debug({ err: String(err) }, 'ban: cannot remove an expired ban from Consul'),
        );
    }
  }

  /**
   * Writes again what failed to be written; a ban that has ended meanwhile is dropped instead (writing it
   * would only make every replica read it to ignore it). True when something was dropped.
   */
  #retryFailed(now: number): boolean {
    let dropped = false;
    for (const [key, p] of this.#pending) {
      if (!p.failed) continue;
      if (p.record && p.record.forgetAt <= now) {
        this.#pending.delete(key);
        dropped = true;
      } else this.#write(key, { ...p, failed: false });
    }
    return dropped;
  }

  /** Stops the watch and the sweeps, and closes the client. */
  async close(): Promise<void> {
    this.#abort.abort();
    this.#sweep?.cancel();
    await this.#loop;
    if (this.#list.listener === this) this.#list.listener = undefined;
    await this.#client.close();
  }
}
