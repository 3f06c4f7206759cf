import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';

// Which failures the retry middleware repeats. Traefik retries a network error only when the request
// reached the proxy but not one byte of it was written to the server (its httptrace WroteHeaders hook did
// not fire): a refused or timed-out connection, a name that does not resolve, a failed TLS handshake. A
// reset after the request went out, a response timeout and every answered status (500 included) are not
// retried, and nothing is once the client got a response byte.

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

function hasBody(headers: IncomingHttpHeaders): boolean {
  const length = headers['content-length'];
  return (length !== undefined && length !== '0') || headers['transfer-encoding'] !== undefined;
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

/** The facts one retry decision needs. */
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
}

/** Whether a failed attempt is tried again (when attempts remain). */
export function shouldRetry(o: AttemptOutcome): boolean {
  if (o.responseStarted) return false;
  if (o.timeoutMs > 0 && o.elapsedMs >= o.timeoutMs) return false;
  return failedToReachServer(o.error) && o.bodyReplayable;
}
