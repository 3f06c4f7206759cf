/** A source of uniform random numbers in [0, 1) (Math.random, or a seeded one in tests). */
export type Random = () => number;

/**
 * Power of two random choices (Traefik's `p2c` strategy): two different servers are drawn at random among
 * those up and the one with fewer requests in flight wins (the first drawn on a tie). As in Traefik,
 * weights play no part: every listed server takes requests, a weight of 0 included.
 */
export class PowerOfTwoChoices<T> {
  private readonly items: readonly T[];
  private readonly inFlight: (item: T) => number;
  private readonly random: Random;

  constructor(items: readonly T[], inFlight: (item: T) => number, random: Random = Math.random) {
    this.items = items;
    this.inFlight = inFlight;
    this.random = random;
  }

  /** Number of servers it picks from. */
  get size(): number {
    return this.items.length;
  }

  /** The next item among those `isUp` accepts, or undefined when none is up. */
  next(isUp?: (item: T) => boolean): T | undefined {
    const up = isUp ? this.items.filter(isUp) : this.items;
    const n = up.length;
    if (n === 0) return undefined;
    if (n === 1) return up[0];
    const first = Math.floor(this.random() * n);
    let second = Math.floor(this.random() * n);
    // Traefik draws both from n and moves the second on by one when they collide.
    if (second === first) second = (second + 1) % n;
    const a = up[first] as T;
    const b = up[second] as T;
    return this.inFlight(b) < this.inFlight(a) ? b : a;
  }
}
