import type { ConsulProviderConfig } from '../../config/static.ts';
import type { Logger } from '../../core/log.ts';
import { backoffDelay, sleep } from '../../core/retry.ts';
import type { Provider, Snapshot } from '../provider.ts';
import { ProviderStats } from '../provider-stats.ts';
import { decodeKvEntries } from './decode.ts';
import { ConsulKvClient, type KvEntry } from './kv-client.ts';
import { ReadLimiter } from './read-limiter.ts';

const WAIT_MS = 30_000;

/**
 * The Consul KV provider: the routing configuration under `rootKey`, in Traefik's KV layout.
 *
 * Lifecycle:
 * 1. One recursive read of the root (consistent unless `stale`), decoded and emitted. A missing or empty
 *    root is an empty configuration: routes from Consul disappear, nothing fails.
 * 2. Blocking queries on the root with the last X-Consul-Index, rate limited (a burst of 4, then one
 *    read per 250 ms). Each answer with a new index is one consistent view of the whole tree, decoded and
 *    emitted; an unchanged index (the wait timed out) emits nothing. An index that goes backwards (snapshot
 *    restore, server change) resets: the next read is a plain read, never `index=0`. A blocking query that
 *    returns early with the same index is followed by one plain read, so a lowered index is seen at once
 *    rather than after another full wait.
 * 3. Consul unreachable: back off with jitter, log once per state change, keep the last snapshot serving.
 */
export class ConsulProvider implements Provider {
  readonly name: string;
  private readonly config: ConsulProviderConfig;
  private readonly logger: Logger;
  private readonly client: ConsulKvClient;
  private readonly waitMs: number;
  private readonly limiter: ReadLimiter;
  /** Failed reads, the last index and X-Consul-LastContact, for the metrics. */
  readonly stats = new ProviderStats();

  constructor(options: {
    config: ConsulProviderConfig;
    logger: Logger;
    waitMs?: number;
    limiter?: ReadLimiter;
  }) {
    this.config = options.config;
    this.name = options.config.namespace ? `consul-${options.config.namespace}` : 'consul';
    this.logger = options.logger;
    this.client = new ConsulKvClient(options.config);
    this.waitMs = options.waitMs ?? WAIT_MS;
    this.limiter = options.limiter ?? new ReadLimiter(4, 250);
  }

  /** Decodes a read of the root into a snapshot. */
  snapshot(entries: readonly KvEntry[]): Snapshot {
    const { config, diagnostics } = decodeKvEntries(entries, this.config.rootKey, this.name);
    return { provider: this.name, config, diagnostics };
  }

  async *watch(signal: AbortSignal): AsyncIterable<Snapshot> {
    const prefix = `${this.config.rootKey.replace(/\/+$/, '')}/`;
    let index = 0;
    let attempt = 0;
    let reachable: boolean | undefined;
    let probe = false;
    try {
      while (!signal.aborted) {
        const wait = this.limiter.take();
        if (wait > 0) await sleep(wait, signal);
        if (signal.aborted) break;
        let result: Awaited<ReturnType<ConsulKvClient['list']>>;
        const asked = performance.now();
        try {
          result = await this.client.list(prefix, { index: probe ? 0 : index, waitMs: this.waitMs, signal });
        } catch (err) {
          if (signal.aborted) break;
          this.stats.failures++;
          if (reachable !== false) {
            this.logger.error(
              { provider: this.name, err: (err as Error).message },
              'Consul unreachable; the last good configuration keeps serving, retrying with backoff',
            );
          }
          reachable = false;
          await sleep(backoffDelay(attempt++), signal);
          continue;
        }
        if (reachable !== true)
          this.logger.info({ provider: this.name, endpoint: this.client.endpoint }, 'reading Consul KV');
        reachable = true;
        attempt = 0;
        this.stats.consulIndex = result.index;
        this.stats.consulLastContactMs = result.lastContactMs;
        if (index > 0 && result.index < index) {
          // Consul's rule: an index that goes backwards means reset; read again without blocking.
          this.logger.info(
            { provider: this.name, from: index, to: result.index },
            'Consul index went backwards; resetting',
          );
          index = 0;
          continue;
        }
        if (result.index === index) {
          // A blocking query that returns early without a new index was woken by something (an identical
          // write, a snapshot restore that lowered the index): look with a plain read instead of waiting out
          // another full wait to learn the index went backwards.
          probe = !probe && performance.now() - asked < this.waitMs / 2;
          continue;
        }
        probe = false;
        index = result.index;
        let snap: Snapshot;
        try {
          snap = this.snapshot(result.entries);
        } catch (err) {
          // Decoding is pure and should not throw; if it does, say so and keep watching.
          this.stats.failures++;
          this.logger.error(
            { provider: this.name, err },
            'could not decode the Consul KV tree; the last good configuration keeps serving',
          );
          continue;
        }
        yield snap;
      }
    } finally {
      await this.client.close();
    }
  }
}
