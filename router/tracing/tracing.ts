import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Attributes, ROOT_CONTEXT, SpanKind, TraceFlags, type Tracer, trace } from '@opentelemetry/api';
import { setGlobalErrorHandler, W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  BatchSpanProcessor,
  ParentBasedSampler,
  type SpanExporter,
  TraceIdRatioBasedSampler,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import type { TracingConfig } from '../../config/static/tracing.ts';
import type { Logger } from '../../core/log.ts';
import { VERSION } from '../../core/version.ts';
import type { RequestState } from '../../middleware/request-state.ts';
import { beforeResponseHead } from '../../middleware/response-head.ts';
import {
  decodedPath,
  headerValues,
  protocolVersion,
  redactQuery,
  requestBodySize,
  splitTarget,
} from './attributes.ts';
import { batchOptions, SlicedExporter } from './batching.ts';
import { createExporter, otlpResource } from './exporter.ts';
import { RequestTrace, type TraceSettings } from './request-trace.ts';
import { ratioUpperBound, TraceIds } from './trace-ids.ts';

/** What the entryPoint knows of the matched router (router/compile/table-types.ts CompiledRoute). */
export interface TracedRoute {
  readonly router: string;
  readonly rule?: string | undefined;
  readonly service?: string | undefined;
  /** The router's `observability` options. */
  readonly observability?: { tracing?: boolean; traceVerbosity?: 'minimal' | 'detailed' } | undefined;
}

/** The entryPoints' `observability.tracing` and `traceVerbosity` where set: defaults of their routers. */
export interface EntryPointTraceDefaults {
  readonly tracing: ReadonlyMap<string, boolean>;
  readonly traceVerbosity: ReadonlyMap<string, 'minimal' | 'detailed'>;
}

const NO_DEFAULTS: EntryPointTraceDefaults = { tracing: new Map(), traceVerbosity: new Map() };

/** Most spans serialized in one event-loop turn (batching.ts SlicedExporter). */
const EXPORT_SLICE = 128;

/** Instrumentation scope of every span (Traefik: github.com/traefik/traefik). */
const SCOPE = 'wharf';

// process.hrtime.bigint() (RequestState.start) to epoch milliseconds, for the server span's start.
const HR_AT_LOAD = process.hrtime.bigint();
const MS_AT_LOAD = performance.timeOrigin + performance.now();
function epochMs(hr: bigint): number {
  return MS_AT_LOAD + Number(hr - HR_AT_LOAD) / 1e6;
}

/**
 * Tracing as Traefik v3.7 does it, through OpenTelemetry's SDK: a tracer provider sampling new traces at
 * `sampleRate` and following a caller's sampled flag (ParentBased(TraceIdRatioBased)), batching spans to
 * an OTLP exporter, with W3C trace context read from clients and written to servers. The entryPoint calls
 * `begin` once a request is routed; the middleware wrappers and the forwarder find the trace on the request.
 */
export class Tracing implements TraceSettings {
  readonly tracer: Tracer;
  readonly propagator = new W3CTraceContextPropagator();
  readonly safeQuery: ReadonlySet<string>;
  readonly requestHeaders: readonly string[];
  readonly responseHeaders: readonly string[];
  /** Trace requests Wharf answers itself (API, ping, ACME, redirections). */
  readonly addInternals: boolean;
  readonly #provider: TracerProvider;
  /** TraceIdRatioBased's bound for sampleRate (trace-ids.ts). */
  readonly #ratioBound: number;
  readonly #ids = new TraceIds();
  readonly #logger: Logger;
  readonly #entryPoints: EntryPointTraceDefaults;

  constructor(
    config: TracingConfig,
    logger: Logger,
    exporter: SpanExporter = createExporter(config),
    entryPoints: EntryPointTraceDefaults = NO_DEFAULTS,
  ) {
    this.#entryPoints = entryPoints;
    this.safeQuery = new Set(config.safeQueryParams ?? []);
    const lower = (list: readonly string[] | undefined) => (list ?? []).map((h) => h.toLowerCase());
    this.requestHeaders = lower(config.capturedRequestHeaders).filter((h) => h !== 'user-agent');
    this.responseHeaders = lower(config.capturedResponseHeaders);
    this.addInternals = config.addInternals;
    this.#logger = logger;
    const resource = otlpResource(
      config.serviceName,
      config.resourceAttributes ?? config.globalAttributes ?? {},
    );
    this.#ratioBound = ratioUpperBound(config.sampleRate);
    const batch = batchOptions();
    for (const problem of batch.ignored) logger.warn(`tracing: ${problem}`);
    this.#provider = new TracerProvider({
      resource,
      sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(config.sampleRate) }),
      idGenerator: this.#ids,
      spanProcessors: [
        new BatchSpanProcessor({
          ...batch.options,
          exporter: new SlicedExporter(exporter, EXPORT_SLICE),
        }),
      ],
    });
    this.tracer = this.#provider.getTracer(SCOPE, VERSION);
    // Export failures (collector down, refused) come here instead of the SDK's silent diag logger; once a
    // minute at most, with how many failed meanwhile (a batch can fail many times a second under load).
    let last = 0;
    let quiet = 0;
    setGlobalErrorHandler((err) => {
      const now = Date.now();
      if (now - last < 60_000) {
        quiet++;
        return;
      }
      logger.warn({ err: String(err), failuresSinceLastLog: quiet }, 'tracing: cannot export spans');
      last = now;
      quiet = 0;
    });
  }

  /**
   * Starts the server span of a request the entryPoint routed to `route` (undefined: no router matched,
   * the 404 is traced as Traefik's default handler is). Undefined when the router opts out
   * (`observability.tracing: false`, its own or else its entryPoint's). Continues the caller's trace when
   * its `traceparent` is valid.
   */
  begin(
    req: IncomingMessage,
    res: ServerResponse,
    state: RequestState,
    route: TracedRoute | undefined,
  ): RequestTrace | undefined {
    const obs = route?.observability;
    // A router's own key wins; unset, its entryPoint's (Traefik copies the entryPoint's into its routers).
    if ((obs?.tracing ?? this.#entryPoints.tracing.get(state.entryPoint)) === false) return undefined;
    // Trace context is parsed only when the client sent one; otherwise the request starts a trace.
    const parent =
      req.headers.traceparent === undefined
        ? ROOT_CONTEXT
        : this.propagator.extract(ROOT_CONTEXT, req.headers, headerGetter);
    const remote = parent === ROOT_CONTEXT ? undefined : trace.getSpanContext(parent);
    // ParentBased(TraceIdRatioBased), decided here without the sampler's object calls: a valid caller's
    // sampled flag is followed; a new trace is sampled when its ratio key is below the bound, exactly as
    // the SDK's sampler decides on the same id (trace-ids.test.ts). The provider's sampler (the same
    // ParentBased) then agrees for the server span it is asked about.
    const ids = this.#ids;
    ids.draw();
    const sampled =
      remote === undefined ? ids.key < this.#ratioBound : (remote.traceFlags & TraceFlags.SAMPLED) !== 0;
    if (!sampled) {
      // An unsampled request makes no span at all: only the traceparent the backend gets.
      const t = RequestTrace.unsampled(
        this,
        `00-${remote?.traceId ?? ids.traceId}-${ids.spanId}-00`,
        remote?.traceState?.serialize() ?? '',
      );
      t.attach(req);
      state.tracer = t;
      return t;
    }
    const method = req.method ?? 'GET';
    // The server span takes the drawn ids: a new trace keeps the id the decision was made on.
    ids.presetDraw(remote === undefined);
    const verbosity = obs?.traceVerbosity ?? this.#entryPoints.traceVerbosity.get(state.entryPoint);
    const span = this.tracer.startSpan(
      method,
      { kind: SpanKind.SERVER, startTime: epochMs(state.start) },
      parent,
    );
    ids.clearPreset();
    const t = RequestTrace.sampled(this, span, parent, verbosity === 'detailed');
    // A fault in recording must not cost the request its answer: it loses attributes, not its response.
    try {
      span.setAttributes(this.#serverAttributes(req, state, method));
      // Headers given to writeHead are not readable afterwards: read them as the head goes out.
      if (this.responseHeaders.length > 0) beforeResponseHead(res, (r) => t.captureResponse(r));
      if (t.detailed && route)
        t.router = t.open('Router', {
          'wharf.service.name': route.service ?? '',
          'wharf.router.name': route.router,
          'http.route': route.rule ?? '',
        }).span;
    } catch (err) {
      this.fault(err);
    }
    t.attach(req);
    state.tracer = t;
    return t;
  }

  /** Logs a fault in recording spans; the request it happened on goes on. */
  fault(err: unknown): void {
    this.#logger.error({ err }, 'tracing: cannot record a request');
  }

  /** Like `begin`, for a request Wharf answered itself: only with addInternals. */
  beginInternal(req: IncomingMessage, res: ServerResponse, state: RequestState): RequestTrace | undefined {
    return this.addInternals ? this.begin(req, res, state, undefined) : undefined;
  }

  #serverAttributes(req: IncomingMessage, state: RequestState, method: string): Attributes {
    const { path, query } = splitTarget(req.url ?? '/');
    const h = req.headers;
    const a: Attributes = {
      entry_point: state.entryPoint,
      'http.request.method': method,
      'network.protocol.version': protocolVersion(req.httpVersion),
      'http.request.body.size': requestBodySize(h as Record<string, string | undefined>),
      'url.path': decodedPath(path),
      'url.query': redactQuery(query, this.safeQuery),
      'url.scheme': headerText(h['x-forwarded-proto']),
      'user_agent.original': h['user-agent'] ?? '',
      'server.address': h.host ?? '',
      'network.peer.address': state.clientIp,
      'client.address': state.clientIp,
    };
    const port = req.socket.remotePort;
    if (port !== undefined) {
      a['client.port'] = port;
      a['network.peer.port'] = port;
    }
    // HTTP/2 requests (router/tls/http2-compat.ts) have no headersDistinct: their values are lists already.
    // Read only when needed: Node builds it on first access.
    const distinct =
      this.requestHeaders.length > 0
        ? (req.headersDistinct as IncomingMessage['headersDistinct'] | undefined)
        : undefined;
    for (const name of this.requestHeaders) {
      const values = distinct ? distinct[name] : headerValues(h[name]);
      if (values) a[`http.request.header.${name}`] = values;
    }
    return a;
  }

  /** Exports the spans ended so far (tests; a shutdown flushes by itself). */
  forceFlush(): Promise<void> {
    return this.#provider.forceFlush();
  }

  /** Exports what is left and stops the exporter; gives up after 5 s (Traefik's bound) on a silent collector. */
  async shutdown(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<void>((_, reject) => {
      timer = setTimeout(() => reject(new Error('the collector did not answer within 5s')), 5_000);
    });
    try {
      await Promise.race([this.#provider.shutdown(), limit]);
    } finally {
      clearTimeout(timer);
    }
  }
}

function headerText(value: string | string[] | undefined): string {
  return Array.isArray(value) ? (value[0] ?? '') : (value ?? '');
}

const headerGetter = {
  get(carrier: IncomingMessage['headers'], key: string) {
    return carrier[key];
  },
  keys(carrier: IncomingMessage['headers']) {
    return Object.keys(carrier);
  },
};
