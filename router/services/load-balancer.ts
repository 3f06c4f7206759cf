import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LoadBalancer } from '../../config/dynamic.ts';
import { WharfError } from '../../config/errors.ts';
import { systemClock } from '../../middleware/clock.ts';
import { requestState } from '../../middleware/request-state.ts';
import { beforeResponseHead } from '../../middleware/response-head.ts';
import { createServerForwarder } from '../proxy/h2-forward.ts';
import { HealthChecker } from './health-check.ts';
import { ServerTimes } from './least-time.ts';
import { PassiveHealth } from './passive-health.ts';
import { type TransportSettings, transportSettings } from './servers-transport.ts';
import type { ServiceDeps, ServiceRuntime } from './service.ts';
import { readCookie, stickyPolicy, stickyValue } from './sticky.ts';
import { createChooser } from './strategy.ts';

const DEFAULT_FLUSH_INTERVAL = 100;

interface ServerEntry {
  readonly url: string;
  readonly weight: number;
  readonly forward: ReturnType<typeof createServerForwarder>;
  /** The Set-Cookie that pins a client to this server, when the service is sticky. */
  cookie: string | undefined;
  readonly times: ServerTimes;
}

/**
 * A loadBalancer service: its `strategy` (wrr by default, p2c, hrw, leasttime: router/services/strategy.ts)
 * over its servers, skipping servers the active health check or the passive one (passive-health.ts) holds
 * DOWN, with an optional sticky cookie. An empty or all-down service answers 503. `transport` (its
 * serversTransport's forwardingTimeouts) sets the connect, response-header and idle timeouts.
 */
export function buildLoadBalancer(
  name: string,
  config: LoadBalancer,
  deps: ServiceDeps,
  transport: TransportSettings = transportSettings(undefined),
): ServiceRuntime {
  const servers = config.servers ?? [];
  const forwardOptions = {
    passHostHeader: config.passHostHeader ?? true,
    flushIntervalMs: config.responseForwarding?.flushInterval ?? DEFAULT_FLUSH_INTERVAL,
    headersTimeoutMs: transport.responseHeaderTimeoutMs,
    pool: {
      connectTimeoutMs: transport.connectTimeoutMs,
      idleTimeoutMs: transport.idleTimeoutMs,
      tls: transport.tls,
      maxIdleConnsPerHost: transport.maxIdleConnsPerHost,
    },
    http2: transport.http2,
    readIdleTimeoutMs: transport.readIdleTimeoutMs,
    pingTimeoutMs: transport.pingTimeoutMs,
  };
  const entries: ServerEntry[] = servers.map((s) => ({
    url: s.url,
    weight: s.weight ?? 1,
    forward: createServerForwarder(s, forwardOptions, deps.pools),
    cookie: undefined,
    times: new ServerTimes(),
  }));
  const chooser = createChooser(config.strategy, entries, deps.random);
  // hrw is sticky by itself: Traefik gives it no cookie.
  const sticky =
    config.sticky?.cookie && chooser.sticky ? stickyPolicy(name, config.sticky.cookie) : undefined;
  for (const e of entries) e.cookie = sticky?.setCookie(e.url);
  // p2c takes every server (weight plays no part there); the other strategies leave weight 0 out.
  const pinnable = entries.filter((e) => config.strategy === 'p2c' || e.weight > 0);
  const byCookie = new Map(pinnable.map((e) => [stickyValue(e.url), e]));
  const checker = config.healthCheck
    ? new HealthChecker(
        name,
        entries.map((e) => e.url),
        config.healthCheck,
        deps,
        transport,
      )
    : undefined;
  const passive = config.passiveHealthCheck
    ? new PassiveHealth(
        name,
        servers.map((s) => s.url),
        config.passiveHealthCheck,
        checker !== undefined,
        {
          clock: deps.clock ?? systemClock,
          logger: deps.logger,
        },
      )
    : undefined;
  if (checker && passive) checker.onProbe = (server, up) => passive.activeResult(server, up);
  checker?.start();
  const isUp =
    checker || passive
      ? (e: ServerEntry) => (!checker || checker.isUp(e.url)) && (!passive || passive.isUp(e.url))
      : undefined;
  const measures = chooser.measures !== 'nothing';
  const firstByte = chooser.measures === 'firstByte';

  /** Forwards to `e`, keeping what the strategy and the passive check read. */
  const send = async (e: ServerEntry, req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (!measures && !passive) return e.forward(req, res);
    const state = requestState(req);
    if (measures) e.times.inFlight++;
    if (firstByte) {
      const start = performance.now();
      // Time to the first byte of the server's answer (not of an error page Wharf writes).
      beforeResponseHead(res, () => {
        if (state.originStatus !== undefined) e.times.record(performance.now() - start);
      });
    }
    state.originStatus = undefined;
    try {
      await e.forward(req, res);
      passive?.report(e.url, (state.originStatus ?? res.statusCode) < 500);
    } catch (err) {
      // A client that went away says nothing about the server.
      if (!(err instanceof WharfError && err.code === 'CLIENT_CLOSED')) passive?.report(e.url, false);
      throw err;
    } finally {
      if (measures) e.times.inFlight--;
    }
  };

  return {
    name,
    handler: async (req, res) => {
      requestState(req).service = name;
      let server: ServerEntry | undefined;
      if (sticky) {
        const pinned = byCookie.get(readCookie(req.headers.cookie, sticky.name) ?? '');
        if (pinned && (!isUp || isUp(pinned))) server = pinned;
      }
      if (!server) {
        server = chooser.next(isUp, req);
        const cookie = server?.cookie;
        if (cookie) {
          beforeResponseHead(res, (r) => {
            r.appendHeader('set-cookie', cookie);
          });
        }
      }
      if (!server) throw new WharfError('NO_HEALTHY_SERVER', { service: name });
      return send(server, req, res);
    },
    isAvailable: () => chooser.size > 0 && (!isUp || entries.some(isUp)),
    serverStatus: () => {
      const status = checker
        ? checker.status()
        : Object.fromEntries(entries.map((e) => [e.url, 'UP' as const]));
      for (const url of passive?.downServers() ?? []) status[url] = 'DOWN';
      return status;
    },
    pickServer: () => chooser.next(isUp)?.forward,
    close: () => {
      checker?.stop();
      passive?.stop();
      for (const e of entries) e.forward.close();
    },
  };
}
