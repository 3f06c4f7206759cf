/** V8's `gc()` as `--expose-gc` installs it (Wharf's launchers pass the flag: core/node-flags.ts). */
export type GcFunction = (options?: { type?: 'major' | 'minor'; execution?: 'sync' | 'async' }) => void;

/** What one collection did: heap in use before and after (MiB), and how long it took (ms). */
export interface Collection {
  readonly beforeMiB: number;
  readonly afterMiB: number;
  readonly ms: number;
}

/** Quiet time after a swap before collecting, so a burst of reloads costs one collection. */
const QUIET_MS = 1000;
/** At most one collection per this interval (the first swap's collection is not delayed). */
const MIN_INTERVAL_MS = 60_000;
/**
 * No forced collection above this heap size (MiB): a full collection stops everything for about 2 ms per
 * MiB here (2.4 s for the 1.2 GiB of a 500,000-router configuration), while the 10-15 MiB it returns only
 * matter for small configurations. A larger heap is left to V8's incremental and concurrent collector.
 */
const MAX_HEAP_MIB = 256;

/**
 * Runs one full garbage collection once a new routing table is in place. Parsing, decoding and compiling
 * a large configuration allocates several times what the table keeps, and V8 leaves that garbage resident
 * until its first full collection, which steady traffic can put off indefinitely: with 10,000 routers it
 * measured 10-15 MiB of the process's resident memory together with `--initial-old-space-size=8`
 * (bench/README.md, "Memory").
 *
 * The first table is collected for at once; later swaps after QUIET_MS without another swap, and at most
 * once per MIN_INTERVAL_MS. A collection of a 30 MiB heap pauses the process for some 10-30 ms; none is forced
 * on a heap above MAX_HEAP_MIB (`skipped` counts those). Without `--expose-gc` (Wharf embedded, or in
 * tests; `gc` null) this does nothing.
 */
export class HeapTrim {
  readonly #gc: GcFunction | null;
  readonly #quietMs: number;
  readonly #minIntervalMs: number;
  readonly #now: () => number;
  readonly #onCollect: ((c: Collection) => void) | undefined;
  readonly #maxHeapMiB: number;
  readonly #heapUsed: () => number;
  #timer: NodeJS.Timeout | undefined;
  #last = Number.NEGATIVE_INFINITY;
  /** Number of collections run (for tests and the log). */
  collections = 0;
  /** Number of collections not run because the heap was larger than `maxHeapMiB`. */
  skipped = 0;

  constructor(
    gc: GcFunction | null = (globalThis as { gc?: GcFunction }).gc ?? null,
    opts: {
      quietMs?: number;
      minIntervalMs?: number;
      now?: () => number;
      onCollect?: (c: Collection) => void;
      maxHeapMiB?: number;
      /** Heap in use, bytes (default process.memoryUsage().heapUsed). */
      heapUsed?: () => number;
    } = {},
  ) {
    this.#gc = gc;
    this.#quietMs = opts.quietMs ?? QUIET_MS;
    this.#minIntervalMs = opts.minIntervalMs ?? MIN_INTERVAL_MS;
    this.#now = opts.now ?? (() => performance.now());
    this.#onCollect = opts.onCollect;
    this.#maxHeapMiB = opts.maxHeapMiB ?? MAX_HEAP_MIB;
    this.#heapUsed = opts.heapUsed ?? (() => process.memoryUsage().heapUsed);
  }

  /** Call after each swap of the routing table. */
  afterSwap(): void {
    if (!this.#gc) return;
    clearTimeout(this.#timer);
    const first = this.#last === Number.NEGATIVE_INFINITY;
    const wait = first ? 0 : Math.max(this.#quietMs, this.#last + this.#minIntervalMs - this.#now());
    this.#timer = setTimeout(() => this.#collect(), wait);
    this.#timer.unref();
  }

  /** Cancels a pending collection. */
  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #collect(): void {
    this.#timer = undefined;
    this.#last = this.#now();
    const before = this.#heapUsed();
    if (before > this.#maxHeapMiB * 1048576) {
      this.skipped++;
      return;
    }
    this.collections++;
    const started = performance.now();
    this.#gc?.({ type: 'major', execution: 'sync' });
    const mib = (n: number) => Math.round((n / 1048576) * 10) / 10;
    this.#onCollect?.({
      beforeMiB: mib(before),
      afterMiB: mib(this.#heapUsed()),
      ms: Math.round((performance.now() - started) * 10) / 10,
    });
  }
}
