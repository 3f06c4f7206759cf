import type { Diagnostic } from '../../config/diagnostics.ts';
import type { Logger } from '../../core/log.ts';
import type { Snapshot } from '../../providers/provider.ts';
import { type CompileDeps, compile, type RoutingTable } from '../compile/compile.ts';
import { HeapTrim } from './heap-trim.ts';
import { merge } from './merge.ts';
import type { TableRef } from './table-ref.ts';

/** What the reloader needs: compile deps without the previous services and middlewares, which it tracks itself. */
export type ReloadDeps = Omit<CompileDeps, 'previousServices' | 'previousMiddlewares'>;

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
  /** Number of successful reloads. */
  reloads = 0;
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
  ) {
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

  /** Compiles the snapshots and swaps the result in; returns false (old table kept) on an unexpected error. */
  apply(snapshots: ReadonlyMap<string, Snapshot>): boolean {
    const started = performance.now();
    let table: RoutingTable;
    let diagnostics: Diagnostic[];
    try {
      const merged = merge(snapshots.values());
      const out = compile(merged, {
        ...this.deps,
        previousServices: this.tableRef.current().table.serviceCache,
        previousMiddlewares: this.tableRef.current().table.middlewareCache ?? new Map(),
      });
      table = out.table;
      diagnostics = [...merged.diagnostics, ...out.diagnostics];
    } catch (err) {
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
      { generation: gen.id, routes: routers, ms: Math.round((performance.now() - started) * 10) / 10 },
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
