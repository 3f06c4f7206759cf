import type { Readable } from 'node:stream';
import type Dockerode from 'dockerode';
import type { DockerProviderConfig } from '../../config/static.ts';
import type { Logger } from '../../router/log.ts';
import type { Provider, Snapshot } from '../provider.ts';
import { backoffDelay, sleep } from '../retry.ts';
import { type ContainerInfo, ContainerInfoSchema } from './container.ts';
import { decodeContainers } from './decode.ts';
import { dockerClient } from './endpoint.ts';
import { EventLines } from './event-lines.ts';

/** Container actions that can change what a container routes (health_status comes with a suffix). */
const CONTAINER_ACTIONS = new Set([
  'start',
  'die',
  'stop',
  'kill',
  'destroy',
  'pause',
  'unpause',
  'rename',
  'restart',
  'update',
]);
const NETWORK_ACTIONS = new Set(['connect', 'disconnect']);
const INSPECT_CONCURRENCY = 16;

/** One Docker event, as much of it as the provider reads. */
interface DockerEvent {
  Type?: string;
  Action?: string;
  status?: string;
  id?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
}

/** Which container an event is about, or undefined when it cannot change routing. */
export function containerOfEvent(e: DockerEvent): string | undefined {
  const action = e.Action ?? e.status ?? '';
  if ((e.Type ?? 'container') === 'container') {
    const base = action.split(':')[0] as string;
    return CONTAINER_ACTIONS.has(base) || base === 'health_status' ? (e.Actor?.ID ?? e.id) : undefined;
  }
  if (e.Type === 'network' && NETWORK_ACTIONS.has(action)) return e.Actor?.Attributes?.container;
  return undefined;
}

/**
 * The Docker provider: containers and their labels as routing configuration.
 *
 * Lifecycle (each connection):
 * 1. Note the time, list every container and inspect each (bounded concurrency); emit a snapshot.
 * 2. Follow the events stream from just before the list, so nothing that happened meanwhile is missed.
 *    Each event re-inspects only the container it names (network connect/disconnect included); a batch
 *    of events yields one snapshot.
 * 3. When the stream ends or fails (daemon restart, socket gone), back off with jitter and start over at
 *    1, which resyncs everything. The last snapshot keeps serving meanwhile; the state change is logged
 *    once, not every retry.
 */
export class DockerProvider implements Provider {
  readonly name = 'docker';
  private readonly config: DockerProviderConfig;
  private readonly logger: Logger;
  private readonly docker: Dockerode;
  private readonly cache = new Map<string, ContainerInfo>();

  constructor(options: {
    config: DockerProviderConfig;
    logger: Logger;
    env?: Record<string, string | undefined>;
  }) {
    this.config = options.config;
    this.logger = options.logger;
    this.docker = dockerClient(options.config, options.env ?? process.env);
  }

  /** Decodes the cached containers into a snapshot. */
  snapshot(): Snapshot {
    const { config, diagnostics } = decodeContainers([...this.cache.values()], this.config);
    return { provider: this.name, config, diagnostics };
  }

  async *watch(signal: AbortSignal): AsyncIterable<Snapshot> {
    let attempt = 0;
    let connected: boolean | undefined;
    while (!signal.aborted) {
      const since = Math.floor(Date.now() / 1000) - 1;
      let stream: Readable | undefined;
      try {
        await this.resync(signal);
        if (connected !== true)
          this.logger.info(
            { provider: this.name, containers: this.cache.size },
            'connected to the Docker Engine',
          );
        connected = true;
        attempt = 0;
        yield this.snapshot();
        if (!this.config.watch) {
          await new Promise<void>((r) => signal.addEventListener('abort', () => r(), { once: true }));
          return;
        }
        stream = (await this.docker.getEvents({
          since,
          filters: { type: ['container', 'network'] },
          abortSignal: signal,
        } as Dockerode.GetEventsOptions)) as unknown as Readable;
        for await (const batch of new EventLines(stream, signal)) {
          const ids = new Set<string>();
          for (const line of batch) {
            const id = this.parseEvent(line);
            if (id) ids.add(id);
          }
          if (ids.size === 0) continue;
          await Promise.all([...ids].map((id) => this.refresh(id, signal)));
          yield this.snapshot();
        }
        if (signal.aborted) return;
        throw new Error('the events stream ended');
      } catch (err) {
        stream?.destroy();
        if (signal.aborted) return;
        if (connected !== false) {
          this.logger.error(
            { provider: this.name, endpoint: this.config.endpoint, err: (err as Error).message },
            'Docker Engine unreachable; the last good configuration keeps serving, retrying with backoff',
          );
        }
        connected = false;
        await sleep(backoffDelay(attempt++), signal);
      }
    }
  }

  private parseEvent(line: string): string | undefined {
    try {
      return containerOfEvent(JSON.parse(line) as DockerEvent);
    } catch {
      this.logger.warn(
        { provider: this.name, line: line.slice(0, 200) },
        'ignored an event that is not JSON',
      );
      return undefined;
    }
  }

  /** Lists every container and inspects each; replaces the cache. */
  private async resync(signal: AbortSignal): Promise<void> {
    const list = await this.docker.listContainers({
      all: true,
      abortSignal: signal,
    } as Dockerode.ContainerListOptions);
    const fresh = new Map<string, ContainerInfo>();
    let next = 0;
    const worker = async () => {
      while (next < list.length) {
        const id = (list[next++] as Dockerode.ContainerInfo).Id;
        const info = await this.inspect(id, signal);
        if (info) fresh.set(id, info);
      }
    };
    await Promise.all(Array.from({ length: Math.min(INSPECT_CONCURRENCY, list.length) }, worker));
    this.cache.clear();
    for (const [id, info] of fresh) this.cache.set(id, info);
  }

  /** Re-inspects one container after an event; a container that is gone leaves the cache. */
  private async refresh(id: string, signal: AbortSignal): Promise<void> {
    const info = await this.inspect(id, signal);
    if (info) this.cache.set(id, info);
    else this.cache.delete(id);
  }

  /** Inspects a container and validates the fields Wharf reads; undefined when it does not exist. */
  private async inspect(id: string, signal: AbortSignal): Promise<ContainerInfo | undefined> {
    let raw: unknown;
    try {
      raw = await this.docker
        .getContainer(id)
        .inspect({ abortSignal: signal } as Dockerode.ContainerInspectOptions);
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) return undefined;
      throw err;
    }
    const parsed = ContainerInfoSchema.safeParse(raw);
    if (!parsed.success) {
      this.logger.warn(
        { provider: this.name, container: id.slice(0, 12), problem: parsed.error.issues[0]?.message },
        'container inspect data has an unexpected shape; the container is left out',
      );
      return undefined;
    }
    return parsed.data;
  }
}
