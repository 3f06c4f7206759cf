import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { qualifyName } from '../../config/names.ts';
import type { RequestState } from '../../middleware/request-state.ts';
import type { RoutingTable } from '../compile/compile.ts';
import { contentLength, methodIndex, protocolIndex, tlsLabelsOf } from './labels.ts';
import { type HeaderLabels, headerValues, type Subject, SubjectMap, seriesKey } from './request-cells.ts';

/** Which levels count requests, and how (metrics.prometheus's options, resolved). */
export interface RequestMetricsOptions {
  readonly entryPoints: boolean;
  readonly routers: boolean;
  readonly services: boolean;
  /** metrics.addInternals: requests Wharf answers itself are counted on their entryPoint. */
  readonly internals: boolean;
  readonly bounds: readonly number[];
  readonly headerLabels?: HeaderLabels;
  /** EntryPoints with `observability.metrics: false`: their routers (unless they say otherwise) and unmatched requests are not counted. */
  readonly quietEntryPoints?: ReadonlySet<string>;
}

/**
 * A router as the request path needs it: off (observability.metrics false), on (true), or as its
 * entryPoint says (unset), and its router subject.
 */
interface RouterEntry {
  readonly off: boolean;
  readonly inherits: boolean;
  readonly subject: Subject | undefined;
}

const OFF: RouterEntry = { off: true, inherits: false, subject: undefined };

/**
 * Counts every finished request on its entryPoint, router and service: one call when its response is
 * done (router/http/entrypoint.ts), a few map lookups and additions. A router is looked up in the
 * serving table once per generation (`onTable` forgets the lookups); its counters, like every subject's,
 * live across reloads and are dropped only after the item left the configuration and was scraped once.
 */
export class RequestMetrics {
  readonly entryPoints: SubjectMap;
  readonly routers: SubjectMap;
  readonly services: SubjectMap;
  private readonly o: RequestMetricsOptions;
  private routerEntries = new Map<string, RouterEntry>();
  private table: RoutingTable | undefined;

  constructor(options: RequestMetricsOptions) {
    this.o = options;
    this.entryPoints = new SubjectMap(options.bounds);
    this.routers = new SubjectMap(options.bounds);
    this.services = new SubjectMap(options.bounds);
  }

  /** A new table is in service: routers are looked up again; items it no longer has are dropped after a scrape. */
  onTable(table: RoutingTable, entryPoints: readonly string[]): void {
    this.table = table;
    this.routerEntries = new Map();
    const info = table.info;
    this.entryPoints.retain((k) => entryPoints.includes(k));
    this.routers.retain((k) => info.routers.has(k.slice(0, k.indexOf('\u0000'))));
    this.services.retain((k) => info.services.has(k));
  }

  /** Counts one finished request (called once, when its response is done or abandoned). */
  record(req: IncomingMessage, res: ServerResponse, state: RequestState): void {
    const o = this.o;
    let router: RouterEntry | undefined;
    // Wharf's own answers: an @internal service, or Traefik's internal routers (api, dashboard, ping,
    // prometheus @internal), whose middlewares (the dashboard's redirect) may answer before the service.
    if (state.internal === true || state.router?.endsWith('@internal') === true) {
      if (!o.internals) return;
    } else if (state.router !== undefined) {
      router = this.routerEntries.get(state.router) ?? this.lookupRouter(state.router);
      if (router.off || (router.inherits && o.quietEntryPoints?.has(state.entryPoint) === true)) return;
    } else if (o.quietEntryPoints?.has(state.entryPoint) === true) return;
    const code = res.headersSent ? res.statusCode : 499;
    const method = methodIndex(req.method);
    const protocol = protocolIndex(req.headers);
    const key = seriesKey(code, method, protocol);
    const seconds = Number(process.hrtime.bigint() - state.start) / 1e9;
    const requestBytes = contentLength(req.headers['content-length']);
    const responseBytes = state.responseBytes ?? contentLength(res.getHeader('content-length'));
    const tls = state.scheme === 'https' ? tlsLabelsOf(req.socket as TLSSocket) : undefined;
    const headerKey = o.headerLabels ? headerValues(req.headers, o.headerLabels) : undefined;
    if (o.entryPoints) {
      const ep = state.entryPoint;
      const s = this.entryPoints.subjects.get(ep) ?? this.entryPoints.create(ep, { entrypoint: ep });
      s.add(key, code, method, protocol, seconds, requestBytes, responseBytes, headerKey);
      if (tls) s.addTls(tls);
    }
    const rs = router?.subject;
    if (rs) {
      rs.add(key, code, method, protocol, seconds, requestBytes, responseBytes, headerKey);
      if (tls) rs.addTls(tls);
    }
    const service = state.service;
    if (o.services && service !== undefined && state.internal !== true) {
      const s = this.services.subjects.get(service) ?? this.services.create(service, { service });
      s.add(key, code, method, protocol, seconds, requestBytes, responseBytes, headerKey);
      if (tls) s.addTls(tls);
      if (state.retryAttempts) s.retries += state.retryAttempts;
    }
  }

  /** A router's entry for the serving table: off when its observability.metrics is false. */
  private lookupRouter(name: string): RouterEntry {
    const info = this.table?.info.routers.get(name);
    const own = info?.observability?.metrics;
    let entry: RouterEntry;
    if (own === false) entry = OFF;
    else if (!this.o.routers) entry = { off: false, inherits: own === undefined, subject: undefined };
    else {
      const service = info?.service ? qualifyName(info.service, info.provider) : '';
      const key = `${name}\u0000${service}`;
      const subject = this.routers.subjects.get(key) ?? this.routers.create(key, { router: name, service });
      entry = { off: false, inherits: own === undefined, subject };
    }
    this.routerEntries.set(name, entry);
    return entry;
  }
}
