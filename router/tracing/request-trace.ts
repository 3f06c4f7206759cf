import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import {
  type Attributes,
  type Context,
  INVALID_SPAN_CONTEXT,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  type TextMapSetter,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import type { W3CTraceContextPropagator } from '@opentelemetry/core';
import { errorStatus, WharfError } from '../../config/errors.ts';
import type { SideCall, SideCallTracer } from '../../middleware/request-state.ts';
import { flatHeaderValues, headerValues, hostPort, safeUrl, spanStatus } from './attributes.ts';

/** What a request's trace needs from the process-wide tracing setup (router/tracing/tracing.ts). */
export interface TraceSettings {
  readonly tracer: Tracer;
  readonly propagator: W3CTraceContextPropagator;
  readonly safeQuery: ReadonlySet<string>;
  /** capturedRequestHeaders, lower case, User-Agent left out (it has its own attribute). */
  readonly requestHeaders: readonly string[];
  /** capturedResponseHeaders, lower case. */
  readonly responseHeaders: readonly string[];
  /** Reports a fault in recording spans (logged; the request goes on). */
  fault(err: unknown): void;
}

/** Sets a propagated header in a header object, replacing what the client sent. */
const objectSetter: TextMapSetter<Record<string, string | string[] | undefined>> = {
  set(carrier, key, value) {
    carrier[key] = value;
  },
};

/** Sets a propagated header in undici's flat `[name, value, ...]` list, replacing what the client sent. */
const flatSetter: TextMapSetter<string[]> = {
  set(carrier, key, value) {
    for (let i = 0; i < carrier.length; i += 2) {
      if (carrier[i] === key) {
        carrier[i + 1] = value;
        return;
      }
    }
    carrier.push(key, value);
  },
};

/** The spans of one upstream call: Service (detailed traces only) and ReverseProxy. */
export interface UpstreamSpans {
  /** The response head arrived: the ReverseProxy span ends with its status and captured headers. */
  head(status: number, headers: IncomingHttpHeaders): void;
  /** The call ended (body relayed, or failed with `err`): ends what is still open. */
  done(err?: unknown): void;
}

const TRACE = Symbol('wharf.trace');

const INTERNAL = { kind: SpanKind.INTERNAL };
const CLIENT = { kind: SpanKind.CLIENT };

/**
 * Starts a span and then sets its attributes: the SDK validates and copies attributes given to startSpan
 * twice (for the sampler, then for the span), which cost a sampled request ~1 µs more per span
 * (bench/README.md, "Tracing"); a child of a sampled span needs no sampler input.
 */
function startSpan(
  tracer: Tracer,
  name: string,
  kind: { readonly kind: SpanKind },
  attributes: Attributes,
  parent: Context,
): Span {
  const span = tracer.startSpan(name, kind, parent);
  span.setAttributes(attributes);
  return span;
}

/** The span of unsampled traces: a non-recording span of an invalid context, which nothing exports. */
const NO_SPAN = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

/** The trace of a request, when the entryPoint started one (tracing on and the router traced). */
export function traceOf(req: IncomingMessage): RequestTrace | undefined {
  return (req as IncomingMessage & { [TRACE]?: RequestTrace })[TRACE];
}

/**
 * One request's tracing: the entryPoint's server span and the context the next span is a child of. An
 * unsampled request has one too, without any span: only the `traceparent` (and `tracestate`) the backend
 * gets, carrying the trace id and the sampling decision.
 */
export class RequestTrace implements SideCallTracer {
  readonly settings: TraceSettings;
  /** The server span; a placeholder for unsampled requests (never ended, never exported). */
  readonly server: Span;
  /** The sampler chose to record this trace. */
  readonly sampled: boolean;
  /** traceVerbosity detailed and sampled: router, middleware and service spans too. */
  readonly detailed: boolean;
  /** Parent of the next span: the innermost span open on the request path. */
  current: Context;
  /** Open Router span (detailed), ended with the server span. */
  router: Span | undefined;
  /** Attempts seen per retry middleware (detailed), for http.resend_count. */
  attempts: Map<string, number> | undefined;
  /** Unsampled: the traceparent value for the backend (undefined: sampled, the spans make it). */
  readonly #traceparent: string | undefined;
  /** Unsampled: the caller's tracestate, '' for none. */
  readonly #tracestate: string;

  private constructor(
    settings: TraceSettings,
    server: Span,
    current: Context,
    detailed: boolean,
    traceparent: string | undefined,
    tracestate: string,
  ) {
    this.settings = settings;
    this.server = server;
    this.sampled = traceparent === undefined;
    this.detailed = detailed && this.sampled;
    this.current = current;
    this.#traceparent = traceparent;
    this.#tracestate = tracestate;
  }

  /** The trace of a sampled request, whose server span (recording) is `server`. */
  static sampled(settings: TraceSettings, server: Span, parent: Context, detailed: boolean): RequestTrace {
    return new RequestTrace(settings, server, trace.setSpan(parent, server), detailed, undefined, '');
  }

  /**
   * The trace of an unsampled request (90% of them at Traefik's usual 10%): one small object holding what
   * the backend gets (`tracestate` '' for none), no span, context or closure.
   */
  static unsampled(settings: TraceSettings, traceparent: string, tracestate: string): RequestTrace {
    return new RequestTrace(settings, NO_SPAN, ROOT_CONTEXT, false, traceparent, tracestate);
  }

  /** Attaches the trace to its request, for the middleware wrappers and the forwarder. */
  attach(req: IncomingMessage): void {
    (req as IncomingMessage & { [TRACE]?: RequestTrace })[TRACE] = this;
  }

  /** Starts an internal span as a child of the current one and makes it current; returns the previous. */
  open(name: string, attributes: Attributes): { span: Span; previous: Context } {
    const previous = this.current;
    const span = startSpan(this.settings.tracer, name, INTERNAL, attributes, previous);
    this.current = trace.setSpan(previous, span);
    return { span, previous };
  }

  /** Runs `fn` inside an internal span (middlewares of detailed traces). */
  async within(name: string, attributes: Attributes, fn: () => Promise<void>): Promise<void> {
    const { span, previous } = this.open(name, attributes);
    try {
      await fn();
    } finally {
      span.end();
      this.current = previous;
    }
  }

  /** Ends the server span with the response's status and captured headers. */
  end(res: ServerResponse): void {
    if (!this.sampled) return;
    // Called from the entryPoint's bookkeeping (access log after it): a fault here is reported, not thrown.
    try {
      this.router?.end();
      const span = this.server;
      const code = res.statusCode;
      const status = spanStatus(code, 'server');
      if (status) span.setStatus(status);
      if (code > 0) span.setAttribute('http.response.status_code', code);
      span.end();
    } catch (err) {
      this.settings.fault(err);
    }
  }

  /** Records capturedResponseHeaders on the server span; runs just before the response head goes out. */
  captureResponse(res: ServerResponse): void {
    for (const name of this.settings.responseHeaders) {
      const values = headerValues(res.getHeader(name));
      if (values) this.server.setAttribute(`http.response.header.${name}`, values);
    }
  }

  /**
   * A middleware's call to another server (forwardAuth: `AuthRequest`, as Traefik names it): a client
   * span, child of the current one, with the client attributes of a ReverseProxy span; the trace context
   * goes into `headers`. Unsampled: the headers carry the trace's context, and there is no span.
   */
  sideCall(
    name: string,
    method: string,
    url: URL,
    headers: Record<string, string | string[] | undefined>,
  ): SideCall | undefined {
    const s = this.settings;
    const traceparent = this.#traceparent;
    if (traceparent !== undefined) {
      headers.traceparent = traceparent;
      if (this.#tracestate !== '') headers.tracestate = this.#tracestate;
      else delete headers.tracestate;
      return undefined;
    }
    try {
      const { host, port } = hostPort(url);
      const attributes: Attributes = {
        'http.request.method': method,
        'network.protocol.version': '1.1',
        'url.full': safeUrl(url.origin, url.pathname + url.search, s.safeQuery),
        'url.scheme': url.protocol.slice(0, -1),
        'network.peer.address': host,
        'server.address': host,
      };
      if (port !== undefined) {
        attributes['network.peer.port'] = port;
        attributes['server.port'] = port;
      }
      const agent = headerValues(headers['user-agent'])?.[0];
      if (agent !== undefined) attributes['user_agent.original'] = agent;
      for (const h of s.requestHeaders) {
        const values = headerValues(headers[h]);
        if (values) attributes[`http.request.header.${h}`] = values;
      }
      const span = startSpan(s.tracer, name, CLIENT, attributes, this.current);
      s.propagator.inject(trace.setSpan(this.current, span), headers, objectSetter);
      let open = true;
      return {
        end(status, err) {
          if (!open) return;
          open = false;
          try {
            const code = status ?? (err instanceof WharfError ? errorStatus(err.code) : 500);
            const st = spanStatus(code, 'client');
            if (st) span.setStatus(st);
            if (status !== undefined) span.setAttribute('http.response.status_code', status);
            span.end();
          } catch (fault) {
            s.fault(fault);
          }
        },
      };
    } catch (err) {
      s.fault(err);
      return undefined;
    }
  }

  /**
   * Spans of a call to `serverUrl` (ReverseProxy, and Service for detailed traces), with `traceparent` and
   * `tracestate` set in the upstream `headers`. Unsampled: no span, the headers carry the trace's context.
   */
  upstream(
    method: string,
    server: URL,
    target: string,
    headers: string[],
    service: string | undefined,
  ): UpstreamSpans | undefined {
    const s = this.settings;
    const traceparent = this.#traceparent;
    if (traceparent !== undefined) {
      flatSetter.set(headers, 'traceparent', traceparent);
      if (this.#tracestate !== '') flatSetter.set(headers, 'tracestate', this.#tracestate);
      return undefined;
    }
    const parent = this.current;
    const serviceSpan = this.detailed
      ? startSpan(s.tracer, 'Service', INTERNAL, { 'wharf.service.name': service ?? '' }, parent)
      : undefined;
    const { host, port } = hostPort(server);
    const attributes: Attributes = {
      'http.request.method': method,
      'network.protocol.version': '1.1',
      'url.full': safeUrl(server.origin, target, s.safeQuery),
      'url.scheme': server.protocol.slice(0, -1),
      'user_agent.original': flatHeaderValues(headers, 'user-agent')?.[0] ?? '',
      'network.peer.address': host,
      'server.address': host,
    };
    if (port !== undefined) {
      attributes['network.peer.port'] = port;
      attributes['server.port'] = port;
    }
    for (const name of s.requestHeaders) {
      const values = flatHeaderValues(headers, name);
      if (values) attributes[`http.request.header.${name}`] = values;
    }
    const clientParent = serviceSpan ? trace.setSpan(parent, serviceSpan) : parent;
    const client = startSpan(s.tracer, 'ReverseProxy', CLIENT, attributes, clientParent);
    s.propagator.inject(trace.setSpan(clientParent, client), headers, flatSetter);
    let open = true;
    const endClient = (code: number, responseHeaders: IncomingHttpHeaders | undefined) => {
      if (!open) return;
      open = false;
      const status = spanStatus(code, 'client');
      if (status) client.setStatus(status);
      if (code > 0) client.setAttribute('http.response.status_code', code);
      for (const name of responseHeaders ? s.responseHeaders : []) {
        const values = headerValues(responseHeaders?.[name]);
        if (values) client.setAttribute(`http.response.header.${name}`, values);
      }
      client.end();
    };
    // Called from the exchange's settling: a throw there would leave the request unanswered.
    return {
      head(code, responseHeaders) {
        try {
          endClient(code, responseHeaders);
        } catch (err) {
          s.fault(err);
        }
      },
      done(err) {
        try {
          // A failed call is answered by Wharf (502, 504, 499): its status is the one recorded, as
          // Traefik's ComputeStatusCode does for transport errors.
          if (err !== undefined)
            endClient(err instanceof WharfError ? errorStatus(err.code) : 500, undefined);
          else endClient(0, undefined);
          serviceSpan?.end();
        } catch (fault) {
          s.fault(fault);
        }
      },
    };
  }
}
