import type { Clock, ClockTimer } from '../../middleware/clock.ts';

/**
 * Bytes held back at most before they go out anyway: the size of the buffer Go's HTTP server writes
 * through (4 KiB), so only small writes wait for the flush interval, as with Traefik.
 */
export const COALESCE_BYTES = 4096;

/**
 * How a response is flushed to the client (Go's ReverseProxy.flushInterval, which Traefik uses): -1 at
 * every write for a negative `flushIntervalMs`, for server-sent events (text/event-stream) and for a
 * response without Content-Length (a stream); otherwise `flushIntervalMs` (0: only when the buffer is
 * full and at the end).
 */
export function flushMode(
  flushIntervalMs: number,
  contentType: string | string[] | undefined,
  contentLength: string | string[] | undefined,
): number {
  if (flushIntervalMs < 0) return -1;
  const type = (Array.isArray(contentType) ? contentType[0] : contentType) ?? '';
  const semi = type.indexOf(';');
  if ((semi === -1 ? type : type.slice(0, semi)).trim().toLowerCase() === 'text/event-stream') return -1;
  if (contentLength === undefined) return -1;
  return flushIntervalMs;
}

/** What a coalescer holds back: a response that can buffer writes (Node's cork/uncork). */
export interface Corkable {
  cork(): void;
  uncork(): void;
}

/**
 * Holds small writes of one response back and sends them together at most `intervalMs` later (Go's
 * maxLatencyWriter), at once when `COALESCE_BYTES` are waiting or the response pushes back, and at the end.
 */
export class FlushCoalescer {
  readonly #target: Corkable;
  readonly #interval: number;
  readonly #clock: Clock;
  #corked = false;
  #pending = 0;
  #timer: ClockTimer | undefined;

  constructor(target: Corkable, intervalMs: number, clock: Clock) {
    this.#target = target;
    this.#interval = intervalMs;
    this.#clock = clock;
  }

  /** Whether writes are being held back now. */
  get holding(): boolean {
    return this.#corked;
  }

  /** Call before writing `size` bytes; a large write goes straight out. */
  before(size: number): void {
    if (this.#corked || size >= COALESCE_BYTES) return;
    this.#target.cork();
    this.#corked = true;
    if (this.#interval > 0) this.#timer = this.#clock.setTimeout(() => this.flush(), this.#interval);
  }

  /** Call after the write; `accepted` is what write() returned (false: the client pushes back). */
  after(size: number, accepted: boolean): void {
    if (!this.#corked) return;
    this.#pending += size;
    if (!accepted || this.#pending >= COALESCE_BYTES) this.flush();
  }

  /** Sends what is held back now (before the end, and on errors). */
  flush(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#pending = 0;
    if (!this.#corked) return;
    this.#corked = false;
    this.#target.uncork();
  }
}
