import type { LoadBalancer } from '../../config/dynamic.ts';
import { WharfError } from '../../config/errors.ts';
import { requestState } from '../../middleware/request-state.ts';
import { beforeResponseHead } from '../../middleware/response-head.ts';
import { createServerForwarder } from '../proxy/h2-forward.ts';
import { HealthChecker } from './health-check.ts';
import { type TransportSettings, transportSettings } from './servers-transport.ts';
import type { ServiceDeps, ServiceRuntime } from './service.ts';
import { SmoothWrr } from './smooth-wrr.ts';
import { readCookie, stickyPolicy, stickyValue } from './sticky.ts';

const DEFAULT_FLUSH_INTERVAL = 100;

/** scheme://host[:port] of a server URL; h2c:// is no special scheme for URL, whose origin would be "null". */
function serverOrigin(url: string): string {
  const u = new URL(url);
  return u.protocol === 'h2c:' ? `h2c://${u.host}` : u.origin;
}

interface ServerEntry {
  readonly url: string;
  /** What the forwarder puts in front of the request path: the origin, or the whole URL with preservePath. */
  readonly base: string;
  readonly forward: ReturnType<typeof createServerForwarder>;
  readonly cookie: string | undefined;
}

/**
 * A loadBalancer service: smooth weighted round robin over its servers, skipping servers the active
 * health check holds DOWN, with an optional sticky cookie. An empty or all-down service answers 503.
 * `transport` (its serversTransport's forwardingTimeouts) sets the connect, response-header and idle timeouts.
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
  const sticky = config.sticky?.cookie ? stickyPolicy(name, config.sticky.cookie) : undefined;
  const entries: ServerEntry[] = servers.map((s) => ({
    url: s.url,
    base: s.preservePath ? s.url.replace(/\/$/, '') : serverOrigin(s.url),
    forward: createServerForwarder(s, forwardOptions, deps.pools),
    cookie: sticky?.setCookie(s.url),
  }));
  const wrr = new SmoothWrr(entries.map((e, i) => ({ item: e, weight: servers[i]?.weight ?? 1 })));
  const byCookie = new Map(
    entries.filter((_, i) => (servers[i]?.weight ?? 1) > 0).map((e) => [stickyValue(e.url), e]),
  );
  const checker = config.healthCheck
    ? new HealthChecker(
        name,
        entries.map((e) => e.url),
        config.healthCheck,
        deps,
        transport,
      )
    : undefined;
  checker?.start();
  const isUp = checker ? (e: ServerEntry) => checker.isUp(e.url) : undefined;

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
        server = wrr.next(isUp);
        if (server?.cookie) {
          const cookie = server.cookie;
          beforeResponseHead(res, (r) => {
            r.appendHeader('set-cookie', cookie);
          });
        }
      }
      if (!server) throw new WharfError('NO_HEALTHY_SERVER', { service: name });
      return server.forward(req, res);
    },
    isAvailable: () => wrr.size > 0 && (!isUp || entries.some(isUp)),
    serverStatus: () =>
      checker ? checker.status() : Object.fromEntries(entries.map((e) => [e.url, 'UP' as const])),
    pickServer: () => wrr.next(isUp)?.base,
    close: () => {
      checker?.stop();
      for (const e of entries) e.forward.close();
    },
  };
}
