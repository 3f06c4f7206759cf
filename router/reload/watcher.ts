import { formatError } from '../../config/errors.ts';
import { snapshotFingerprint } from '../../core/fingerprint.ts';
import type { Logger } from '../../core/log.ts';
import type { Provider, Snapshot } from '../../providers/provider.ts';

/**
 * Collects providers' snapshots: keeps the latest per provider, drops one equal to the provider's
 * previous, and throttles each provider independently (at most one apply per `throttleMs`; while waiting
 * only the newest snapshot is kept). `apply` receives every provider's latest snapshot.
 */
export class ConfigWatcher {
  private readonly latest = new Map<string, Snapshot>();
  private readonly fingerprints = new Map<string, string>();
  private readonly appliedFingerprints = new Map<string, string>();
  private readonly lastApplied = new Map<string, number>();
  private readonly pending = new Map<string, Snapshot>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly throttleMs: number;
  private readonly logger: Logger;
  private readonly apply: (snapshots: ReadonlyMap<string, Snapshot>) => void;

  constructor(options: {
    throttleMs: number;
    logger: Logger;
    apply: (snapshots: ReadonlyMap<string, Snapshot>) => void;
  }) {
    this.throttleMs = options.throttleMs;
    this.logger = options.logger;
    this.apply = options.apply;
  }

  /** Consumes each provider until `signal` aborts; resolves when every provider's iterator has ended. */
  async run(providers: readonly Provider[], signal: AbortSignal): Promise<void> {
    signal.addEventListener('abort', () => {
      for (const t of this.timers.values()) clearTimeout(t);
      this.timers.clear();
    });
    await Promise.all(providers.map((p) => this.consume(p, signal)));
  }

  /** Offers one snapshot (providers call this through run; tests may call it directly). */
  offer(snapshot: Snapshot): void {
    const p = snapshot.provider;
    // A provider that read a large source off the main thread brings the digest along (the file provider).
    const fp = snapshot.fingerprint ?? snapshotFingerprint(snapshot.config, snapshot.diagnostics);
    if (this.fingerprints.get(p) === fp) return;
    this.fingerprints.set(p, fp);
    this.pending.set(p, snapshot);
    if (this.timers.has(p)) return;
    const wait = Math.max(
      0,
      (this.lastApplied.get(p) ?? Number.NEGATIVE_INFINITY) + this.throttleMs - Date.now(),
    );
    if (wait === 0) this.flush(p);
    else {
      const t = setTimeout(() => {
        this.timers.delete(p);
        this.flush(p);
      }, wait);
      this.timers.set(p, t);
    }
  }

  private flush(p: string): void {
    const snap = this.pending.get(p);
    if (!snap) return;
    this.pending.delete(p);
    // A -> B -> A within one throttle window: what is pending is what is already applied.
    const fp = this.fingerprints.get(p) as string;
    if (this.appliedFingerprints.get(p) === fp) return;
    this.appliedFingerprints.set(p, fp);
    this.latest.set(p, snap);
    this.lastApplied.set(p, Date.now());
    this.apply(this.latest);
  }

  private async consume(provider: Provider, signal: AbortSignal): Promise<void> {
    try {
      for await (const snap of provider.watch(signal)) {
        if (signal.aborted) break;
        this.offer(snap);
      }
    } catch (err) {
      if (!signal.aborted) {
        this.logger.error(
          { code: 'PROVIDER_FAILED', err, provider: provider.name },
          formatError('PROVIDER_FAILED', {
            provider: provider.name,
            problem: `stopped watching (${(err as Error)?.message ?? String(err)})`,
          }),
        );
      }
    }
  }
}
