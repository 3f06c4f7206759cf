import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../clock.ts';

/** How long a nonce can be used: Apache's mod_auth_digest default (AuthDigestNonceLifetime 300). */
export const NONCE_LIFETIME_MS = 300_000;
/** Nonces whose use is tracked at most; past this the least recently first-used is dropped. */
export const TRACKED_NONCES = 10_000;

const TIME = 8;
const RANDOM = 16;
const MAC = 16;

/** What a nonce and its count amount to: `ok`, `replay` (count not above the last one), `stale`, `unknown`. */
export type NonceVerdict = 'ok' | 'replay' | 'stale' | 'unknown';

/**
 * Digest nonces: random, signed, expiring, single-count. A nonce is its issue time, 16 random bytes and an
 * HMAC of both under a per-instance key, so issuing one stores nothing (a client without credentials cannot
 * fill memory). Its use is tracked from the first authenticated request: each request must carry a higher
 * nonce count (nc) than the last, so a captured request cannot be replayed. At most `max` nonces are
 * tracked; when one is dropped, every nonce issued up to its issue time is refused as stale from then on,
 * so a dropped nonce can never be used again, and the client simply gets a fresh nonce.
 */
export class NonceStore {
  private readonly key = randomBytes(32);
  /** Last nonce count per tracked nonce, in order of first use. */
  private readonly lastCount = new Map<string, { issued: number; nc: bigint }>();
  /** Nonces issued at or before this time and not tracked are no longer accepted. */
  private floor = -1;

  private readonly clock: Clock;
  private readonly lifetimeMs: number;
  private readonly max: number;

  constructor(clock: Clock, lifetimeMs = NONCE_LIFETIME_MS, max = TRACKED_NONCES) {
    this.clock = clock;
    this.lifetimeMs = lifetimeMs;
    this.max = max;
  }

  /** Number of nonces whose counts are tracked. */
  get tracked(): number {
    return this.lastCount.size;
  }

  /** A new nonce. */
  issue(): string {
    const body = Buffer.alloc(TIME + RANDOM);
    body.writeBigUInt64BE(BigInt(this.clock.now()));
    randomBytes(RANDOM).copy(body, TIME);
    return Buffer.concat([body, this.mac(body)]).toString('base64url');
  }

  /**
   * Whether `nonce` may be used with count `nc` (already checked to be a hex number); records the count when
   * it may. Call only after the client's response proved it knows the password, so only authenticated
   * requests take memory.
   */
  use(nonce: string, nc: bigint): NonceVerdict {
    const issued = this.issuedAt(nonce);
    if (issued === undefined) return 'unknown';
    if (this.clock.now() - issued > this.lifetimeMs) {
      this.lastCount.delete(nonce);
      return 'stale';
    }
    const seen = this.lastCount.get(nonce);
    if (seen === undefined) {
      if (issued <= this.floor) return 'stale';
      this.lastCount.set(nonce, { issued, nc });
      this.evict();
      return 'ok';
    }
    // The same count again is a replay; a lower one is a request overtaken by a later one of the same
    // client (pipelining), which go-http-auth answers as stale so the browser retries without a prompt.
    if (nc === seen.nc) return 'replay';
    if (nc < seen.nc) return 'stale';
    seen.nc = nc;
    return 'ok';
  }

  /** The issue time of a nonce this store signed, or undefined for any other text. */
  private issuedAt(nonce: string): number | undefined {
    if (!/^[A-Za-z0-9_-]+$/.test(nonce)) return;
    const raw = Buffer.from(nonce, 'base64url');
    if (raw.length !== TIME + RANDOM + MAC) return;
    const body = raw.subarray(0, TIME + RANDOM);
    if (!timingSafeEqual(raw.subarray(TIME + RANDOM), this.mac(body))) return;
    return Number(body.readBigUInt64BE());
  }

  private evict(): void {
    const now = this.clock.now();
    for (const [nonce, entry] of this.lastCount) {
      const expired = now - entry.issued > this.lifetimeMs;
      if (!expired && this.lastCount.size <= this.max) break;
      this.lastCount.delete(nonce);
      if (!expired) this.floor = Math.max(this.floor, entry.issued);
    }
  }

  private mac(body: Buffer): Buffer {
    return createHmac('sha256', this.key).update(body).digest().subarray(0, MAC);
  }
}
