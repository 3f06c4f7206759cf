import type { ConnectionOptions } from 'node:tls';
import type { HealthCheck } from '../../config/dynamic.ts';
import {
  Agent,
  buildConnector,
  type Dispatcher,
  redirectInterceptor,
  request,
} from '../../core/http-client.ts';
import type { Logger } from '../../core/log.ts';
import { redactUrls } from '../../core/redact.ts';
import {
  clientCertChoice,
  tlsConnectOptions,
  tlsServerName,
  withClientCert,
} from '../proxy/transport-tls.ts';
import { GRPC_HEALTH, grpcHealthVerdict, h2Probe } from './h2-probe.ts';
import { MAX_PROBE_REDIRECTS, probeRedirect } from './probe-redirect.ts';
import type { TransportSettings } from './servers-transport.ts';
import type { ServerHealth } from './service.ts';

const DEFAULT_INTERVAL = 30_000;
const DEFAULT_TIMEOUT = 5_000;

/** A positive duration, or the default (Traefik ignores zero and negative intervals the same way). */
export const positiveOr = (ms: number | undefined, fallback: number): number =>
  ms !== undefined && ms > 0 ? ms : fallback;

/** The URL probed for a server: the server's origin with the check's scheme, port and path. */
export function probeUrl(serverUrl: string, hc: HealthCheck): string {
  // h2c:// is no special scheme for URL (no default port, "null" origin): probe it as http://.
  const u = new URL(serverUrl.startsWith('h2c://') ? `http://${serverUrl.slice(6)}` : serverUrl);
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
  /** The dispatcher of this checker's own, with the transport's TLS settings (closed on stop). */
  private readonly own: Agent | undefined;
  private readonly transport: TransportSettings | undefined;
  private readonly tlsOptions: ConnectionOptions;
  /** Told every probe's verdict (the passive check ends its hold on a healthy one, as in Traefik). */
  onProbe: ((server: string, up: boolean) => void) | undefined;

  constructor(
    service: string,
    servers: readonly string[],
    hc: HealthCheck,
    deps: { logger: Logger; sideTraffic: Dispatcher },
    transport?: TransportSettings,
  ) {
    this.service = service;
    this.hc = hc;
    this.logger = deps.logger;
    this.transport = transport;
    this.tlsOptions = tlsConnectOptions(transport?.tls);
    // Probes use the service's servers transport, as Traefik's do: its CAs, client certificate, server
    // name and checks for https servers (and its dial timeout). Files are read here; a bad one throws.
    this.own =
      transport !== undefined && servers.some((s) => /^https:|^h2c:/.test(s) || hc.scheme === 'https')
        ? transportAgent(transport)
        : undefined;
    const base = this.own ?? deps.sideTraffic;
    // Traefik follows redirects by default and judges the final answer.
    this.dispatcher =
      hc.followRedirects === false
        ? base
        : base.compose(redirectInterceptor({ maxRedirections: MAX_PROBE_REDIRECTS }));
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
    this.own?.destroy().catch(() => undefined);
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

  /**
   * One probe of a server: the HTTP status, or why a gRPC check failed. gRPC checks and h2c servers use
   * HTTP/2 on a connection of their own (gRPC over TLS for https servers, where Traefik's gRPC check can
   * only speak cleartext); the others go through undici, following redirects unless told not to.
   */
  private async ask(server: string, signal: AbortSignal): Promise<number | string> {
    const hc = this.hc;
    const url = new URL(probeUrl(server, hc));
    const h2c = server.startsWith('h2c://') && hc.scheme === undefined;
    if (hc.mode === 'grpc') {
      const tls = url.protocol === 'https:' ? await this.h2Tls(url) : undefined;
      url.pathname = GRPC_HEALTH.path;
      url.search = '';
      const res = await h2Probe({
        url,
        method: 'POST',
        headers: GRPC_HEALTH.headers,
        authority: url.host,
        tls,
        body: GRPC_HEALTH.body,
        signal,
      });
      return grpcHealthVerdict(res) ?? 200;
    }
    const headers: Record<string, string> = { ...(hc.headers ?? {}) };
    const method = (hc.method ?? 'GET').toUpperCase();
    if (h2c) return this.askH2c(url, method, headers, signal);
    return this.askHttp1(url, method, hc.hostname ? { ...headers, host: hc.hostname } : headers, signal);
  }

  /** A probe through undici (HTTP/1.1, or https), following redirects unless told not to. */
  private async askHttp1(
    url: URL,
    method: string,
    headers: Record<string, string>,
    signal: AbortSignal,
  ): Promise<number> {
    const res = await request(url, { method: method as 'GET', headers, dispatcher: this.dispatcher, signal });
    await res.body.dump();
    return res.statusCode;
  }

  /**
   * A probe of an h2c:// server over HTTP/2, following redirects (unless `followRedirects: false`) as
   * Go's client does for Traefik: at most 10, over h2c while they stay on the server's host and port; a
   * redirect elsewhere goes as its URL says, through undici. A custom Host (`hostname`) is kept across
   * relative redirects only, as in Go.
   */
  private async askH2c(
    start: URL,
    method: string,
    headers: Record<string, string>,
    signal: AbortSignal,
  ): Promise<number> {
    let url = start;
    let current = method;
    let authority = this.hc.hostname ?? url.host;
    for (let hops = 0; ; hops++) {
      const res = await h2Probe({ url, method: current, headers, authority, signal });
      const location = res.headers.location;
      const next =
        this.hc.followRedirects === false
          ? undefined
          : probeRedirect(url, res.status, typeof location === 'string' ? location : undefined, current);
      if (!next) return res.status;
      if (hops >= MAX_PROBE_REDIRECTS) throw new Error(`stopped after ${MAX_PROBE_REDIRECTS} redirects`);
      if (next.absolute) authority = next.url.host;
      if (next.url.protocol !== 'http:' || next.url.host !== url.host) {
        const sent = authority === next.url.host ? headers : { ...headers, host: authority };
        return this.askHttp1(next.url, next.method, sent, signal);
      }
      url = next.url;
      current = next.method;
    }
  }

  /** TLS options for an HTTP/2 probe of an https server: the transport's, with its server name. */
  private async h2Tls(url: URL): Promise<ConnectionOptions> {
    const name = tlsServerName(url.hostname, this.transport?.tls);
    const base = { ...this.tlsOptions, ...(name === null ? {} : { servername: name }) };
    const choice = clientCertChoice(this.transport?.tls);
    if (!choice) return base;
    const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    const timeoutMs = this.transport?.connectTimeoutMs ?? 30_000;
    const probe = { host, port: Number(url.port) || 443, servername: name ?? undefined, timeoutMs };
    return withClientCert(base, await choice.choose(probe));
  }

  private async probe(server: string): Promise<void> {
    const hc = this.hc;
    let healthy = false;
    let reason = '';
    try {
      const signal = AbortSignal.any([
        this.controller.signal,
        AbortSignal.timeout(positiveOr(hc.timeout, DEFAULT_TIMEOUT)),
      ]);
      const status = await this.ask(server, signal);
      healthy = typeof status === 'number' && (hc.mode === 'grpc' || judge(status, hc.status));
      if (!healthy) reason = typeof status === 'number' ? `status ${status}` : status;
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

/** Traefik's verdict on an HTTP answer: exactly `status` when set, else any 2xx or 3xx. */
export function judge(statusCode: number, expected: number | undefined): boolean {
  return expected !== undefined ? statusCode === expected : statusCode >= 200 && statusCode < 400;
}

/**
 * An undici Agent with a servers transport's TLS options, dial timeout and TLS server name (the server
 * URL's host or serverName, never the probe's Host header, as Go's transport does).
 */
function transportAgent(transport: TransportSettings): Agent {
  const tls = tlsConnectOptions(transport.tls);
  const timeout = transport.connectTimeoutMs;
  const connector = buildConnector({ ...tls, timeout });
  // Several client certificates: the one each server accepts (router/proxy/client-cert-choice.ts).
  const choice = clientCertChoice(transport.tls);
  return new Agent({
    connect: (opts, callback) => {
      if (opts.protocol !== 'https:') return connector(opts, callback);
      const servername = tlsServerName(opts.hostname, transport.tls) ?? undefined;
      if (!choice) return connector({ ...opts, servername }, callback);
      const host = opts.hostname.startsWith('[') ? opts.hostname.slice(1, -1) : opts.hostname;
      choice.choose({ host, port: Number(opts.port) || 443, servername, timeoutMs: timeout }).then(
        (chosen) =>
          buildConnector({ ...withClientCert(tls, chosen), timeout })({ ...opts, servername }, callback),
        (err: Error) => callback(err, null),
      );
    },
  });
}
