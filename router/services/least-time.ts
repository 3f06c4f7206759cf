/** Response-time samples kept per server (Traefik's leasttime keeps the last 100). */
export const SAMPLE_SIZE = 100;

/** The load figures leasttime reads of one server. */
export class ServerTimes {
  private readonly samples = new Float64Array(SAMPLE_SIZE);
  private index = 0;
  private count = 0;
  private sum = 0;
  /** Requests to this server still waiting for or streaming their response. */
  inFlight = 0;

  /** Records the time to the first response byte, in whole milliseconds as Traefik counts them. */
  record(ms: number): void {
    const whole = Math.max(0, Math.trunc(ms));
    if (this.count < SAMPLE_SIZE) this.count++;
    else this.sum -= this.samples[this.index] as number;
    this.samples[this.index] = whole;
    this.sum += whole;
    this.index = (this.index + 1) % SAMPLE_SIZE;
  }

  /** Mean of the samples kept, 0 before the first (a new server is tried at once). */
  average(): number {
    return this.count === 0 ? 0 : this.sum / this.count;
  }
}

interface Entry<T> {
  readonly item: T;
  readonly weight: number;
  readonly times: ServerTimes;
  deadline: number;
}

/**
 * Least time (Traefik's `leasttime` strategy): the server with the lowest
 * mean time-to-first-byte × (1 + requests in flight) / weight wins; servers with equal scores take turns
 * by weight (earliest-deadline-first, as Traefik breaks ties). Servers of weight 0 are left out.
 */
export class LeastTime<T> {
  private readonly entries: Entry<T>[] = [];
  private currentDeadline = 0;

  constructor(items: ReadonlyArray<{ item: T; weight: number; times: ServerTimes }>) {
    for (const i of items) {
      if (i.weight <= 0) continue;
      // Staggered first deadlines, so equal servers do not all start at once.
      this.currentDeadline += 1 / i.weight;
      this.entries.push({ item: i.item, weight: i.weight, times: i.times, deadline: this.currentDeadline });
    }
  }

  /** Number of servers with a positive weight. */
  get size(): number {
    return this.entries.length;
  }

  /** The next item among those `isUp` accepts, or undefined when none is up. */
  next(isUp?: (item: T) => boolean): T | undefined {
    let min = Number.POSITIVE_INFINITY;
    let tied: Entry<T>[] = [];
    let up = 0;
    let only: Entry<T> | undefined;
    for (const e of this.entries) {
      if (isUp && !isUp(e.item)) continue;
      up++;
      only = e;
      const score = (e.times.average() * (1 + e.times.inFlight)) / e.weight;
      if (score < min) {
        min = score;
        tied = [e];
      } else if (score === min) tied.push(e);
    }
    if (up === 0) return undefined;
    if (up === 1) return only?.item;
    if (tied.length === 1) return tied[0]?.item;
    let chosen = tied[0] as Entry<T>;
    for (const e of tied) if (e.deadline < chosen.deadline) chosen = e;
    chosen.deadline += 1 / chosen.weight;
    if (chosen.deadline > this.currentDeadline) this.currentDeadline = chosen.deadline;
    return chosen.item;
  }
}
