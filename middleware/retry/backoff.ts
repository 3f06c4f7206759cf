// The waits between retries, as Traefik's retry middleware configures cenkalti/backoff v4's
// ExponentialBackOff: the initial interval is `initialInterval`, the multiplier 2^(1/(attempts-1)) (so the
// interval reaches twice the initial one at the last attempt), jitter ±50% (the library's randomization
// factor 0.5), intervals capped at 60s, and no further retry once 15 minutes would have passed.

/** The library's default randomization factor: each wait is the interval ± 50%. */
export const RANDOMIZATION_FACTOR = 0.5;
/** The library's default cap on one interval. */
export const MAX_INTERVAL_MS = 60_000;
/** The library's default MaxElapsedTime: past it the backoff stops (no more retries). */
export const MAX_ELAPSED_MS = 15 * 60_000;

/** The per-attempt growth of the interval for `attempts` tries (Traefik's choice; 1 for fewer than 2). */
export function backoffMultiplier(attempts: number): number {
  return attempts < 2 ? 1 : 2 ** (1 / (attempts - 1));
}

/** A wait drawn around `interval`: uniformly in [interval·(1−f), interval·(1+f)] for `random` in [0, 1). */
export function jittered(interval: number, random: number, factor = RANDOMIZATION_FACTOR): number {
  const delta = factor * interval;
  return interval - delta + random * 2 * delta;
}

/**
 * The waits of one request's retries. `next` returns the wait before the next attempt in milliseconds, or
 * undefined when the backoff gives up (MaxElapsedTime). Without an initial interval every wait is 0 (the
 * library's ZeroBackOff, which Traefik uses then).
 */
export class RetryBackoff {
  readonly #multiplier: number;
  readonly #start: number;
  readonly #random: () => number;
  #interval: number;

  constructor(
    initialIntervalMs: number,
    attempts: number,
    startMs: number,
    random: () => number = Math.random,
  ) {
    this.#interval = attempts < 2 || initialIntervalMs <= 0 ? 0 : initialIntervalMs;
    this.#multiplier = backoffMultiplier(attempts);
    this.#start = startMs;
    this.#random = random;
  }

  /** The wait before the next attempt, or undefined to stop; `nowMs` is the current clock time. */
  next(nowMs: number): number | undefined {
    if (this.#interval === 0) return 0;
    const wait = jittered(this.#interval, this.#random());
    this.#interval =
      this.#interval >= MAX_INTERVAL_MS / this.#multiplier
        ? MAX_INTERVAL_MS
        : this.#interval * this.#multiplier;
    if (nowMs - this.#start + wait > MAX_ELAPSED_MS) return undefined;
    return wait;
  }
}
