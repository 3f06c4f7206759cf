// Compiling a very large configuration (hundreds of thousands of routers) takes seconds of CPU. JavaScript
// runs requests and compile on one thread, so the long steps are written as generators that pause (a bare
// `yield`) every few items: `runSync` runs them straight through (`wharf check`, tests, the bench), and
// `runSliced` hands the event loop back between slices of a few milliseconds, so requests keep being
// served while a reload compiles.

/** Work that pauses at points where the event loop may run in between; it returns a T at the end. */
export type Steps<T> = Generator<void, T, void>;

/** Items a step processes between two pause points (a pause costs one `performance.now()` when unused). */
export const ITEMS_PER_PAUSE = 64;

/** Runs steps to the end without pausing. */
export function runSync<T>(steps: Steps<T>): T {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/** Thrown into the steps at a pause point when a newer configuration supersedes the one being compiled. */
export class Superseded extends Error {
  constructor() {
    super('superseded by a newer configuration');
    this.name = 'Superseded';
  }
}

/** How runSliced divides the work, and what it saw. */
export interface SliceOptions {
  /** Run at least this long (ms) before handing the event loop back; 0: at every pause point. */
  readonly sliceMs: number;
  /** Asked after each hand-back; true throws Superseded into the steps (their cleanup runs, then it propagates). */
  readonly superseded?: () => boolean;
  /** Filled in as the work runs: the number of slices and the longest one (ms). */
  readonly stats?: { slices: number; longestMs: number };
}

const handBack = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Runs steps in slices of about `sliceMs`, letting the event loop run (timers, I/O, requests) between them
 * with `setImmediate`. The first slice runs synchronously, so work shorter than one slice completes before
 * this returns its promise. Rejects with Superseded when `superseded()` turns true, after the steps' own
 * cleanup (their catch and finally blocks) has run.
 */
export async function runSliced<T>(steps: Steps<T>, options: SliceOptions): Promise<T> {
  const stats = options.stats ?? { slices: 0, longestMs: 0 };
  let start = performance.now();
  const endSlice = (now: number) => {
    stats.slices++;
    stats.longestMs = Math.max(stats.longestMs, now - start);
  };
  let r = steps.next();
  for (;;) {
    if (r.done) {
      endSlice(performance.now());
      return r.value;
    }
    const now = performance.now();
    if (now - start < options.sliceMs) {
      r = steps.next();
      continue;
    }
    endSlice(now);
    await handBack();
    start = performance.now();
    r = options.superseded?.() ? steps.throw(new Superseded()) : steps.next();
  }
}

/** Lists at most this long are sorted by Array.prototype.sort in one go (10,000 routers: a few ms). */
const SORT_AT_ONCE = 16_384;

/**
 * Sorts `items` in place, stably, pausing between runs of ITEMS_PER_PAUSE * 64 items: short lists in one
 * native sort, long ones by sorting chunks natively and merging them pairwise (bottom-up merge sort).
 */
export function* sortSteps<T>(items: T[], compare: (a: T, b: T) => number): Steps<T[]> {
  if (items.length <= SORT_AT_ONCE) return items.sort(compare);
  const chunk = ITEMS_PER_PAUSE * 64;
  for (let lo = 0; lo < items.length; lo += chunk) {
    const sorted = items.slice(lo, lo + chunk).sort(compare);
    for (let i = 0; i < sorted.length; i++) items[lo + i] = sorted[i] as T;
    yield;
  }
  let from = items;
  let to = new Array<T>(items.length);
  for (let width = chunk; width < items.length; width *= 2) {
    let moved = 0;
    for (let lo = 0; lo < items.length; lo += 2 * width) {
      const mid = Math.min(lo + width, items.length);
      const hi = Math.min(lo + 2 * width, items.length);
      let i = lo;
      let j = mid;
      let k = lo;
      while (i < mid && j < hi) {
        // Stable: on a tie the left run's item goes first.
        to[k++] = compare(from[j] as T, from[i] as T) < 0 ? (from[j++] as T) : (from[i++] as T);
        if (++moved % chunk === 0) yield;
      }
      while (i < mid) to[k++] = from[i++] as T;
      while (j < hi) to[k++] = from[j++] as T;
    }
    [from, to] = [to, from];
    yield;
  }
  if (from !== items) for (let i = 0; i < items.length; i++) items[i] = from[i] as T;
  return items;
}
