/**
 * A token bucket: `burst` reads at once, then one every `intervalMs`. Consul's docs ask watchers to rate
 * limit their loop so a busy KV cannot make them spin; the router also throttles reloads per provider.
 */
export class ReadLimiter {
  private tokens: number;
  private last: number;
  private readonly burst: number;
  private readonly intervalMs: number;
  private readonly now: () => number;

  constructor(burst: number, intervalMs: number, now: () => number = Date.now) {
    this.burst = burst;
    this.intervalMs = intervalMs;
    this.now = now;
    this.tokens = burst;
    this.last = now();
  }

  /** Milliseconds to wait before the next read may start (0: now); takes the token. */
  take(): number {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + (t - this.last) / this.intervalMs);
    this.last = t;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    const wait = Math.ceil((1 - this.tokens) * this.intervalMs);
    this.tokens -= 1;
    return wait;
  }
}
