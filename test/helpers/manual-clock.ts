import type { Clock, ClockTimer } from '../../middleware/clock.ts';

/** A clock a test moves by hand: timers fire (in due order) only inside `advance`. */
export interface ManualClock extends Clock {
  advance(ms: number): void;
  /** Timers started and neither fired nor cancelled. */
  readonly pending: number;
}

/** A manual clock starting at `start` milliseconds since the epoch. */
export function manualClock(start = 1_700_000_000_000): ManualClock {
  let now = start;
  const timers = new Set<{ at: number; fn: () => void }>();
  return {
    now: () => now,
    setTimeout: (fn, ms): ClockTimer => {
      const t = { at: now + ms, fn };
      timers.add(t);
      return { cancel: () => timers.delete(t) };
    },
    advance(ms) {
      const end = now + ms;
      for (;;) {
        let first: { at: number; fn: () => void } | undefined;
        for (const t of timers) if (t.at <= end && (!first || t.at < first.at)) first = t;
        if (!first) break;
        timers.delete(first);
        now = Math.max(now, first.at);
        first.fn();
      }
      now = end;
    },
    get pending() {
      return timers.size;
    },
  };
}
