import type { Diagnostic } from '../../config/diagnostics.ts';
import type { Logger } from '../../core/log.ts';
import type { Snapshot } from '../../providers/provider.ts';
import { type CompileDeps, compileSteps, type RoutingTable } from '../compile/compile.ts';
import { runSliced, Superseded } from '../compile/slices.ts';
import { HeapTrim } from './heap-trim.ts';
import { mergeSteps } from './merge.ts';
import type { TableRef } from './table-ref.ts';

/** What the reloader needs: compile deps without the previous services and middlewares, which it tracks itself. */
export type ReloadDeps = Omit<CompileDeps, 'previousServices' | 'previousMiddlewares'>;

/** Snapshots waiting to be applied, and the callers waiting for them (or for newer ones). */
interface Job {
  readonly snapshots: ReadonlyMap<string, Snapshot>;
  readonly waiters: Array<(applied: boolean) => void>;
  /** It replaces a reload that was abandoned for it, so it is not abandoned in turn. */
  afterAbandon: boolean;
}

/** How long a reload computes before letting requests run (ms): short enough not to be felt, long enough to finish 10,000 routers in a few slices. */
export const DEFAULT_SLICE_MS = 10;

/** Called after each swap with the table now in service (the ACME resolvers learn their domains so). */
export type TableListener = (table: RoutingTable) => void;

/**
 * Turns providers' snapshots into a new generation: merge, compile, swap, all or nothing. An unexpected
 * throw keeps the serving table. Each diagnostic is logged once, when it first appears. After each swap,
 * the subscribed table listeners see the new table: data flows one way, from providers to the table and
 * from the table to its listeners, never back into the pipeline but through a provider.
 */
export class Reloader {
  private readonly tableRef: TableRef;
  private readonly deps: ReloadDeps;
  private readonly logger: Logger;
  private logged = new Set<string>();
  private diagnosticsNow: Diagnostic[] = [];
  private readonly listeners = new Set<TableListener>();
  private readonly sliceMs: number;
  private queued: Job | undefined;
  private running: { readonly job: Job; supersede: boolean } | undefined;
  /** Number of successful reloads. */
  reloads = 0;
  /** Number of reloads abandoned for a newer configuration. */
  abandoned = 0;
  /** Time of the last successful reload (ms since epoch), or 0. */
  lastReloadAt = 0;
  /** Returns each new configuration's load garbage to the OS (stop it with the router). */
  readonly heapTrim: HeapTrim;

  constructor(
    tableRef: TableRef,
    deps: ReloadDeps,
    logger: Logger,
    heapTrim = new HeapTrim(undefined, {
      onCollect: (c) => logger.debug(c, 'heap collected after a configuration swap'),
    }),
    options: { sliceMs?: number } = {},
  ) {
    this.sliceMs = options.sliceMs ?? DEFAULT_SLICE_MS;
    this.tableRef = tableRef;
    this.deps = deps;
    this.logger = logger;
    this.heapTrim = heapTrim;
  }

  /** Every diagnostic of the serving generation (providers' and compile's). */
  get diagnostics(): readonly Diagnostic[] {
    return this.diagnosticsNow;
  }

  /** Calls `listener` after each swap from now on; returns the unsubscribe. */
  subscribe(listener: TableListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Compiles the snapshots and swaps the result in. Resolves true once a table with these snapshots (or
   * newer ones given since) is in service, false when compiling threw unexpectedly (the old table keeps
   * serving). Reloads run one at a time, in slices of about `sliceMs` between which requests are served
   * (router/compile/slices.ts); a configuration that compiles within one slice is in service when this
   * returns. Snapshots given while a reload runs wait for it, and only the newest are applied next; they
   * also abandon the reload in progress at its next pause (what it built is closed), unless that reload
   * itself replaced an abandoned one: so at most every second reload is abandoned, and a steady stream of
   * changes cannot keep a large configuration from ever being served.
   */
  apply(snapshots: ReadonlyMap<string, Snapshot>): Promise<boolean> {
    let resolve: (applied: boolean) => void = () => {};
    const promise = new Promise<boolean>((r) => (resolve = r));
    // A copy: the watcher keeps updating the map it passes.
    const job: Job = { snapshots: new Map(snapshots), waiters: [resolve], afterAbandon: false };
    if (this.queued) job.waiters.push(...this.queued.waiters);
    this.queued = job;
    if (this.running) {
      if (!this.running.job.afterAbandon) this.running.supersede = true;
    } else
      this.drain().catch((err: unknown) => this.logger.error({ err }, 'the reload loop failed unexpectedly'));
    return promise;
  }

  /** Runs queued reloads one after another until none is left. */
  private async drain(): Promise<void> {
    while (this.queued) {
      const job = this.queued;
      this.queued = undefined;
      const run = { job, supersede: false };
      this.running = run;
      let outcome: boolean | 'superseded';
      try {
        outcome = await this.reload(job.snapshots, () => run.supersede);
      } finally {
        this.running = undefined;
      }
      const next = this.queued as Job | undefined;
      if (outcome === 'superseded' && next) {
        this.abandoned++;
        next.waiters.push(...job.waiters);
        next.afterAbandon = true;
        continue;
      }
      for (const w of job.waiters) w(outcome === true);
    }
  }

  private async reload(
    snapshots: ReadonlyMap<string, Snapshot>,
    superseded: () => boolean,
  ): Promise<boolean | 'superseded'> {
    const started = performance.now();
    const slices = { slices: 0, longestMs: 0 };
    let table: RoutingTable;
    let diagnostics: Diagnostic[];
    const tableRef = this.tableRef;
    const deps = this.deps;
    function* steps() {
      const merged = yield* mergeSteps(snapshots.values());
      // Reloads never overlap, so the serving table cannot change before this one is swapped in.
      const serving = tableRef.current().table;
      const out = yield* compileSteps(merged, {
        ...deps,
        previousServices: serving.serviceCache,
        previousMiddlewares: serving.middlewareCache ?? new Map(),
      });
      return { out, merged };
    }
    try {
      const { out, merged } = await runSliced(steps(), { sliceMs: this.sliceMs, superseded, stats: slices });
      table = out.table;
      diagnostics = [...merged.diagnostics, ...out.diagnostics];
    } catch (err) {
      if (err instanceof Superseded) {
        this.logger.info(
          { ms: Math.round(performance.now() - started) },
          'configuration superseded by a newer one while compiling; compiling that one instead',
        );
        return 'superseded';
      }
      this.logger.error(
        { err },
        'configuration could not be compiled; the previous routing table keeps serving',
      );
      return false;
    }
    const gen = this.tableRef.swap(table);
    this.heapTrim.afterSwap();
    this.reloads++;
    this.lastReloadAt = Date.now();
    this.diagnosticsNow = diagnostics;
    const seen = new Set<string>();
    for (const d of diagnostics) {
      const key = `${d.code}|${d.subject}|${d.message}`;
      seen.add(key);
      if (this.logged.has(key)) continue;
      const fields = { code: d.code, source: d.source, subject: d.subject, ...(d.key ? { key: d.key } : {}) };
      if (d.severity === 'error') this.logger.error(fields, d.message);
      else this.logger.warn(fields, d.message);
    }
    this.logged = seen;
    const routers = [...table.entryPoints.values()].reduce((n, idx) => n + idx.size, 0);
    this.logger.info(
      {
        generation: gen.id,
        routes: routers,
        ms: Math.round((performance.now() - started) * 10) / 10,
        slices: slices.slices,
        longestSliceMs: Math.round(slices.longestMs * 10) / 10,
      },
      'configuration applied',
    );
    for (const listener of this.listeners) {
      try {
        listener(table);
      } catch (err) {
        // The table is in service either way; a failing listener must not undo the swap or stop the others.
        this.logger.error({ err }, 'a routing-table listener failed');
      }
    }
    return true;
  }
}
