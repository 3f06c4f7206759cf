/** Sources remembered per rateLimit instance before the least recently used one is dropped (4 × Traefik's 65,536; ~100 B each, measured by bench/rate-limit-memory.ts). */
export const MAX_SOURCES = 1 << 18;

const NONE = -1;

/**
 * A token bucket per source, as golang.org/x/time/rate's Limiter that Traefik keeps per source: `burst`
 * tokens at first, refilled at `rate` tokens per second up to `burst`, tokens fractional.
 *
 * Memory: a Map from source to a slot, the slot's state in typed arrays (tokens, time, LRU links), grown
 * by doubling up to `capacity`; a new source beyond it takes the least recently used source's slot. A
 * source whose bucket has refilled is dropped lazily (it would start full anyway), so idle sources cost
 * nothing after a while; Traefik instead forgets a source after 1 + max(1, 1/rate) idle seconds, even
 * when its bucket had not refilled yet (see docs/middlewares/rate-limit.md).
 */
export class TokenBuckets {
  readonly #rate: number;
  readonly #burst: number;
  readonly #capacity: number;
  readonly #index = new Map<string, number>();
  #keys: string[] = [];
  #tokens: Float64Array;
  #last: Float64Array;
  #prev: Int32Array;
  #next: Int32Array;
  #head = NONE;
  #tail = NONE;
  #free: number[] = [];

  /** `rate` in tokens per second (> 0), `burst` ≥ 1, `capacity` ≥ 1 sources. */
  constructor(rate: number, burst: number, capacity = MAX_SOURCES, initial = 64) {
    this.#rate = rate;
    this.#burst = burst;
    this.#capacity = capacity;
    const size = Math.min(initial, capacity);
    this.#tokens = new Float64Array(size);
    this.#last = new Float64Array(size);
    this.#prev = new Int32Array(size);
    this.#next = new Int32Array(size);
  }

  /** Sources currently remembered. */
  get size(): number {
    return this.#index.size;
  }

  /**
   * Takes a token for `source` at `now` (ms). Returns the wait in whole nanoseconds until the token
   * exists (0: available now). When that wait exceeds `maxDelayNs` nothing is taken (Traefik cancels
   * the reservation); otherwise the token is taken, possibly in advance.
   */
  take(source: string, now: number, maxDelayNs: number): number {
    let slot = this.#index.get(source);
    if (slot === undefined) {
      this.#dropRefilledTail(now);
      slot = this.#allocate(source);
      this.#tokens[slot] = this.#burst;
      this.#last[slot] = now;
    } else this.#touch(slot);
    // Go's advance: time going backwards counts as no time.
    const elapsed = Math.max(0, now - (this.#last[slot] as number)) / 1000;
    const tokens = Math.min(this.#burst, (this.#tokens[slot] as number) + elapsed * this.#rate);
    this.#last[slot] = now;
    const after = tokens - 1;
    // Go's durationFromTokens truncates to whole nanoseconds.
    const wait = after < 0 ? Math.floor((-after / this.#rate) * 1e9) : 0;
    this.#tokens[slot] = wait > maxDelayNs ? tokens : after;
    return wait;
  }

  /** The least recently used source, dropped when its bucket is full again: it would start full anyway. */
  #dropRefilledTail(now: number): void {
    const t = this.#tail;
    if (t === NONE) return;
    const refill = ((now - (this.#last[t] as number)) / 1000) * this.#rate;
    if ((this.#tokens[t] as number) + refill >= this.#burst) this.#release(t);
  }

  #allocate(source: string): number {
    let slot = this.#free.pop();
    if (slot === undefined) {
      const used = this.#index.size;
      if (used >= this.#capacity) {
        slot = this.#tail;
        this.#unlink(slot);
        this.#index.delete(this.#keys[slot] as string);
      } else {
        if (used >= this.#tokens.length) this.#grow();
        slot = used;
      }
    }
    this.#keys[slot] = source;
    this.#index.set(source, slot);
    this.#pushHead(slot);
    return slot;
  }

  #release(slot: number): void {
    this.#unlink(slot);
    this.#index.delete(this.#keys[slot] as string);
    this.#keys[slot] = '';
    this.#free.push(slot);
  }

  #grow(): void {
    const size = Math.min(this.#capacity, this.#tokens.length * 2);
    const grow = <T extends Float64Array | Int32Array>(a: T, make: (n: number) => T): T => {
      const b = make(size);
      b.set(a);
      return b;
    };
    this.#tokens = grow(this.#tokens, (n) => new Float64Array(n));
    this.#last = grow(this.#last, (n) => new Float64Array(n));
    this.#prev = grow(this.#prev, (n) => new Int32Array(n));
    this.#next = grow(this.#next, (n) => new Int32Array(n));
  }

  #touch(slot: number): void {
    if (slot === this.#head) return;
    this.#unlink(slot);
    this.#pushHead(slot);
  }

  #pushHead(slot: number): void {
    this.#prev[slot] = NONE;
    this.#next[slot] = this.#head;
    if (this.#head !== NONE) this.#prev[this.#head] = slot;
    this.#head = slot;
    if (this.#tail === NONE) this.#tail = slot;
  }

  #unlink(slot: number): void {
    const p = this.#prev[slot] as number;
    const n = this.#next[slot] as number;
    if (p !== NONE) this.#next[p] = n;
    else this.#head = n;
    if (n !== NONE) this.#prev[n] = p;
    else this.#tail = p;
  }
}
