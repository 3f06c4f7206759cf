const MASK32 = 0xffffffff;
const TWO_POW_32 = 2 ** 32;
const TWO_POW_64 = 2 ** 64;

/**
 * FNV-1a 64-bit hash of the UTF-8 bytes of `text` (Go's hash/fnv New64a), as the two 32-bit halves
 * `[high, low]`. Done on 32-bit halves because a BigInt per byte costs far more on the request path.
 */
export function fnv1a64(text: string): [number, number] {
  let hi = 0xcbf29ce4;
  let lo = 0x84222325;
  const bytes = Buffer.from(text, 'utf8');
  for (let i = 0; i < bytes.length; i++) {
    lo = (lo ^ (bytes[i] as number)) >>> 0;
    // h * 0x100000001b3 = h * 0x1b3 + (h << 40), modulo 2^64.
    const low = lo * 0x1b3;
    const carry = Math.floor(low / TWO_POW_32);
    hi = (hi * 0x1b3 + carry + ((lo << 8) >>> 0)) % TWO_POW_32;
    lo = (low & MASK32) >>> 0;
  }
  return [hi >>> 0, lo];
}

/**
 * Traefik's rendezvous score of a target for a key: the hash of key + target name as a number in [0, 1),
 * turned into 1 / -ln(x) and multiplied by the weight, so the highest score wins in proportion to weight.
 */
export function hrwScore(key: string, name: string, weight: number): number {
  const [hi, lo] = fnv1a64(key + name);
  const x = (hi * TWO_POW_32 + lo) / TWO_POW_64;
  return (1 / -Math.log(x)) * weight;
}

/**
 * Highest random weight (rendezvous hashing; Traefik's `hrw` strategy and highestRandomWeight service):
 * each key (the client IP) goes to the target with the highest score among those up, so a client keeps
 * reaching the same target while it is up, and only the clients of a target that goes down move.
 * Targets of weight 0 (or less) are left out, as in Traefik.
 */
export class HighestRandomWeight<T> {
  private readonly entries: ReadonlyArray<{ item: T; name: string; weight: number }>;

  constructor(items: ReadonlyArray<{ item: T; name: string; weight: number }>) {
    this.entries = items.filter((i) => i.weight > 0);
  }

  /** Number of targets with a positive weight. */
  get size(): number {
    return this.entries.length;
  }

  /** The target for `key` among those `isUp` accepts, or undefined when none is up. */
  next(isUp: ((item: T) => boolean) | undefined, key: string): T | undefined {
    let best: T | undefined;
    let first: T | undefined;
    let bestScore = 0;
    for (const e of this.entries) {
      if (isUp && !isUp(e.item)) continue;
      first ??= e.item;
      const s = hrwScore(key, e.name, e.weight);
      // Strictly greater, from 0, as Traefik: the first of equal scores wins.
      if (s > bestScore) {
        best = e.item;
        bestScore = s;
      }
    }
    // A score of 0 needs a hash of exactly 0; Traefik would fail there, the first target up answers.
    best ??= first;
    return best;
  }
}
