import { X509Certificate } from 'node:crypto';
import { formatDuration } from '../../config/duration.ts';
import { formatError } from '../../config/errors.ts';
import type { AcmeResolverConfig } from '../../config/static.ts';
import type { Logger } from '../../core/log.ts';
import { isProblem, type LoadedCertificate, loadCertificate } from '../tls/certificates.ts';
import { type Dns01Setup, dns01Setup } from './dns01/setup.ts';
import { newAccount, orderCertificate, refusedByCa } from './order.ts';
import { type RenewalSchedule, renewalSchedule, retryDelay } from './schedule.ts';
import type { AcmeStorage, StoredAccount, StoredCertificate } from './storage.ts';

/** A certificate the routers want: its names (main first), sorted SANs, and the routers asking. */
export interface WantedCertificate {
  readonly names: readonly string[];
  readonly routers: readonly string[];
}

interface Held {
  readonly stored: StoredCertificate;
  readonly loaded: LoadedCertificate;
  readonly notAfterMs: number;
}

/** How long to wait before looking again at a domain another replica is ordering. */
const LOCK_BUSY_RETRY_MS = 1_000;

/** The identity of a certificate request: its names, main first, then the SANs sorted. */
export const certificateKey = (names: readonly string[]) =>
  [names[0], ...[...names.slice(1)].sort()].join(',');

/**
 * One certificate resolver: keeps its certificates (from storage, and as obtained), orders those the
 * routers want and lack, renews them on Traefik's schedule, and retries failed orders with backoff while
 * the default certificate serves their names.
 *
 * Lifecycle:
 * 1. `start()` loads the account and certificates from storage and starts watching it (Consul).
 * 2. `want()` after each routing-table swap (the table listener in acme.ts): missing or due certificates
 *    are ordered, one order per certificate at a time (and, with Consul, one replica at a time: the
 *    storage's lock).
 * 3. A timer checks for due renewals every `checkEvery` of the schedule.
 * 4. Every change of the certificate set calls the `subscribe`d listeners: the resolver's provider
 *    (acme-provider.ts) then yields a snapshot with the new set, which reaches the routing table through the
 *    watcher like any provider's.
 * 5. `stop()` cancels timers and the watch; an order in flight finishes or fails on its own.
 */
export class AcmeResolver {
  readonly name: string;
  readonly config: AcmeResolverConfig;
  readonly storage: AcmeStorage;
  readonly schedule: RenewalSchedule;
  /** The DNS-01 provider and rules (or why DNS-01 cannot be used), when the resolver has dnsChallenge. */
  readonly dns01: Dns01Setup | undefined;
  readonly #logger: Logger;
  readonly #listeners = new Set<() => void>();
  readonly #held = new Map<string, Held>();
  #wanted = new Map<string, WantedCertificate>();
  readonly #inFlight = new Set<string>();
  readonly #retry = new Map<string, { timer: NodeJS.Timeout; failures: number }>();
  readonly #failures = new Map<string, number>();
  #account: StoredAccount | undefined;
  #accountLoad: Promise<StoredAccount> | undefined;
  #timer: NodeJS.Timeout | undefined;
  readonly #abort = new AbortController();
  #certificates: readonly LoadedCertificate[] = [];
  /** Orders placed by this router (successful or not), for logs and tests. */
  orders = 0;

  constructor(o: {
    name: string;
    config: AcmeResolverConfig;
    storage: AcmeStorage;
    logger: Logger;
  }) {
    this.name = o.name;
    this.config = o.config;
    this.storage = o.storage;
    this.schedule = renewalSchedule(o.config.certificatesDuration);
    this.#logger = o.logger;
    this.dns01 = dns01Setup(o.config, o.logger);
  }

  /** Calls `listener` after each change of the certificates this resolver serves; returns the unsubscribe. */
  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #changed(): void {
    for (const listener of this.#listeners) listener();
  }

  /** Loads the stored account and certificates; starts the renewal timer and the storage watch. */
  async start(): Promise<void> {
    const { account, certificates } = await this.storage.load();
    this.#account = account;
    this.#adopt(certificates);
    this.#timer = setInterval(() => this.#check(), this.schedule.checkEveryMs);
    this.#timer.unref();
    this.storage.watch(
      (list) => {
        if (this.#adopt(list)) this.#changed();
      },
      this.#abort.signal,
      (err) =>
        this.#logger.warn(
          { code: 'ACME_STORAGE_FAILED', resolver: this.name, err: (err as Error)?.message },
          formatError('ACME_STORAGE_FAILED', {
            resolver: this.name,
            storage: this.storage.description,
            problem: `watching certificates failed (${(err as Error)?.message}); retrying`,
          }),
        ),
    );
  }

  /** Stops timers and the watch. */
  async stop(): Promise<void> {
    this.#abort.abort();
    clearInterval(this.#timer);
    for (const r of this.#retry.values()) clearTimeout(r.timer);
    this.#retry.clear();
    await this.storage.close();
  }

  /** The certificates this resolver serves, for the certificate store. */
  certificates(): readonly LoadedCertificate[] {
    return this.#certificates;
  }

  /** The certificates the routers of the table in service want from this resolver. */
  wanted(): readonly WantedCertificate[] {
    return [...this.#wanted.values()];
  }

  /** Certificates being ordered now, and those waiting to try again (a failure or a busy lock); for tests. */
  get pending(): { ordering: number; waiting: number } {
    return { ordering: this.#inFlight.size, waiting: this.#retry.size };
  }

  /** Sets the certificates the routers want now, and orders what is missing or due. */
  want(wanted: readonly WantedCertificate[]): void {
    this.#wanted = new Map(wanted.map((w) => [certificateKey(w.names), w]));
    for (const key of this.#retry.keys()) {
      if (!this.#wanted.has(key)) {
        clearTimeout(this.#retry.get(key)?.timer);
        this.#retry.delete(key);
      }
    }
    this.#check();
  }

  /** Orders every wanted certificate that is missing or due for renewal. */
  #check(): void {
    for (const [key, w] of this.#wanted) if (this.#due(key)) this.#ensure(key, w);
  }

  #due(key: string, now = Date.now()): boolean {
    const held = this.#held.get(key);
    return !held || held.notAfterMs - now < this.schedule.renewBeforeMs;
  }

  /** Takes certificates read from storage; true when the served set changed. */
  #adopt(list: readonly StoredCertificate[]): boolean {
    let changed = false;
    for (const stored of list) {
      const key = certificateKey([stored.domain.main, ...stored.domain.sans]);
      const loaded = loadCertificate({ certFile: stored.certificate, keyFile: stored.key }, () =>
        Buffer.alloc(0),
      );
      if (isProblem(loaded)) {
        this.#logger.error(
          { code: 'ACME_STORAGE_FAILED', resolver: this.name, domain: stored.domain.main },
          formatError('ACME_STORAGE_FAILED', {
            resolver: this.name,
            storage: this.storage.description,
            problem: `the certificate of ${stored.domain.main} is not usable (${loaded.code}); it is left out`,
          }),
        );
        continue;
      }
      const current = this.#held.get(key);
      if (current?.loaded.id === loaded.id) continue;
      const notAfterMs = Date.parse(new X509Certificate(stored.certificate).validTo);
      // A stale read never replaces a newer certificate.
      if (current && current.notAfterMs > notAfterMs) continue;
      this.#held.set(key, { stored, loaded, notAfterMs });
      changed = true;
    }
    if (changed) this.#certificates = [...this.#held.values()].map((h) => h.loaded);
    return changed;
  }

  #accountToUse(): Promise<StoredAccount> {
    if (this.#account) return Promise.resolve(this.#account);
    // A new key until the first order registers it; stored with its URL once the CA knows it.
    this.#accountLoad ??= Promise.resolve(newAccount(this.config.email));
    return this.#accountLoad;
  }

  #ensure(key: string, wanted: WantedCertificate): void {
    if (this.#inFlight.has(key) || this.#retry.has(key)) return;
    this.#inFlight.add(key);
    this.#order(key, wanted.names).then(
      (outcome) => {
        this.#inFlight.delete(key);
        this.#failures.delete(key);
        if (outcome === 'busy') this.#later(key, LOCK_BUSY_RETRY_MS, 0);
      },
      (err: unknown) => {
        this.#inFlight.delete(key);
        const failures = (this.#failures.get(key) ?? 0) + 1;
        this.#failures.set(key, failures);
        const delay = retryDelay(failures, refusedByCa(err));
        const problem = (err as Error)?.message ?? String(err);
        this.#logger.error(
          {
            code: 'ACME_ORDER_FAILED',
            resolver: this.name,
            domain: wanted.names[0],
            domains: wanted.names,
            routers: wanted.routers,
            failures,
          },
          formatError('ACME_ORDER_FAILED', {
            resolver: this.name,
            domains: wanted.names.join(', '),
            ca: this.config.caServer,
            problem,
            retry: formatDuration(Math.max(1_000, Math.round(delay / 1_000) * 1_000)),
          }),
        );
        this.#later(key, delay, failures);
      },
    );
  }

  #later(key: string, delayMs: number, failures: number): void {
    if (this.#abort.signal.aborted) return;
    const timer = setTimeout(() => {
      this.#retry.delete(key);
      const w = this.#wanted.get(key);
      if (w && this.#due(key)) this.#ensure(key, w);
    }, delayMs);
    timer.unref();
    this.#retry.set(key, { timer, failures });
  }

  /**
   * One attempt: take the lock, look at the storage again (another replica may have just stored the
   * certificate), order, store, serve. 'busy' when another replica holds the lock.
   */
  async #order(key: string, names: readonly string[]): Promise<'done' | 'busy'> {
    const release = await this.storage.tryLock(names[0] as string);
    if (!release) return 'busy';
    try {
      const stored = await this.storage.getCertificate(names[0] as string);
      if (stored && certificateKey([stored.domain.main, ...stored.domain.sans]) === key) {
        if (this.#adopt([stored])) this.#changed();
        if (!this.#due(key)) return 'done';
      }
      if (this.#abort.signal.aborted) return 'done';
      const renewing = this.#held.has(key);
      this.#logger.info(
        { resolver: this.name, domains: names, renewing },
        renewing ? 'renewing the ACME certificate' : 'obtaining an ACME certificate',
      );
      this.orders++;
      const certificate = await orderCertificate(
        {
          resolver: this.name,
          config: this.config,
          storage: this.storage,
          account: () => this.#accountToUse(),
          remember: (a) => {
            this.#account = a;
          },
          ...(this.dns01 ? { dns01: this.dns01 } : {}),
          logger: this.#logger,
          signal: this.#abort.signal,
        },
        names,
      );
      await this.storage.saveCertificate(certificate);
      if (this.#adopt([certificate])) this.#changed();
      this.#logger.info({ resolver: this.name, domains: names }, 'ACME certificate obtained');
      return 'done';
    } finally {
      await release().catch((err: unknown) =>
        this.#logger.warn({ resolver: this.name, err }, 'could not release the ACME order lock'),
      );
    }
  }
}
