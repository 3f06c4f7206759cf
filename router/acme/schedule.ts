const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** When to renew a certificate and how often to check, for certificates of a given lifetime. */
export interface RenewalSchedule {
  /** Renew once less than this is left before expiry. */
  readonly renewBeforeMs: number;
  /** How often certificates are checked. */
  readonly checkEveryMs: number;
}

/**
 * Traefik's renewal schedule (`getCertificateRenewDurations`): 90-day certificates are renewed with 30 days
 * left, checked daily; shorter lifetimes renew and check sooner. Below one hour, where Traefik's 20 minutes
 * would exceed the lifetime, Wharf renews with a third of the lifetime left and checks twelve times per
 * lifetime (at least every second): the same proportion as Traefik's rows.
 */
export function renewalSchedule(certificatesDurationMs: number): RenewalSchedule {
  const d = certificatesDurationMs;
  if (d >= 365 * DAY) return { renewBeforeMs: 4 * 30 * DAY, checkEveryMs: 7 * DAY };
  if (d >= 90 * DAY) return { renewBeforeMs: 30 * DAY, checkEveryMs: DAY };
  if (d >= 30 * DAY) return { renewBeforeMs: 10 * DAY, checkEveryMs: 12 * HOUR };
  if (d >= 6 * DAY) return { renewBeforeMs: 2 * DAY, checkEveryMs: 2 * HOUR };
  if (d >= DAY) return { renewBeforeMs: 6 * HOUR, checkEveryMs: 10 * 60_000 };
  if (d >= HOUR) return { renewBeforeMs: 20 * 60_000, checkEveryMs: 60_000 };
  return { renewBeforeMs: d / 3, checkEveryMs: Math.max(1_000, d / 12) };
}

/**
 * The wait before attempt `failures + 1` of an order that failed `failures` times: exponential with ±20 %
 * jitter. A CA that cannot be reached is retried from 1 s (nothing is spent); a CA that refused the order
 * from 1 min, since Let's Encrypt allows only 5 failed validations per hostname and hour. At most 1 h.
 */
export function retryDelay(
  failures: number,
  refusedByCa: boolean,
  random: () => number = Math.random,
): number {
  const base = refusedByCa ? 60_000 : 1_000;
  const exp = Math.min(HOUR, base * 2 ** Math.max(0, failures - 1));
  return Math.round(exp * (0.8 + 0.4 * random()));
}
