import type { PassiveHealthCheck } from '../../config/load-balancing.ts';
import type { Logger } from '../../core/log.ts';
import { redactUrls } from '../../core/redact.ts';
import type { Clock, ClockTimer } from '../../middleware/clock.ts';

/** Traefik's default failureWindow (PassiveServerHealthCheck.SetDefaults): 10s. */
export const DEFAULT_FAILURE_WINDOW = 10_000;
/** Traefik's default maxFailedAttempts: out at the first failure. */
export const DEFAULT_MAX_FAILED_ATTEMPTS = 1;

interface ServerState {
  failures: number[];
  down: boolean;
  timer: ClockTimer | undefined;
}

/**
 * Passive health checks of a load balancer's servers (Traefik's `passiveHealthCheck`), judged on real
 * requests: a connection error or a 5xx answer is a failure, anything else a success that forgets the
 * failures. `maxFailedAttempts` failures within `failureWindow` take the server out for `failureWindow`;
 * with an active health check too, it stays out until the next probe that finds it healthy instead.
 */
export class PassiveHealth {
  private readonly servers = new Map<string, ServerState>();
  private readonly window: number;
  private readonly max: number;
  private readonly service: string;
  private readonly hasActive: boolean;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private stopped = false;

  constructor(
    service: string,
    servers: readonly string[],
    options: PassiveHealthCheck,
    hasActive: boolean,
    deps: { clock: Clock; logger: Logger },
  ) {
    this.service = service;
    this.window = options.failureWindow ?? DEFAULT_FAILURE_WINDOW;
    this.max = options.maxFailedAttempts ?? DEFAULT_MAX_FAILED_ATTEMPTS;
    this.hasActive = hasActive;
    this.clock = deps.clock;
    this.logger = deps.logger;
    for (const s of servers) this.servers.set(s, { failures: [], down: false, timer: undefined });
  }

  /** False while passive checking holds the server out. */
  isUp(server: string): boolean {
    return this.servers.get(server)?.down !== true;
  }

  /** Servers passive checking holds out. */
  downServers(): string[] {
    return [...this.servers].filter(([, s]) => s.down).map(([url]) => url);
  }

  /** Records the outcome of one request to `server`: `ok` for an answer below 500. */
  report(server: string, ok: boolean): void {
    const s = this.servers.get(server);
    if (!s || this.stopped) return;
    if (ok) {
      s.failures = [];
      return;
    }
    const now = this.clock.now();
    s.failures.push(now);
    // Only failures inside the window count. As in Traefik, when none is (a window of 0 or less), all do.
    const start = now - this.window;
    const first = s.failures.findIndex((t) => t > start);
    if (first > 0) s.failures = s.failures.slice(first);
    if (s.failures.length < this.max || s.down) return;
    s.down = true;
    this.logger.warn(
      { service: this.service, server: redactUrls(server), failures: s.failures.length },
      'server is DOWN (passive health check)',
    );
    // With an active check, its next healthy probe brings the server back (activeResult).
    if (this.hasActive) return;
    s.timer = this.clock.setTimeout(() => this.bringBack(server), Math.max(this.window, 0));
  }

  /** An active probe's verdict: a healthy one ends the passive hold, as Traefik's probe sets the status. */
  activeResult(server: string, up: boolean): void {
    if (up) this.bringBack(server);
  }

  /** Cancels the timers; the state is dropped with the service. */
  stop(): void {
    this.stopped = true;
    for (const s of this.servers.values()) s.timer?.cancel();
  }

  private bringBack(server: string): void {
    const s = this.servers.get(server);
    if (!s?.down || this.stopped) return;
    s.down = false;
    s.timer?.cancel();
    s.timer = undefined;
    this.logger.info(
      { service: this.service, server: redactUrls(server) },
      'server is UP (passive health check)',
    );
  }
}
