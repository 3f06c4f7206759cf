import type { DockerProviderConfig } from '../../config/static.ts';
import type { Logger } from '../../core/log.ts';
import type { Provider, Snapshot } from '../provider.ts';
import { ProviderStats } from '../provider-stats.ts';
import type { ContainerInfo } from './container.ts';
import { decodeContainers } from './decode.ts';
import { DockerWatcher } from './docker-watcher.ts';

/**
 * The Docker provider: containers and their labels as routing configuration. The DockerWatcher follows
 * the engine (list, events, reconnects); each list it yields is decoded into one complete snapshot.
 */
export class DockerProvider implements Provider {
  readonly name = 'docker';
  private readonly config: DockerProviderConfig;
  private readonly watcher: DockerWatcher;
  /** Failed connections to the engine, for the metrics. */
  readonly stats = new ProviderStats();

  constructor(options: {
    config: DockerProviderConfig;
    logger: Logger;
    env?: Record<string, string | undefined>;
  }) {
    this.config = options.config;
    this.watcher = new DockerWatcher({ ...options, stats: this.stats });
  }

  /** Decodes containers into a snapshot. */
  snapshot(containers: readonly ContainerInfo[]): Snapshot {
    const { config, diagnostics } = decodeContainers(containers, this.config);
    return { provider: this.name, config, diagnostics };
  }

  async *watch(signal: AbortSignal): AsyncIterable<Snapshot> {
    for await (const containers of this.watcher.watch(signal)) yield this.snapshot(containers);
  }
}
