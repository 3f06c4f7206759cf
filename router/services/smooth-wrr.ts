interface Entry<T> {
  readonly item: T;
  readonly weight: number;
  current: number;
}

/**
 * Smooth weighted round robin (nginx's algorithm): over any window of sum(weights) picks, each item is
 * chosen in proportion to its weight, and picks of a heavy item are spread out rather than bunched.
 * Items that are down are skipped without disturbing the others' shares.
 */
export class SmoothWrr<T> {
  private readonly entries: Entry<T>[];

  constructor(items: ReadonlyArray<{ item: T; weight: number }>) {
    this.entries = items
      .filter((i) => i.weight > 0)
      .map((i) => ({ item: i.item, weight: i.weight, current: 0 }));
  }

  /** Number of items with a positive weight. */
  get size(): number {
    return this.entries.length;
  }

  /** The next item among those `isUp` accepts, or undefined when none is up. */
  next(isUp?: (item: T) => boolean): T | undefined {
    let total = 0;
    let best: Entry<T> | undefined;
    for (const e of this.entries) {
      if (isUp && !isUp(e.item)) continue;
      e.current += e.weight;
      total += e.weight;
      if (best === undefined || e.current > best.current) best = e;
    }
    if (best === undefined) return undefined;
    best.current -= total;
    return best.item;
  }
}
