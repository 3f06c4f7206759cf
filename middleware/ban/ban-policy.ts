import type { BanOptions } from '../../config/middlewares/ban.ts';
import { inRanges, parseStatusRanges, type StatusRanges } from '../errors/status-ranges.ts';
import { rejectStatusCode } from '../go-status-text.ts';
import type { RequestState } from '../request-state.ts';

// The pure parts of the ban middleware: its options with defaults, what counts as a failure, and how long
// a ban lasts. Defaults are fail2ban's (maxretry 5, findtime 10m, bantime 10m).

/** The ban options with defaults applied, times in milliseconds. */
export interface BanPlan {
  readonly maxRetry: number;
  readonly findTimeMs: number;
  readonly banTimeMs: number;
  readonly multiplier: number;
  readonly maxBanTimeMs: number;
  readonly statusCodes: StatusRanges;
  readonly onWafBlock: boolean;
  readonly onAuthFailure: boolean;
  readonly rejectStatusCode: number;
}

const MINUTE = 60_000;

/** Applies the defaults and checks what the schema cannot; throws a message naming the option. */
export function planBan(options: BanOptions): BanPlan {
  const positive = (name: string, ms: number | undefined, fallback: number) => {
    if (ms === undefined) return fallback;
    if (!(ms > 0)) throw new Error(`${name} must be a positive duration, e.g. 10m`);
    return ms;
  };
  const banTimeMs = positive('banTime', options.banTime, 10 * MINUTE);
  const maxBanTimeMs = positive('maxBanTime', options.maxBanTime, 168 * 60 * MINUTE);
  if (maxBanTimeMs < banTimeMs)
    throw new Error(
      `maxBanTime (${maxBanTimeMs}ms) is shorter than banTime (${banTimeMs}ms): make it at least banTime`,
    );
  return {
    maxRetry: options.maxRetry ?? 5,
    findTimeMs: positive('findTime', options.findTime, 10 * MINUTE),
    banTimeMs,
    multiplier: options.banTimeMultiplier ?? 1,
    maxBanTimeMs,
    statusCodes: parseStatusRanges(options.statusCodes ?? []),
    onWafBlock: options.onWafBlock ?? true,
    onAuthFailure: options.onAuthFailure ?? true,
    rejectStatusCode: rejectStatusCode(options.rejectStatusCode, 429),
  };
}

/** What the ban middleware saw of one finished request. */
export interface RequestOutcome {
  /** The status the client got. */
  readonly status: number;
  /** The edge-security check that refused the request, if one did (middleware/request-state.ts). */
  readonly refusedBy: RequestState['refusedBy'];
  /** Whether the request carried an Authorization header (credentials, as opposed to none at all). */
  readonly sentCredentials: boolean;
}

/**
 * Why the request counts as a failure (a short reason, e.g. `basicAuth`, `status 404`), or undefined.
 * A waf block counts with onWafBlock. An auth refusal counts with onAuthFailure when it refused a login:
 * basicAuth or digestAuth refusing credentials that were sent (a client that sent none only got the
 * challenge, as every browser does on its first visit), forwardAuth answering 401 or 403 (its redirects to
 * a sign-in page are not failures). Otherwise the status counts when statusCodes lists it.
 */
export function failureOf(plan: BanPlan, outcome: RequestOutcome): string | undefined {
  const by = outcome.refusedBy;
  if (by === 'waf' && plan.onWafBlock) return 'waf';
  if (plan.onAuthFailure) {
    if ((by === 'basicAuth' || by === 'digestAuth') && outcome.sentCredentials) return by;
    if (by === 'forwardAuth' && (outcome.status === 401 || outcome.status === 403)) return by;
  }
  return inRanges(plan.statusCodes, outcome.status) ? `status ${outcome.status}` : undefined;
}

/**
 * How long ban number `offence` (1 for a first ban) lasts: banTime × multiplier^(offence − 1), at most
 * maxBanTime.
 */
export function banDurationMs(plan: BanPlan, offence: number): number {
  const grown = plan.banTimeMs * plan.multiplier ** Math.max(0, offence - 1);
  return Math.min(plan.maxBanTimeMs, grown);
}

/**
 * How long after a ban ends the client is still a repeat offender: maxBanTime when bans grow, nothing when
 * they do not (the record is then forgotten as the ban ends).
 */
export function rememberMs(plan: BanPlan): number {
  return plan.multiplier > 1 ? plan.maxBanTimeMs : 0;
}
