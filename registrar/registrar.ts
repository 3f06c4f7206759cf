import type { Diagnostic } from '../config/diagnostics.ts';
import { WharfError } from '../config/errors.ts';
import type { ConsulProviderConfig, DockerProviderConfig } from '../config/static.ts';
import type { Logger } from '../core/log.ts';
import { HOST_ID_PATTERN, type HostKeys, hostIdFromEngine, hostKeys } from '../core/registrar-document.ts';
import { backoffDelay, sleep } from '../core/retry.ts';
import { ConsulKvClient } from '../providers/consul/kv-client.ts';
import { ReadLimiter } from '../providers/consul/read-limiter.ts';
import type { AddressMode } from '../providers/docker/address.ts';
import { DockerWatcher } from '../providers/docker/docker-watcher.ts';
import { type DesiredState, desiredDocuments } from './desired.ts';
import type { HealthState } from './health.ts';
import { acquireLease, leaseEntry } from './lease.ts';
import { chunkChanges, planChanges, txnBody } from './plan.ts';
import type { RegistrarMetrics } from './registrar-metrics.ts';

/** What the registrar needs; the CLI builds it from the registrar's configuration. */
export interface RegistrarOptions {
  readonly docker: DockerProviderConfig;
  readonly consul: Pick<ConsulProviderConfig, 'endpoints' | 'token' | 'rootKey' | 'tls'>;
  /** The host's id in KV; default: the Docker engine's ID. */
  readonly hostId?: string;
  readonly address: AddressMode;
  /** The host session's TTL (10 s to 24 h). */
  readonly ttlMs: number;
  readonly logger: Logger;
  readonly env?: Record<string, string | undefined>;
  /** Called on every state change (the CLI writes the health file). */
  readonly onHealth?: (state: HealthState) => void;
  /** How long a watch of the host's keys blocks (default 60 s). */
  readonly waitMs?: number;
  /** Counts publishes, conflicts and failures (the CLI writes them to registrar.metricsFile). */
  readonly metrics?: RegistrarMetrics;
}

/** Conflicts (409) in a row after which a warning says another writer keeps changing this host's keys. */
const CONFLICT_WARN_AFTER = 8;
/** The longest pause between two attempts after conflicts. */
const CONFLICT_MAX_DELAY_MS = 2_000;

/**
 * The registrar: publishes one Docker host's labelled containers into Consul KV.
 *
 * Lifecycle:
 * 1. Find the host id (configured, else the engine's ID), then follow Docker with the Docker provider's
 *    watcher. Each list it yields (a full list after every (re)connection, an updated one after events)
 *    becomes the desired documents, decoded by the Docker provider's decoder.
 * 2. The publisher makes Consul hold exactly the desired documents for this host: take the host's lease
 *    (adopt the live session or create one), read the host's keys (consistent), plan, send the plan's
 *    transactions (every write guarded by what was read). A 409 means someone moved first: back off with
 *    jitter, re-read, re-plan. Unchanged documents cause no write at all.
 * 3. Between changes it blocks on the host's keys, so an entry deleted or changed by anyone else (an
 *    operator, a session that expired) is repaired at once.
 * 4. Docker unreachable: nothing is published or deleted until the watcher has listed everything again.
 *    Consul unreachable: retry with backoff; the latest desired state (not every intermediate one) is
 *    published on recovery.
 * 5. Stopping does not destroy the session: routes stay while a restarted registrar takes over within the
 *    TTL; if none does, Consul deletes the host's documents when the session expires.
 */
export class Registrar {
  private readonly opts: RegistrarOptions;
  private readonly logger: Logger;
  private readonly client: ConsulKvClient;
  private readonly limiter = new ReadLimiter(4, 250);
  private desired: DesiredState | undefined;
  private dockerUp = false;
  private session: string | undefined;
  private poke: (() => void) | undefined;
  private pending = false;
  private reported = new Set<string>();
  private health: HealthState = {
    pid: process.pid,
    updatedAt: Date.now(),
    docker: 'starting',
    consul: 'starting',
    documents: 0,
    inSync: false,
  };

  constructor(opts: RegistrarOptions) {
    this.opts = opts;
    this.logger = opts.logger;
    this.client = new ConsulKvClient(opts.consul, 'consul.tls');
  }

  /** The current health state. */
  get state(): HealthState {
    return this.health;
  }

  /** The keys of the documents this host should hold, as last decoded from Docker (tests, diagnostics). */
  get desiredKeys(): string[] {
    return [...(this.desired?.documents.keys() ?? [])].sort();
  }

  /** Runs until the signal aborts. */
  async run(signal: AbortSignal): Promise<void> {
    const watcher = new DockerWatcher({
      config: this.opts.docker,
      logger: this.logger,
      name: 'registrar',
      ...(this.opts.env && { env: this.opts.env }),
      onState: (s) => {
        this.dockerUp = s === 'up';
        this.setHealth({ docker: s });
      },
    });
    try {
      const host = await this.hostId(watcher, signal);
      if (host === undefined) return;
      const keys = hostKeys(this.opts.consul.rootKey, host);
      this.setHealth({ host });
      this.logger.info(
        { host, prefix: keys.prefix, address: this.opts.address.mode, ttl: `${this.opts.ttlMs / 1000}s` },
        'registrar publishing this Docker host into Consul',
      );
      const publisher = this.publish(keys, host, signal);
      const renewer = this.renew(keys, signal);
      const decodeOpts = { ...this.opts.docker, address: this.opts.address };
      for await (const containers of watcher.watch(signal)) {
        this.desired = desiredDocuments(containers, decodeOpts, this.opts.consul.rootKey, host);
        this.report(this.desired.diagnostics);
        this.wake();
      }
      this.wake();
      await Promise.all([publisher, renewer]);
    } finally {
      await this.client.close();
    }
  }

  /** The configured host id, or the engine's (retrying while Docker is unreachable). */
  private async hostId(watcher: DockerWatcher, signal: AbortSignal): Promise<string | undefined> {
    if (this.opts.hostId !== undefined) return this.opts.hostId;
    for (let attempt = 0; !signal.aborted; attempt++) {
      try {
        const info = await watcher.engineInfo(signal);
        const id = hostIdFromEngine(info.id);
        if (!HOST_ID_PATTERN.test(id)) throw new WharfError('REGISTRAR_HOST_ID_UNUSABLE', { id: info.id });
        this.logger.info(
          { engineId: info.id, engine: info.name, host: id },
          'host id from the Docker engine',
        );
        return id;
      } catch (err) {
        if (signal.aborted) return undefined;
        if (attempt === 0)
          this.logger.error(
            { err: (err as Error).message, ...(err instanceof WharfError ? { code: err.code } : {}) },
            'cannot ask the Docker Engine for its ID (the default registrar.hostId); retrying with backoff',
          );
        this.setHealth({ docker: 'down', lastError: (err as Error).message });
        await sleep(backoffDelay(attempt), signal);
      }
    }
    return undefined;
  }

  /** Logs each container diagnostic once, when it first appears. */
  private report(diagnostics: readonly Diagnostic[]): void {
    const now = new Set<string>();
    for (const d of diagnostics) {
      const id = `${d.subject}\u0000${d.code}\u0000${d.message}`;
      now.add(id);
      if (this.reported.has(id)) continue;
      const fields = { container: d.subject, code: d.code, key: d.key, value: d.value };
      if (d.severity === 'error') this.logger.error(fields, `${d.message} (not published)`);
      else this.logger.warn(fields, d.message);
    }
    this.reported = now;
  }

  private wake(): void {
    this.pending = true;
    this.poke?.();
  }

  private setHealth(change: Partial<HealthState>): void {
    this.health = { ...this.health, ...change, updatedAt: Date.now() };
    this.opts.onHealth?.(this.health);
  }

  /** Waits until woken, the signal aborts, or (with `index`) the host's keys change in Consul. */
  private async idle(keys: HostKeys, index: number | undefined, signal: AbortSignal): Promise<void> {
    if (this.pending || signal.aborted) return;
    const woken = new AbortController();
    this.poke = () => woken.abort();
    const both = AbortSignal.any([signal, woken.signal]);
    try {
      if (index === undefined) {
        await new Promise<void>((resolve) => both.addEventListener('abort', () => resolve(), { once: true }));
        return;
      }
      const wait = this.limiter.take();
      if (wait > 0) await sleep(wait, both);
      if (both.aborted) return;
      await this.client.list(keys.prefix, { index, waitMs: this.opts.waitMs ?? 60_000, signal: both });
    } catch (err) {
      if (!both.aborted) throw err;
    } finally {
      this.poke = undefined;
    }
  }

  /** Makes Consul hold the desired documents, again after every change, until the signal aborts. */
  private async publish(keys: HostKeys, host: string, signal: AbortSignal): Promise<void> {
    let failures = 0;
    let conflicts = 0;
    let down = false;
    const metrics = this.opts.metrics;
    // When the change being published was first attempted (performance.now()), for the publish duration.
    let firstAttempt: number | undefined;
    while (!signal.aborted) {
      const desired = this.desired;
      if (desired === undefined || !this.dockerUp) {
        // Docker unreachable or not listed yet: publish nothing, delete nothing.
        await this.idle(keys, undefined, signal);
        this.pending = false;
        continue;
      }
      this.pending = false;
      try {
        if (this.session === undefined) {
          const lease = await acquireLease(this.client, keys, host, this.opts.ttlMs, signal, (err, s) =>
            this.logger.warn(
              { host, session: s, err: (err as Error)?.message },
              'could not destroy a session that lost the lease race; it expires after its TTL',
            ),
          );
          this.session = lease.session;
          this.logger.info(
            { host, session: lease.session },
            lease.how === 'adopted' ? "adopted the host's live session" : 'created the host session',
          );
        }
        const read = await this.client.list(keys.prefix, { signal });
        if (leaseEntry(read.entries, keys)?.session !== this.session) {
          // The lease moved (the session expired and Consul deleted it, or another registrar replaced it).
          this.logger.warn(
            { host, session: this.session },
            "the host's lease no longer names this session; taking it again",
          );
          this.session = undefined;
          continue;
        }
        const plan = planChanges({
          keys,
          held: read.entries,
          desired: desired.documents,
          session: this.session,
        });
        if (plan.ignored.length > 0)
          this.logger.debug(
            { keys: plan.ignored },
            'left alone: keys under the host prefix that are not documents',
          );
        if (down) this.logger.info({ host }, 'Consul reachable again; publishing the latest state');
        down = false;
        failures = 0;
        metrics?.documents.set(desired.documents.size);
        if (plan.changes.length === 0) {
          conflicts = 0;
          firstAttempt = undefined;
          metrics?.inSync.set(1);
          this.setHealth({
            consul: 'up',
            documents: desired.documents.size,
            inSync: true,
            lastError: undefined,
          });
          await this.idle(keys, read.index, signal);
          continue;
        }
        this.setHealth({ consul: 'up', inSync: false });
        metrics?.inSync.set(0);
        firstAttempt ??= performance.now();
        let rolledBack = false;
        for (const ops of chunkChanges(plan.changes)) {
          const res = await this.client.txn(txnBody(ops), signal);
          if (!res.ok) {
            rolledBack = true;
            conflicts++;
            metrics?.conflicts.inc();
            const what = res.errors.map((e) => e.What).join('; ');
            if (conflicts === CONFLICT_WARN_AFTER)
              this.logger.warn(
                { host, conflicts, what },
                "another writer keeps changing this host's keys; still retrying",
              );
            else this.logger.debug({ host, what }, 'transaction rolled back (409); re-reading');
            break;
          }
        }
        if (!rolledBack) {
          conflicts = 0;
          if (metrics) {
            metrics.publishes.inc();
            metrics.publishDuration.observe((performance.now() - firstAttempt) / 1000);
          }
          firstAttempt = undefined;
          this.logger.debug({ host, changes: plan.changes.map((c) => `${c.action} ${c.key}`) }, 'published');
          continue;
        }
        await sleep(Math.min(CONFLICT_MAX_DELAY_MS, backoffDelay(conflicts - 1)), signal);
      } catch (err) {
        if (signal.aborted) return;
        if (!down)
          this.logger.error(
            { host, err: (err as Error).message },
            'Consul unreachable; keeping the latest desired state, retrying with backoff',
          );
        down = true;
        metrics?.consulFailures.inc();
        metrics?.inSync.set(0);
        this.setHealth({ consul: 'down', inSync: false, lastError: (err as Error).message });
        await sleep(backoffDelay(failures++), signal);
        this.pending = true; // try again even if nothing changed meanwhile
      }
    }
  }

  /** Renews the host session every third of its TTL; a lost session makes the publisher start over. */
  private async renew(keys: HostKeys, signal: AbortSignal): Promise<void> {
    const every = Math.max(1000, Math.floor(this.opts.ttlMs / 3));
    while (!signal.aborted) {
      await sleep(every, signal);
      const session = this.session;
      if (signal.aborted || session === undefined) continue;
      try {
        if (await this.client.renewSession(session, signal)) continue;
        if (this.session !== session) continue;
        this.logger.error(
          { prefix: keys.prefix, session },
          "the host session expired (Consul unreachable for longer than the TTL?): Consul deleted this host's documents; publishing them again",
        );
        this.session = undefined;
        this.wake();
      } catch (err) {
        if (signal.aborted) return;
        this.logger.debug({ err: (err as Error).message }, 'session renewal failed; retrying');
      }
    }
  }
}
