/** Clients whose recent failures one ban instance remembers before the least recently seen is dropped. */
export const MAX_CLIENTS = 1 << 16;

interface Window {
  /** Times (ms) of the failures still inside findTime, oldest first; at most maxRetry of them. */
  times: number[];
  reasons: string[];
}

/**
 * The recent failures of each client, as fail2ban counts them: a failure older than findTime no longer
 * counts. Memory is bounded: at most `capacity` clients, the least recently seen one dropped first (a Map
 * keeps insertion order; a client seen again is moved to the end), and at most maxRetry times each.
 */
export class FailureWindows {
  readonly #capacity: number;
  readonly #clients = new Map<string, Window>();

  constructor(capacity = MAX_CLIENTS) {
    this.#capacity = capacity;
  }

  /** Clients remembered now. */
  get size(): number {
    return this.#clients.size;
  }

  /**
   * Records a failure of `client` at `now` and returns the reasons of the failures within findTime (this
   * one included); when they reach maxRetry the caller bans and calls `forget`.
   */
  record(client: string, now: number, reason: string, findTimeMs: number, maxRetry: number): string[] {
    let w = this.#clients.get(client);
    if (w) this.#clients.delete(client);
    else {
      w = { times: [], reasons: [] };
      if (this.#clients.size >= this.#capacity) {
        const oldest = this.#clients.keys().next().value as string;
        this.#clients.delete(oldest);
      }
    }
    this.#clients.set(client, w);
    let drop = 0;
    while (drop < w.times.length && (w.times[drop] as number) <= now - findTimeMs) drop++;
    drop = Math.max(drop, w.times.length + 1 - maxRetry);
    if (drop > 0) {
      w.times.splice(0, drop);
      w.reasons.splice(0, drop);
    }
    w.times.push(now);
    w.reasons.push(reason);
    return w.reasons.slice();
  }

  /** Forgets a client's failures (it was just banned). */
  forget(client: string): void {
    this.#clients.delete(client);
  }
}

/** A ban's reason from the failures that caused it: `5 failures within 10m: basicAuth ×3, status 404 ×2`. */
export function banReason(reasons: readonly string[], findTime: string): string {
  const counts = new Map<string, number>();
  for (const r of reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
  const parts = [...counts].map(([r, n]) => (n === 1 ? r : `${r} ×${n}`));
  return `${reasons.length} failure${reasons.length === 1 ? '' : 's'} within ${findTime}: ${parts.join(', ')}`;
}
