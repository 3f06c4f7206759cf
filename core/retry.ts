const BACKOFF_MIN_MS = 100;
const BACKOFF_MAX_MS = 30_000;

/** Exponential backoff with jitter for provider reconnects: 50-100 ms, then doubling, capped at 15-30 s. */
export function backoffDelay(attempt: number): number {
  const cap = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** attempt);
  return cap / 2 + Math.random() * (cap / 2);
}

/** Waits `ms`, or less when `signal` aborts first; never rejects. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
