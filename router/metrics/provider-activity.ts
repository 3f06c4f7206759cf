import type { Provider, Snapshot } from '../../providers/provider.ts';

/** Snapshots one provider yielded, and when the last one came. */
export interface ProviderCount {
  snapshots: number;
  /** ms since the epoch. */
  lastAt: number;
}

/**
 * Counts the snapshots each provider yields (unchanged ones included: the provider read its source
 * successfully), for wharf_provider_snapshots_total and wharf_provider_last_snapshot_timestamp_seconds.
 */
export class ProviderActivity {
  readonly byProvider = new Map<string, ProviderCount>();

  /** The provider, with every snapshot it yields counted on the way to the watcher. */
  tap(provider: Provider): Provider {
    const count: ProviderCount = { snapshots: 0, lastAt: 0 };
    this.byProvider.set(provider.name, count);
    return {
      name: provider.name,
      ...(provider.stats ? { stats: provider.stats } : {}),
      watch: (signal) => counted(provider.watch(signal), count),
    };
  }
}

async function* counted(source: AsyncIterable<Snapshot>, count: ProviderCount): AsyncIterable<Snapshot> {
  for await (const snap of source) {
    count.snapshots++;
    count.lastAt = Date.now();
    yield snap;
  }
}
