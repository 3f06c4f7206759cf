import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import type { Duplex, Readable } from 'node:stream';

/** A call a middleware makes to another server for the request (forwardAuth's AuthRequest). */
export interface SideCall {
  /** The call ended: the server answered `status`, or the call failed with `err`. */
  end(status: number | undefined, err?: unknown): void;
}

/** What a middleware tells tracing about its own calls to other servers (router/tracing/request-trace.ts). */
export interface SideCallTracer {
  /**
   * Opens a client span `name` for a call to `url` and writes the trace context (traceparent, tracestate)
   * into `headers`; undefined when there is no span to end (an unsampled trace only propagates).
   */
  sideCall(
    name: string,
    method: string,
    url: URL,
    headers: Record<string, string | string[] | undefined>,
  ): SideCall | undefined;
}

/**
 * Per-request facts shared along the request path (entryPoint → router → middlewares → service → proxy),
 * stored on the request object under a symbol so no lookup table is needed.
 */
export interface RequestState {
  readonly entryPoint: string;
  /** 'http' or 'https', as the client reached the entryPoint. */
  readonly scheme: 'http' | 'https';
  /** The socket peer's address (IPv4-mapped IPv6 unwrapped). */
  readonly clientIp: string;
  /** process.hrtime.bigint() when the request arrived. */
  readonly start: bigint;
  /** The request target as received, before middlewares rewrote it (for the access log). */
  readonly originalUrl: string;
  /** Qualified name of the matched router. */
  router?: string;
  /** Qualified name of the service that answered (the innermost load balancer). */
  service?: string;
  /** URL of the server that answered. */
  serverUrl?: string;
  /** Set for Upgrade requests (WebSocket): the raw client socket and the bytes read past the headers. */
  upgrade?: { socket: Duplex; head: Buffer };
  /** The request body, when a service (mirroring) had to read it first: forwarders send this instead of the stream. */
  replayBody?: Buffer | Readable;
  /** Retries the retry middleware made (attempts − 1), for the access log's RetryAttempts. */
  retryAttempts?: number;
  /** Response body bytes relayed from the server (the access log's OriginContentSize). */
  responseBytes?: number;
  // Access log (router/access-log/): what the last server call answered, set by router/proxy/forward.ts.
  /** Status the server answered (OriginStatus). */
  originStatus?: number;
  /** Response headers the server sent, as relayed (origin_<Name> fields). */
  originHeaders?: OutgoingHttpHeaders;
  /** Milliseconds from sending the request to the server to the end of its response (OriginDuration). */
  originMs?: number;
  /** The user an auth middleware read from the credentials (the access log's ClientUsername). */
  username?: string;
  /** Set for requests answered by Wharf itself (API, ping), which the access log leaves out. */
  internal?: boolean;
  /**
   * Which edge-security check refused the request, set by the refusing middleware (waf block, basicAuth,
   * digestAuth or forwardAuth refusal) so the ban middleware counts it (its `onWafBlock` and auth refusals).
   */
  refusedBy?: 'waf' | 'basicAuth' | 'digestAuth' | 'forwardAuth';
  /** Set by tracing on traced requests: middlewares report their calls to other servers to it. */
  tracer?: SideCallTracer;
  /** An id for this request, shared by the WAF's audit log and the access log (set lazily by whoever needs it first). */
  requestId?: string;
  /** The entryPoint's `forwardedHeaders.notAppendXForwardedFor`: X-Forwarded-For goes out as received. */
  notAppendXForwardedFor?: boolean;
}

const STATE = Symbol('wharf.requestState');

type WithState = IncomingMessage & { [STATE]?: RequestState };

/** Attaches the state to a request; called once by the entryPoint. */
export function setRequestState(req: IncomingMessage, state: RequestState): RequestState {
  (req as WithState)[STATE] = state;
  return state;
}

/** The request's state; throws if the request did not come through an entryPoint (a programming error). */
export function requestState(req: IncomingMessage): RequestState {
  const s = (req as WithState)[STATE];
  if (!s) throw new Error('request has no Wharf state: it did not come through an entryPoint');
  return s;
}
