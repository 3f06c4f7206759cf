import type { IncomingMessage, ServerResponse } from 'node:http';
import pino from 'pino';
import type { AccessLogConfig } from '../../config/static/access-log.ts';
import { ensureWritable } from '../../core/log.ts';
import type { RequestState } from '../../middleware/request-state.ts';
import type { RoutingTable } from '../compile/table-types.ts';
import { compileFieldPolicy, type FieldPolicy } from './field-policy.ts';
import type { LogEntry } from './fields.ts';
import { compileFilters, type LineFilter } from './filters.ts';
import { FORMATS, type Formatter } from './formats.ts';

/** Writes one line per finished request, in Traefik's `common`, `genericCLF` or `json` format. */
export interface AccessLog {
  /** Called once per request when its response has ended (or the client left). */
  log(req: IncomingMessage, res: ServerResponse, state: RequestState): void;
  /** Learns the routers' `observability.accessLogs` from each table put in service. */
  onTable(table: RoutingTable): void;
  /** Closes the file and opens the path again (SIGUSR1, after logrotate moved it). */
  reopen(): void;
  /** Writes what is buffered and closes the file. */
  close(): void;
}

/** What the access log needs besides `accessLog`: the entryPoints' `observability.accessLogs` defaults. */
export interface AccessLogDeps {
  readonly entryPointDefaults?: ReadonlyMap<string, boolean>;
}

/** A router's say: false (its own or its entryPoint's observability), true, or internal (an @internal service). */
type RouterSetting = { readonly own: boolean | undefined; readonly internal: boolean };

/**
 * The access log. A request is logged unless it was answered by Wharf itself (API, ping, a router to an
 * @internal service) without `addInternals`, or its router (else its entryPoint) says
 * `observability.accessLogs: false`, or `filters` leave it out. Fields are computed only when a line
 * needs them; writes are asynchronous (lines written while a write is in flight go out together), so a
 * request never waits on the disk.
 */
class AccessLogWriter implements AccessLog {
  private readonly dest: pino.DestinationStream & { reopen(): void; flushSync(): void; end(): void };
  private readonly toFile: boolean;
  private readonly format: Formatter;
  private readonly policy: FieldPolicy;
  private readonly filter: LineFilter | undefined;
  private readonly addInternals: boolean;
  private readonly epDefaults: ReadonlyMap<string, boolean>;
  private routers = new Map<string, RouterSetting>();
  /** Whether any router or entryPoint turns access logs off or routes to @internal (else no look-up). */
  private anyRule: boolean;
  private count = 0;
  /** The entry of the line being formatted, reused: formatting is synchronous. */
  private readonly entry: LogEntry;
  private readonly bufferingSize: number;
  private queue: LogEntry[] = [];
  /** Lines formatted during this turn of the event loop, written together at its end. */
  private pending = '';
  private flushScheduled = false;
  private readonly flushQueue = () => this.flush();

  constructor(config: AccessLogConfig, deps: AccessLogDeps) {
    if (config.filePath) ensureWritable('accessLog.filePath', config.filePath);
    const dest = pino.destination({ dest: config.filePath ?? 1, sync: false, mkdir: true });
    dest.on('error', (err: Error) =>
      process.stderr.write(`wharf: cannot write the access log: ${err.message}\n`),
    );
    this.dest = dest;
    this.toFile = config.filePath !== undefined && config.filePath !== '';
    this.format = FORMATS[config.format];
    this.policy = compileFieldPolicy(config.fields);
    this.filter = config.filters ? compileFilters(config.filters) : undefined;
    this.addInternals = config.addInternals;
    this.epDefaults = deps.entryPointDefaults ?? new Map();
    this.anyRule = [...this.epDefaults.values()].some((v) => !v);
    this.bufferingSize = config.bufferingSize;
    this.entry = this.newEntry();
  }

  private newEntry(): LogEntry {
    return {
      req: undefined as unknown as IncomingMessage,
      res: undefined as unknown as ServerResponse,
      state: undefined as unknown as RequestState,
      status: 0,
      durationNs: 0,
      endMs: 0,
      count: 0,
      keepQuery: this.policy.keepQuery,
    };
  }

  onTable(table: RoutingTable): void {
    const routers = new Map<string, RouterSetting>();
    for (const [name, info] of table.info.routers) {
      const own = info.observability?.accessLogs;
      const internal = info.service?.endsWith('@internal') === true;
      if (own !== undefined || internal) routers.set(name, { own, internal });
    }
    this.routers = routers;
    this.anyRule = routers.size > 0 || [...this.epDefaults.values()].some((v) => !v);
  }

  /** Whether the request's router (or, without one, its entryPoint) produces access logs. */
  private enabled(state: RequestState): boolean {
    if (state.internal) return this.addInternals;
    if (!this.anyRule) return true;
    const setting = state.router === undefined ? undefined : this.routers.get(state.router);
    if (setting?.internal && !this.addInternals) return false;
    return setting?.own ?? this.epDefaults.get(state.entryPoint) ?? true;
  }

  log(req: IncomingMessage, res: ServerResponse, state: RequestState): void {
    if (!this.enabled(state)) return;
    const durationNs = Number(process.hrtime.bigint() - state.start);
    const status = res.headersSent ? res.statusCode : 499;
    const count = ++this.count;
    if (this.filter && !this.filter(status, state.retryAttempts ?? 0, durationNs)) return;
    const e = this.bufferingSize > 0 ? this.newEntry() : this.entry;
    e.req = req;
    e.res = res;
    e.state = state;
    e.status = status;
    e.durationNs = durationNs;
    e.endMs = Date.now();
    e.count = count;
    if (this.bufferingSize === 0) {
      // Lines of one turn of the event loop go out in one write: a write per line costs a thread-pool
      // round trip each, which measured more than formatting the line.
      this.pending += this.format(e, this.policy);
      this.schedule();
      return;
    }
    this.queue.push(e);
    if (this.queue.length >= this.bufferingSize) this.flush();
    else this.schedule();
  }

  private schedule(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(this.flushQueue);
  }

  /** Formats the buffered lines and writes them, with the lines of this turn, at once. */
  private flush(): void {
    this.flushScheduled = false;
    let text = this.pending;
    this.pending = '';
    if (this.queue.length > 0) {
      const queue = this.queue;
      this.queue = [];
      for (const e of queue) text += this.format(e, this.policy);
    }
    if (text !== '') this.dest.write(text);
  }

  reopen(): void {
    this.flush();
    if (this.toFile) this.dest.reopen();
  }

  close(): void {
    this.flush();
    try {
      this.dest.flushSync();
    } catch {
      // Not open yet (a file still opening): end() below writes what is left once it is.
    }
    this.dest.end();
  }
}

/**
 * Opens the access log: a file (appended, created with its folder; throws LOG_FILE_UNWRITABLE when it
 * cannot be) or stdout.
 */
export function createAccessLog(config: AccessLogConfig, deps: AccessLogDeps = {}): AccessLog {
  return new AccessLogWriter(config, deps);
}
