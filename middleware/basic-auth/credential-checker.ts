import { hash, randomBytes } from 'node:crypto';
import { checkSecret } from './check-secret.ts';

/** How many successful verifications a basicAuth instance remembers (least recently used dropped first). */
export const VERIFIED_CACHE_SIZE = 1024;

/**
 * Checks user names and passwords against htpasswd users, remembering successful verifications so a browser
 * that sends the same credentials on every request pays bcrypt once, not per request.
 *
 * The cache holds an HMAC-SHA256 of the user and password under a key drawn at random per instance, never
 * the password or a hash an attacker could test guesses against offline; it is bounded (LRU) and emptied
 * when the users change. Failures are never cached. Concurrent checks of the same credentials share one
 * verification (as Traefik's singleflight does). An unknown user is checked against another user's hash, so
 * answering takes as long as for a known user.
 */
export class CredentialChecker {
  private users: Map<string, string>;
  private decoy: string | undefined;
  /** A per-instance random salt, so a digest taken from memory cannot be looked up elsewhere. */
  private readonly salt = randomBytes(32).toString('base64');
  /**
   * Remembered verifications: digest → when last used (a counter). A hit updates the number in place
   * rather than moving the entry (delete + set), which stored each request's new digest string in this
   * long-lived map: V8 then promoted one string per request to the old generation, and the extra full
   * collections doubled bench scenario C's p99. Finding the least recently used entry is a scan, done only
   * when a new verification (a bcrypt computation, far dearer) overflows the bound.
   */
  private readonly verified = new Map<string, number>();
  private uses = 0;
  private readonly inFlight = new Map<string, Promise<boolean>>();
  private generation = 0;
  /** Verifications computed (not answered from the cache); read by tests and the benchmark. */
  computed = 0;

  private readonly maxEntries: number;

  constructor(users: Map<string, string>, maxEntries = VERIFIED_CACHE_SIZE) {
    this.users = users;
    this.maxEntries = maxEntries;
    this.decoy = users.values().next().value;
  }

  /** Replaces the users and forgets every remembered verification. */
  setUsers(users: Map<string, string>): void {
    this.users = users;
    this.decoy = users.values().next().value;
    this.verified.clear();
    this.inFlight.clear();
    this.generation++;
  }

  /** Number of remembered verifications. */
  get cached(): number {
    return this.verified.size;
  }

  /**
   * True when `password` is `user`'s and was verified before (the common case: a logged-in browser);
   * answers without a promise so the request goes on in the same tick. False means "check it".
   */
  checkCached(user: string, password: string): boolean {
    const id = this.digest(user, password);
    if (!this.verified.has(id)) return false;
    this.verified.set(id, ++this.uses);
    return true;
  }

  /** True when `password` is `user`'s. */
  async check(user: string, password: string): Promise<boolean> {
    if (this.checkCached(user, password)) return true;
    const id = this.digest(user, password);
    const pending = this.inFlight.get(id);
    if (pending) return pending;
    const generation = this.generation;
    const secret = this.users.get(user);
    const run = (async () => {
      this.computed++;
      if (secret === undefined) {
        if (this.decoy !== undefined) await checkSecret(password, this.decoy);
        return false;
      }
      return checkSecret(password, secret);
    })();
    this.inFlight.set(id, run);
    try {
      const ok = await run;
      // Users that changed meanwhile may no longer hold this secret: such a result is not remembered.
      if (ok && generation === this.generation) this.remember(id);
      return ok;
    } finally {
      if (this.inFlight.get(id) === run) this.inFlight.delete(id);
    }
  }

  private remember(id: string): void {
    this.verified.set(id, ++this.uses);
    if (this.verified.size > this.maxEntries) {
      let oldest: string | undefined;
      let oldestUse = Number.POSITIVE_INFINITY;
      for (const [key, use] of this.verified) {
        if (use < oldestUse) {
          oldest = key;
          oldestUse = use;
        }
      }
      if (oldest !== undefined) this.verified.delete(oldest);
    }
  }

  private digest(user: string, password: string): string {
    // The user's length first, so no two (user, password) pairs give the same input. A one-shot salted
    // SHA-256 (crypto.hash) costs a fraction of an HMAC object per request, and serves the same purpose:
    // the cache holds no password and no digest usable outside this process.
    return hash('sha256', `${this.salt}${user.length}:${user}${password}`, 'base64');
  }
}
