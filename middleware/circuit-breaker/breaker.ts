import type { Clock } from '../clock.ts';
import type { BreakerCondition } from './expression.ts';
import { RoundTripMetrics } from './metrics.ts';

/** The breaker's states, as oxy names them: standby (closed), tripped (open), recovering (half open). */
export type BreakerState = 'standby' | 'tripped' | 'recovering';

/** Timings of a breaker, in milliseconds. */
export interface BreakerTimings {
  readonly checkPeriod: number;
  readonly fallbackDuration: number;
  readonly recoveryDuration: number;
}

/**
 * The state machine of oxy's cbreaker.CircuitBreaker, which Traefik's circuitBreaker wraps. In standby every
 * request goes to the service; after a response, at most once per checkPeriod, the condition is evaluated
 * and, when it holds, the breaker trips for fallbackDuration and forgets its metrics. The first request
 * after that starts recovering for recoveryDuration: a share of requests rising linearly from 0 to 50%
 * reaches the service (the rest get the fallback), and the condition is still checked on their responses,
 * so a still-failing service trips the breaker again; at the end of the recovery it returns to standby.
 * Transitions happen when requests arrive, as in oxy: an idle breaker changes no state and holds no timer.
 */
export class Breaker {
  readonly metrics: RoundTripMetrics;
  readonly #clock: Clock;
  readonly #condition: BreakerCondition;
  readonly #t: BreakerTimings;
  #state: BreakerState = 'standby';
  /** End of the tripped or recovering state. */
  #until = 0;
  /** Before this instant the condition is not evaluated again. */
  #nextCheck = -Infinity;
  /** The recovery ramp: when it started and what it let through. */
  #rampStart = 0;
  #allowed = 0;
  #denied = 0;

  constructor(condition: BreakerCondition, timings: BreakerTimings, clock: Clock) {
    this.#condition = condition;
    this.#t = timings;
    this.#clock = clock;
    this.metrics = new RoundTripMetrics(() => clock.now());
  }

  /** The current state (as the last request left it). */
  get state(): BreakerState {
    return this.#state;
  }

  /** When the tripped or recovering state ends (ms since the epoch); undefined in standby. */
  get until(): number | undefined {
    return this.#state === 'standby' ? undefined : this.#until;
  }

  /** Whether a request arriving now may reach the service (otherwise it gets the fallback). */
  admit(): boolean {
    if (this.#state === 'standby') return true;
    const now = this.#clock.now();
    if (this.#state === 'tripped') {
      if (now < this.#until) return false;
      this.#state = 'recovering';
      this.#until = now + this.#t.recoveryDuration;
      this.#rampStart = now;
      this.#allowed = 0;
      this.#denied = 0;
    }
    if (now > this.#until) {
      this.#state = 'standby';
      return true;
    }
    return this.#ramp(now);
  }

  /** oxy's ratioController: let this request through if that keeps the share allowed under the target. */
  #ramp(now: number): boolean {
    // The target grows linearly to 0.5 over the recovery: at most every other request by its end.
    const target = (0.5 * (now - this.#rampStart)) / this.#t.recoveryDuration;
    const ratio = (this.#allowed + 1) / (this.#allowed + 1 + this.#denied);
    if (ratio < target) {
      this.#allowed++;
      return true;
    }
    this.#denied++;
    return false;
  }

  /** Records the response of an admitted request, then checks the condition if checkPeriod has passed. */
  record(status: number, latencyMs: number): void {
    this.metrics.record(status, latencyMs);
    const now = this.#clock.now();
    if (now <= this.#nextCheck) return;
    this.#nextCheck = now + this.#t.checkPeriod;
    if (this.#state === 'tripped' || !this.#condition(this.metrics)) return;
    this.#state = 'tripped';
    this.#until = now + this.#t.fallbackDuration;
    this.metrics.reset();
  }
}
