import type { RoutingTable } from '../compile/compile.ts';

/** Something a generation holds that must be released once no live generation uses it. */
export interface Closable {
  close(): void;
}

/**
 * A routing table in service, with the requests still running on it.
 *
 * Lifecycle:
 * 1. `TableRef.swap` makes it current; new requests read it once through `TableRef.current()`.
 * 2. Each request calls `enter()` when it starts and `leave()` when its response is done or abandoned.
 * 3. The next swap marks it retiring; once its last request leaves (or `maxDrainMs` passes, for
 *    long-lived connections such as WebSockets), it is released.
 * 4. On release, every load balancer and middleware instance that no live generation uses any more is
 *    closed: health-check timers stop, references on upstream pools are dropped (pools no one uses close),
 *    and middlewares release their timers and sockets (MiddlewareDefinition in middleware/middleware.ts).
 */
export class Generation {
  readonly id: number;
  readonly table: RoutingTable;
  private inflight = 0;
  private retiring = false;
  private released = false;
  private onDrained: (() => void) | undefined;

  constructor(id: number, table: RoutingTable) {
    this.id = id;
    this.table = table;
  }

  /** Counts a request that started on this generation. */
  enter(): void {
    this.inflight++;
  }

  /** Counts a request that finished; releases the generation when it was the last of a retiring one. */
  leave(): void {
    this.inflight--;
    if (this.retiring && this.inflight === 0) this.onDrained?.();
  }

  /** Requests still running on this generation. */
  get active(): number {
    return this.inflight;
  }

  /** Whether the generation's resources were released. */
  get isReleased(): boolean {
    return this.released;
  }

  /** @internal Marks the generation retiring and calls `release` once drained or after `maxDrainMs`. */
  retire(maxDrainMs: number, release: () => void): void {
    this.retiring = true;
    const once = () => {
      if (this.released) return;
      this.released = true;
      clearTimeout(timer);
      release();
    };
    const timer = setTimeout(once, maxDrainMs);
    timer.unref();
    this.onDrained = once;
    if (this.inflight === 0) once();
  }

  /** The service runtimes and middleware instances this generation owns references to. */
  runtimes(): Closable[] {
    const out: Closable[] = [...this.table.serviceCache.values()].map((c) => c.runtime);
    for (const m of this.table.middlewareCache?.values() ?? []) out.push(m);
    return out;
  }
}

/**
 * The one reference to the routing table in service. Swapping it is a single assignment: JavaScript runs
 * on one thread, so a request sees either the old table or the new one, never a mix.
 */
export class TableRef {
  private gen: Generation;
  private nextId = 1;
  private readonly refs = new Map<Closable, number>();
  private readonly maxDrainMs: number;
  /** The serving generation and those still draining (for the metrics' in-flight requests per generation). */
  private readonly liveGens = new Set<Generation>();

  constructor(initial: RoutingTable, options: { maxDrainMs?: number } = {}) {
    this.maxDrainMs = options.maxDrainMs ?? 60_000;
    this.gen = new Generation(0, initial);
    this.hold(this.gen);
  }

  /** The generation new requests use. */
  current(): Generation {
    return this.gen;
  }

  /** The serving generation and the retired ones still draining, oldest first. */
  live(): Iterable<Generation> {
    return this.liveGens;
  }

  /** Makes `table` current; the previous generation drains and is then released. */
  swap(table: RoutingTable): Generation {
    const previous = this.gen;
    const next = new Generation(this.nextId++, table);
    this.hold(next);
    this.gen = next;
    previous.retire(this.maxDrainMs, () => this.drop(previous));
    return next;
  }

  /** Shutdown: closes every runtime still held, by the current generation and by any still draining. */
  closeAll(): void {
    for (const r of this.refs.keys()) r.close();
    this.refs.clear();
  }

  private hold(g: Generation): void {
    this.liveGens.add(g);
    for (const r of g.runtimes()) this.refs.set(r, (this.refs.get(r) ?? 0) + 1);
  }

  private drop(g: Generation): void {
    this.liveGens.delete(g);
    for (const r of g.runtimes()) {
      const held = this.refs.get(r);
      if (held === undefined) continue;
      const n = held - 1;
      if (n > 0) this.refs.set(r, n);
      else {
        this.refs.delete(r);
        r.close();
      }
    }
  }
}
