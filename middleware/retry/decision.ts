import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { errorStatus, WharfError } from '../../config/errors.ts';
import { inRanges, type StatusRanges } from '../errors/status-ranges.ts';
import { hasBody } from '../request-body.ts';

// Which failures the retry middleware repeats (Traefik v3.7 pkg/middlewares/retry). A network error is
// retried only when the request reached the proxy but not one byte of it was written to the server (its
// httptrace WroteHeaders hook did not fire): a refused or timed-out connection, a name that does not
// resolve, a failed TLS handshake; unless disableRetryOnNetworkError. A status is retried when it is in
// `status` and the method may be repeated: Traefik's proxy writes its failures as statuses (502 for a reset
// after the request went out, 504 for a response timeout, 503 without a healthy server), so Wharf's thrown
// failures count with those statuses. Nothing is retried once the client got a response byte, or once
// `timeout` has passed since the first attempt started.

/** Socket and undici error codes raised before the request was written to the server. */
export const CONNECT_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'EADDRNOTAVAIL',
  // TLS handshake failures (the connection was made but no request byte was sent).
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_SSL_WRONG_VERSION_NUMBER',
]);

/**
 * Whether `err` (as the proxy throws it: a WharfError whose cause is the socket or undici error) says the
 * server was never reached. Only the proxy's own errors count: a refusal by a middleware never is.
 */
export function failedToReachServer(err: unknown): boolean {
  const e = err as { code?: unknown; cause?: { code?: unknown } } | null;
  if (e?.code !== 'UPSTREAM_UNREACHABLE' && e?.code !== 'UPSTREAM_TIMEOUT') return false;
  const cause = e.cause?.code;
  return typeof cause === 'string' && CONNECT_ERROR_CODES.has(cause);
}

/**
 * Whether the request body can be sent again: no body, a body held in memory (`replayBody` Buffer, set by
 * buffering), or a stream (the client's, or buffering's temporary file) not read from at all yet.
 */
export function bodyReplayable(
  headers: IncomingHttpHeaders,
  replayBody: Buffer | Readable | undefined,
  req: Readable,
): boolean {
  const source = replayBody ?? (hasBody(headers) ? req : undefined);
  if (source === undefined || Buffer.isBuffer(source)) return true;
  return !source.readableDidRead && !source.destroyed;
}

/** Methods Traefik retries on a status only with `retryNonIdempotentMethod` (its isIdempotent test). */
export const NON_IDEMPOTENT_METHODS: ReadonlySet<string> = new Set(['POST', 'PATCH', 'LOCK']);

/** The status a failure thrown on the request path stands for; undefined for a client gone or a bug. */
export function failureStatus(err: unknown): number | undefined {
  if (!(err instanceof WharfError) || err.code === 'CLIENT_CLOSED') return undefined;
  return errorStatus(err.code);
}

/** Whether `timeout` (ms, 0: none) has passed `elapsedMs` after the first attempt started. */
export function timedOut(elapsedMs: number, timeoutMs: number): boolean {
  return timeoutMs > 0 && elapsedMs >= timeoutMs;
}

/**
 * Whether a response head with `status` is held back and the request tried again: the status is in the
 * request's `statuses` and the timeout has not passed. 101 never is: the connection is the client's now.
 */
export function retriesStatus(status: number, statuses: StatusRanges, elapsedMs: number, timeoutMs: number) {
  return status !== 101 && inRanges(statuses, status) && !timedOut(elapsedMs, timeoutMs);
}

/** The facts one retry decision on a thrown failure needs. */
export interface AttemptOutcome {
  /** What the attempt threw. */
  readonly error: unknown;
  /** The client already got the response head (or more). */
  readonly responseStarted: boolean;
  /** See bodyReplayable. */
  readonly bodyReplayable: boolean;
  /** Milliseconds since the first attempt started. */
  readonly elapsedMs: number;
  /** The `timeout` option in milliseconds; 0: none. */
  readonly timeoutMs: number;
  /** Whether network errors are retried (not disableRetryOnNetworkError). */
  readonly networkErrors: boolean;
  /** The statuses retried for this request (none for a POST without retryNonIdempotentMethod). */
  readonly statuses: StatusRanges;
}

/** Whether a failed attempt is tried again (when attempts remain). */
export function shouldRetry(o: AttemptOutcome): boolean {
  if (o.responseStarted || !o.bodyReplayable || timedOut(o.elapsedMs, o.timeoutMs)) return false;
  if (o.networkErrors && failedToReachServer(o.error)) return true;
  const status = failureStatus(o.error);
  return status !== undefined && inRanges(o.statuses, status);
}
