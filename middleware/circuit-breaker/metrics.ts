// The breaker's view of recent traffic, shaped as oxy's memmetrics.RTMetrics (which Traefik's circuit
// breaker uses): counters over a rolling window of 10 one-second buckets, and a latency histogram of 6
// sub-histograms of 10 seconds each with 2 significant digits, so the expression sees the last ~10 s of
// counts and the last ~60 s of latencies. Time comes from the caller (the middleware's clock).

const COUNTER_BUCKETS = 10;
const COUNTER_RESOLUTION_MS = 1000;
const HISTOGRAM_BUCKETS = 6;
const HISTOGRAM_PERIOD_MS = 10_000;
/** oxy's histogram range, in microseconds: 1 µs to one hour. */
const HISTOGRAM_MAX_US = 3_600_000_000;

/** A count over the last COUNTER_BUCKETS seconds, one bucket per second, as oxy's RollingCounter. */
export class RollingCounter {
  readonly #values = new Array<number>(COUNTER_BUCKETS).fill(0);
  /** The second (since the epoch) each bucket holds. */
  readonly #seconds = new Array<number>(COUNTER_BUCKETS).fill(-Infinity);

  /** Adds `n` to the bucket of the second `now` falls in. */
  inc(now: number, n = 1): void {
    const second = Math.floor(now / COUNTER_RESOLUTION_MS);
    const i = second % COUNTER_BUCKETS;
    if (this.#seconds[i] !== second) {
      this.#seconds[i] = second;
      this.#values[i] = 0;
    }
    this.#values[i] = (this.#values[i] as number) + n;
  }

  /** The sum of the buckets still inside the window at `now`. */
  count(now: number): number {
    const oldest = Math.floor(now / COUNTER_RESOLUTION_MS) - COUNTER_BUCKETS;
    let sum = 0;
    for (let i = 0; i < COUNTER_BUCKETS; i++)
      if ((this.#seconds[i] as number) > oldest) sum += this.#values[i] as number;
    return sum;
  }
}

/**
 * The bucket a latency falls in with 2 significant digits, as an HDR histogram of that precision: exact
 * below 256 µs, then 128 buckets per power of two (under 1% apart). Returns the bucket's lowest value.
 */
function lowestEquivalent(us: number): number {
  if (us < 256) return us;
  const shift = Math.floor(Math.log2(us)) - 7;
  return Math.floor(us / 2 ** shift) * 2 ** shift;
}

/** The highest value of the bucket starting at `low` (what HDR's ValueAtQuantile answers). */
function highestEquivalent(low: number): number {
  if (low < 256) return low;
  return low + 2 ** (Math.floor(Math.log2(low)) - 7) - 1;
}

/** Latencies over the last HISTOGRAM_BUCKETS periods, as oxy's RollingHDRHistogram. */
export class RollingHistogram {
  /** Count per bucket (lowest value, µs), per sub-histogram. */
  readonly #slots = Array.from({ length: HISTOGRAM_BUCKETS }, () => new Map<number, number>());
  readonly #periods = new Array<number>(HISTOGRAM_BUCKETS).fill(-Infinity);

  /** Records one latency in milliseconds, at `now`. */
  record(now: number, latencyMs: number): void {
    const period = Math.floor(now / HISTOGRAM_PERIOD_MS);
    const i = period % HISTOGRAM_BUCKETS;
    const slot = this.#slots[i] as Map<number, number>;
    if (this.#periods[i] !== period) {
      this.#periods[i] = period;
      slot.clear();
    }
    const us = Math.min(HISTOGRAM_MAX_US, Math.max(1, Math.round(latencyMs * 1000)));
    const key = lowestEquivalent(us);
    slot.set(key, (slot.get(key) ?? 0) + 1);
  }

  /** The latency at quantile `q` (a percentage, 50.0 = the median) in whole milliseconds; 0 when empty. */
  latencyAtQuantileMs(now: number, q: number): number {
    const oldest = Math.floor(now / HISTOGRAM_PERIOD_MS) - HISTOGRAM_BUCKETS;
    const merged = new Map<number, number>();
    let total = 0;
    for (let i = 0; i < HISTOGRAM_BUCKETS; i++) {
      if ((this.#periods[i] as number) <= oldest) continue;
      for (const [k, v] of this.#slots[i] as Map<number, number>) {
        merged.set(k, (merged.get(k) ?? 0) + v);
        total += v;
      }
    }
    if (total === 0) return 0;
    // HDR's rule: the smallest value whose cumulative count reaches q% of the total (at least one).
    const wanted = Math.max(1, Math.floor((Math.min(100, Math.max(0, q)) / 100) * total + 0.5));
    let seen = 0;
    for (const k of [...merged.keys()].sort((a, b) => a - b)) {
      seen += merged.get(k) as number;
      if (seen >= wanted) return Math.floor(highestEquivalent(k) / 1000);
    }
    return 0;
  }

  /** Forgets every latency. */
  reset(): void {
    for (const s of this.#slots) s.clear();
    this.#periods.fill(-Infinity);
  }
}

/** What an expression reads: the metrics of oxy's RTMetrics that Traefik's functions expose. */
export interface BreakerMetrics {
  /** Share of responses that were 502 or 504 (how the proxy reports network errors); 0 without traffic. */
  networkErrorRatio(): number;
  /** count(statuses in [from, to)) / count(statuses in [byFrom, byTo)); 0 when the divisor is 0. */
  responseCodeRatio(from: number, to: number, byFrom: number, byTo: number): number;
  /** Latency at a quantile (a percentage), in whole milliseconds. */
  latencyAtQuantileMs(q: number): number;
  /** Responses in the window. */
  totalCount(): number;
}

/** Counts responses by status and latency, read at the clock's current time. */
export class RoundTripMetrics implements BreakerMetrics {
  readonly #now: () => number;
  #total = new RollingCounter();
  #networkErrors = new RollingCounter();
  #statuses = new Map<number, RollingCounter>();
  readonly #latency = new RollingHistogram();

  constructor(now: () => number) {
    this.#now = now;
  }

  /** Records one response: its status (502 and 504 also count as network errors, as oxy counts them). */
  record(status: number, latencyMs: number): void {
    const now = this.#now();
    this.#total.inc(now);
    if (status === 502 || status === 504) this.#networkErrors.inc(now);
    let counter = this.#statuses.get(status);
    if (!counter) {
      counter = new RollingCounter();
      this.#statuses.set(status, counter);
    }
    counter.inc(now);
    this.#latency.record(now, latencyMs);
  }

  networkErrorRatio(): number {
    const now = this.#now();
    const total = this.#total.count(now);
    return total === 0 ? 0 : this.#networkErrors.count(now) / total;
  }

  responseCodeRatio(from: number, to: number, byFrom: number, byTo: number): number {
    const now = this.#now();
    let a = 0;
    let b = 0;
    for (const [code, counter] of this.#statuses) {
      const n = counter.count(now);
      if (code >= from && code < to) a += n;
      if (code >= byFrom && code < byTo) b += n;
    }
    return b === 0 ? 0 : a / b;
  }

  latencyAtQuantileMs(q: number): number {
    return this.#latency.latencyAtQuantileMs(this.#now(), q);
  }

  totalCount(): number {
    return this.#total.count(this.#now());
  }

  /** Forgets everything (when the breaker trips, as oxy resets its metrics). */
  reset(): void {
    this.#total = new RollingCounter();
    this.#networkErrors = new RollingCounter();
    // Statuses seen are few (a map entry per distinct status), so the map is simply dropped.
    this.#statuses = new Map();
    this.#latency.reset();
  }
}
