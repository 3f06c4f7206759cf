import type { HealthCheck } from '../../config/dynamic.ts';
import { type Dispatcher, redirectInterceptor, request } from '../../core/http-client.ts';
import type { Logger } from '../../core/log.ts';
import { redactUrls } from '../../core/redact.ts';
import type { ServerHealth } from './service.ts';

const DEFAULT_INTERVAL = 30_000;
const DEFAULT_TIMEOUT = 5_000;
const MAX_REDIRECTS = 10;

/** A positive duration, or the default (Traefik ignores zero and negative intervals the same way). */
export const positiveOr = (ms: number | undefined, fallback: number): number =>
  ms !== undefined && ms > 0 ? ms : fallback;

/** The URL probed for a server: the server's origin with the check's scheme, port and path. */
export function probeUrl(serverUrl: string, hc: HealthCheck): string {
  const u = new URL(serverUrl);
  if (hc.scheme) u.protocol = `${hc.scheme}:`;
  if (hc.port) u.port = String(hc.port);
  const path = hc.path ?? '/';
  const q = path.indexOf('?');
  u.pathname = q === -1 ? path : path.slice(0, q);
  u.search = q === -1 ? '' : path.slice(q);
  return u.toString();
}

/**
 * Active health checks of a load balancer's servers. Each server is probed at once and then every
 * `interval` (`unhealthyInterval` while down); 2xx/3xx (or exactly `status`) is healthy. Servers start
 * UP so a fresh service serves at once, as Traefik's do; a state change is logged once.
 */
export class HealthChecker {
  private readonly state = new Map<string, ServerHealth>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly controller = new AbortController();
  private stopped = false;
  private readonly service: string;
  private readonly hc: HealthCheck;
  private readonly logger: Logger;
  private readonly dispatcher: Dispatcher;
  /** Told every probe's verdict (the passive check ends its hold on a healthy one, as in Traefik). */
  onProbe: ((server: string, up: boolean) => void) | undefined;

  constructor(
    service: string,
    servers: readonly string[],
    hc: HealthCheck,
    deps: { logger: Logger; sideTraffic: Dispatcher },
  ) {
    this.service = service;
    this.hc = hc;
    this.logger = deps.logger;
    // Traefik follows redirects by default and judges the final answer.
    this.dispatcher =
      hc.followRedirects === false
        ? deps.sideTraffic
        : deps.sideTraffic.compose(redirectInterceptor({ maxRedirections: MAX_REDIRECTS }));
    for (const s of servers) this.state.set(s, 'UP');
  }

  /** Starts probing every server now. */
  start(): void {
    for (const s of this.state.keys()) this.schedule(s, 0);
  }

  /** Whether a server is currently considered healthy. */
  isUp(server: string): boolean {
    return this.state.get(server) !== 'DOWN';
  }

  /** Server URL → health. */
  status(): Record<string, ServerHealth> {
    return Object.fromEntries(this.state);
  }

  /** Stops every timer and aborts probes in flight. */
  stop(): void {
    this.stopped = true;
    this.controller.abort();
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  private schedule(server: string, delay: number): void {
    if (this.stopped) return;
    const t = setTimeout(() => {
      this.probe(server).then(
        () => {},
        (err: unknown) =>
          this.logger.error(
            { err, service: this.service, server: redactUrls(server) },
            'health check failed unexpectedly',
          ),
      );
    }, delay);
    t.unref();
    this.timers.set(server, t);
  }

  private async probe(server: string): Promise<void> {
    const hc = this.hc;
    let healthy = false;
    let reason = '';
    try {
      const headers: Record<string, string> = { ...(hc.headers ?? {}) };
      if (hc.hostname) headers.host = hc.hostname;
      const res = await request(probeUrl(server, hc), {
        method: (hc.method ?? 'GET').toUpperCase() as 'GET',
        headers,
        dispatcher: this.dispatcher,
        signal: AbortSignal.any([
          this.controller.signal,
          AbortSignal.timeout(positiveOr(hc.timeout, DEFAULT_TIMEOUT)),
        ]),
      });
      await res.body.dump();
      healthy =
        hc.status !== undefined
          ? res.statusCode === hc.status
          : res.statusCode >= 200 && res.statusCode < 400;
      if (!healthy) reason = `status ${res.statusCode}`;
    } catch (err) {
      if (this.stopped) return;
      reason = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    }
    if (this.stopped) return;
    const next: ServerHealth = healthy ? 'UP' : 'DOWN';
    this.onProbe?.(server, healthy);
    if (this.state.get(server) !== next) {
      this.state.set(server, next);
      // Logs never show a password of the server URL.
      const shown = redactUrls(server);
      if (next === 'DOWN')
        this.logger.warn(
          { service: this.service, server: shown, reason: redactUrls(reason) },
          'server is DOWN',
        );
      else this.logger.info({ service: this.service, server: shown }, 'server is UP');
    }
    const interval = positiveOr(hc.interval, DEFAULT_INTERVAL);
    this.schedule(server, next === 'UP' ? interval : positiveOr(hc.unhealthyInterval, interval));
  }
}
