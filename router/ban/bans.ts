import { hostname } from 'node:os';
import type { BanOptions } from '../../config/middlewares/ban.ts';
import type { StaticConfig } from '../../config/static.ts';
import type { Logger } from '../../core/log.ts';
import { banDefinition } from '../../middleware/ban/ban.ts';
import { BanList, type BanRecord, type BanStoreKind } from '../../middleware/ban/ban-list.ts';
import { type Clock, type ClockTimer, systemClock } from '../../middleware/clock.ts';
import type { MiddlewareDefinition } from '../../middleware/middleware.ts';
import { ConsulKvClient } from '../../providers/consul/kv-client.ts';
import { ConsulBanSync } from './consul-ban-sync.ts';

/** How often the memory store drops ended bans. */
const SWEEP_MS = 10_000;

/**
 * The bans of one Wharf process: the list every ban middleware shares, its Consul sync (started when a
 * middleware first uses the consul store: the providers.consul agents, under `<rootKey>/bans/`), and what
 * the API (list, lift) and the metrics read.
 */
export class Bans {
  readonly list = new BanList();
  readonly definition: MiddlewareDefinition<BanOptions>;
  readonly #config: StaticConfig;
  readonly #logger: Logger;
  readonly #clock: Clock;
  #sync: ConsulBanSync | undefined;
  #sweep: ClockTimer | undefined;
  #closed = false;

  constructor(config: StaticConfig, logger: Logger, clock: Clock = systemClock) {
    this.#config = config;
    this.#logger = logger;
    this.#clock = clock;
    this.definition = banDefinition({
      list: this.list,
      consulConfigured: config.providers.consul !== undefined,
      useConsul: () => this.#useConsul(),
      replica: hostname(),
    });
    this.#scheduleSweep();
  }

  /** The Consul sync, once a middleware uses the consul store. */
  get sync(): ConsulBanSync | undefined {
    return this.#sync;
  }

  #useConsul(): void {
    const consul = this.#config.providers.consul;
    if (this.#sync || !consul || this.#closed) return;
    const client = new ConsulKvClient(consul);
    this.#sync = new ConsulBanSync(this.list, client, consul.rootKey, this.#logger, this.#clock);
    this.#sync.start();
    this.#logger.info({ prefix: this.#sync.prefix }, 'ban: bans are shared through Consul');
  }

  #scheduleSweep(): void {
    this.#sweep = this.#clock.setTimeout(() => {
      this.list.sweep(this.#clock.now());
      if (!this.#closed) this.#scheduleSweep();
    }, SWEEP_MS);
  }

  /** The bans in force, for the API. */
  entries(): Array<BanRecord & { store: BanStoreKind }> {
    return this.list.list(this.#clock.now());
  }

  /**
   * Lifts a ban everywhere: here at once, and in Consul (awaited) when the bans are shared. True when a
   * ban was known here or shared (Consul's delete cannot tell whether the key existed).
   */
  async lift(middleware: string, ip: string): Promise<boolean> {
    const known = this.list.active(middleware, ip, this.#clock.now()) !== undefined;
    const listener = this.list.listener;
    this.list.listener = undefined;
    try {
      this.list.lift(middleware, ip);
    } finally {
      this.list.listener = listener;
    }
    if (this.#sync) await this.#sync.lift(middleware, ip);
    return known;
  }

  /** Stops the sync and the sweeps. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#sweep?.cancel();
    await this.#sync?.close();
  }
}
