import { Counter, Gauge, type Registry } from 'prom-client';
import type { BanList } from '../../middleware/ban/ban-list.ts';

/**
 * The ban middleware's metrics (docs/middlewares/ban.md), read from the BanList when Prometheus scrapes
 * (nothing prom-client runs per request): bans in force, bans this replica decided, and requests refused
 * because their client was banned, each by middleware.
 */
export function registerBanMetrics(registry: Registry, list: BanList, now: () => number = Date.now): void {
  const registers = [registry];
  new Gauge({
    name: 'wharf_bans_active',
    help: 'Clients banned now, by ban middleware (bans of every replica, as this one knows them)',
    labelNames: ['middleware'],
    registers,
    collect() {
      this.reset();
      for (const [middleware, n] of list.countActive(now())) this.set({ middleware }, n);
    },
  });
  new Counter({
    name: 'wharf_bans_total',
    help: 'Bans this replica decided (maxRetry failures within findTime), by ban middleware',
    labelNames: ['middleware'],
    registers,
    collect() {
      this.reset();
      for (const [middleware, n] of list.bansTotal) this.inc({ middleware }, n);
    },
  });
  new Counter({
    name: 'wharf_ban_refusals_total',
    help: 'Requests this replica refused because their client was banned, by ban middleware',
    labelNames: ['middleware'],
    registers,
    collect() {
      this.reset();
      for (const [middleware, n] of list.refusalsTotal) this.inc({ middleware }, n);
    },
  });
}
