import type { Readable } from 'node:stream';
import type Dockerode from 'dockerode';
import type { DockerProviderConfig } from '../../config/static.ts';
import type { Logger } from '../../core/log.ts';
import { backoffDelay, sleep } from '../../core/retry.ts';
import type { ProviderStats } from '../provider-stats.ts';
import { type ContainerInfo, ContainerInfoSchema } from './container.ts';
import { dockerClient, effectiveEndpoint } from './endpoint.ts';
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
/** A list or inspect the engine does not answer within this is a failure (the events stream has no limit). */
const CALL_TIMEOUT_MS = 15_000;
/** An events stream up this long counts as a working connection even without events. */
const HEALTHY_AFTER_MS = 30_000;

/** A hint for errors whose cause users can fix: a socket proxy or ACL refusing an endpoint. */
function hintFor(err: unknown): { hint?: string } {
  const status = (err as { statusCode?: number }).statusCode;
  if (status === 403 || status === 401) {
    return {
      hint: 'the engine (or a socket proxy in front of it) refused the request: allow CONTAINERS, NETWORKS and EVENTS (read-only)',
    };
  }
  return {};
}

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

/** Whether the engine is reachable, as the watcher last saw it. */
export type EngineState = 'up' | 'down';

/**
 * Follows a Docker Engine's containers: what both the Docker provider and the registrar read.
 *
 * Lifecycle (each connection):
 * 1. Note the time, list every container and inspect each (bounded concurrency); yield the full list.
 * 2. Follow the events stream from just before the list, so nothing that happened meanwhile is missed.
 *    Each event re-inspects only the container it names (network connect/disconnect included); a batch
 *    of events yields one list.
 * 3. When the stream ends or fails (daemon restart, socket gone), back off with jitter and start over at
 *    1, which resyncs everything. Nothing is yielded meanwhile (consumers keep their last state); the state
 *    change is logged once, not every retry.
 */
export class DockerWatcher {
  /** The provider name in logs: docker for the router, registrar for the registrar. */
  private readonly name: string;
  private readonly config: DockerProviderConfig;
  private readonly logger: Logger;
  private readonly docker: Dockerode;
  private readonly cache = new Map<string, ContainerInfo>();
  /** The endpoint in use, for logs (DOCKER_HOST when the configured endpoint is the default). */
  private readonly endpoint: string;

  private readonly stats: ProviderStats | undefined;

  /** Called when the engine becomes reachable or unreachable (once per change). */
  private readonly onState: ((state: EngineState) => void) | undefined;

  constructor(options: {
    config: DockerProviderConfig;
    logger: Logger;
    env?: Record<string, string | undefined>;
    /** The component name in logs (default docker). */
    name?: string;
    onState?: (state: EngineState) => void;
    /** Counts failed connections and reads, for the metrics. */
    stats?: ProviderStats;
  }) {
    this.stats = options.stats;
    this.name = options.name ?? 'docker';
    this.onState = options.onState;
    this.config = options.config;
    this.logger = options.logger;
    this.docker = dockerClient(options.config, options.env ?? process.env);
    this.endpoint = effectiveEndpoint(options.config, options.env ?? process.env).replace(
      /\/\/[^@/]+@/,
      '//***@',
    );
  }

  /** The engine's own description (GET /info): its ID names the host when the registrar is not told one. */
  async engineInfo(signal: AbortSignal): Promise<{ id: string; name: string }> {
    const info = (await (this.docker.info as (o: object) => Promise<unknown>).call(this.docker, {
      abortSignal: AbortSignal.any([signal, AbortSignal.timeout(CALL_TIMEOUT_MS)]),
    })) as { ID?: string; Name?: string };
    return { id: info.ID ?? '', name: info.Name ?? '' };
  }

  /** The containers known now (after the last list or event). */
  containers(): ContainerInfo[] {
    return [...this.cache.values()];
  }

  /**
   * Yields every container (inspected) after each (re)connection and after each batch of events that
   * changes one. Ends when the signal aborts.
   */
  async *watch(signal: AbortSignal): AsyncIterable<readonly ContainerInfo[]> {
    let attempt = 0;
    let reported: 'up' | 'down' | undefined;
    while (!signal.aborted) {
      const since = Math.floor(Date.now() / 1000) - 1;
      let stream: Readable | undefined;
      // Whether this connection proved itself: the events stream delivered, or stayed up a while. Only then
      // does the backoff start over, so an engine that lists but refuses events is not hammered.
      let healthy = false;
      try {
        await this.resync(signal);
        if (reported === undefined) {
          this.logger.info(
            { provider: this.name, endpoint: this.endpoint, containers: this.cache.size },
            'connected to the Docker Engine',
          );
          reported = 'up';
        }
        this.setState('up');
        yield this.containers();
        if (!this.config.watch) {
          await new Promise<void>((r) => signal.addEventListener('abort', () => r(), { once: true }));
          return;
        }
        stream = (await this.docker.getEvents({
          since,
          filters: { type: ['container', 'network'] },
          abortSignal: signal,
        } as Dockerode.GetEventsOptions)) as unknown as Readable;
        const opened = Date.now();
        for await (const batch of new EventLines(stream, signal)) {
          if (!healthy) {
            healthy = true;
            if (reported === 'down')
              this.logger.info(
                { provider: this.name, endpoint: this.endpoint },
                'Docker Engine events flowing again',
              );
            reported = 'up';
          }
          const ids = new Set<string>();
          for (const line of batch) {
            const id = this.parseEvent(line);
            if (id) ids.add(id);
          }
          if (ids.size === 0) continue;
          await this.refreshAll([...ids], signal);
          yield this.containers();
        }
        if (signal.aborted) return;
        if (Date.now() - opened > HEALTHY_AFTER_MS) healthy = true;
        throw new Error('the events stream ended');
      } catch (err) {
        stream?.destroy();
        if (signal.aborted) return;
        if (this.stats) this.stats.failures++;
        if (healthy) attempt = 0;
        if (reported !== 'down') {
          this.logger.error(
            { provider: this.name, endpoint: this.endpoint, err: (err as Error).message, ...hintFor(err) },
            'Docker Engine unreachable; the last good configuration keeps serving, retrying with backoff',
          );
          reported = 'down';
        }
        this.setState('down');
        await sleep(backoffDelay(attempt++), signal);
      }
    }
  }

  private stated: EngineState | undefined;
  private setState(state: EngineState): void {
    if (this.stated === state) return;
    this.stated = state;
    this.onState?.(state);
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
      abortSignal: AbortSignal.any([signal, AbortSignal.timeout(CALL_TIMEOUT_MS)]),
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

  /**
   * Re-inspects the containers events named, a few at a time. A container that is gone leaves the cache;
   * one that cannot be inspected keeps its last state (with a warning) rather than failing the rest.
   */
  private async refreshAll(ids: readonly string[], signal: AbortSignal): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < ids.length) {
        const id = ids[next++] as string;
        try {
          const info = await this.inspect(id, signal);
          if (info) this.cache.set(id, info);
          else this.cache.delete(id);
        } catch (err) {
          if (signal.aborted) return;
          this.logger.warn(
            { provider: this.name, container: id.slice(0, 12), err: (err as Error).message },
            'cannot inspect a container; keeping what was known',
          );
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(INSPECT_CONCURRENCY, ids.length) }, worker));
  }

  /** Inspects a container and validates the fields Wharf reads; undefined when it does not exist. */
  private async inspect(id: string, signal: AbortSignal): Promise<ContainerInfo | undefined> {
    let raw: unknown;
    try {
      raw = await this.docker.getContainer(id).inspect({
        abortSignal: AbortSignal.any([signal, AbortSignal.timeout(CALL_TIMEOUT_MS)]),
      } as Dockerode.ContainerInspectOptions);
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
