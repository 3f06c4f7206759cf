import type { Dispatcher } from '../../core/http-client.ts';
import type { Logger } from '../../core/log.ts';
import type { Clock } from '../../middleware/clock.ts';
import type { Handler } from '../../middleware/middleware.ts';
import type { CopyTarget } from '../proxy/request-copy.ts';
import type { UpstreamPools } from '../proxy/upstream-pools.ts';
import type { TransportSettings } from './servers-transport.ts';

/** Health of one server as the API reports it (Traefik's serverStatus values). */
export type ServerHealth = 'UP' | 'DOWN';

/** A built service of a generation: the handler that answers, and what the API and failover ask of it. */
export interface ServiceRuntime {
  /** Qualified name, e.g. whoami@file. */
  readonly name: string;
  readonly handler: Handler;
  /** False while no server (or child service) can take a request; failover and weighted skip it then. */
  isAvailable(): boolean;
  /** Server URL → health, for load balancers (empty for other kinds). */
  serverStatus(): Record<string, ServerHealth>;
  /**
   * The server a copy of a request goes to (mirroring), following the service's own balancing; copies
   * go through that server's transport, as the service's own requests do.
   */
  pickServer(): CopyTarget | undefined;
  /** Stops timers and releases pools; called when no generation uses the runtime any more. */
  close(): void;
}

/** What building a service needs from the router. */
export interface ServiceDeps {
  readonly pools: UpstreamPools;
  /** Dispatcher for Wharf's own requests to servers (health probes), closed on stop. */
  readonly sideTraffic: Dispatcher;
  readonly logger: Logger;
  /** The static serversTransport's settings (default@internal); absent: Traefik's defaults. */
  readonly defaultTransport?: TransportSettings;
  /** Time for passive health checks (default: the system clock). */
  readonly clock?: Clock;
  /** Random numbers in [0, 1) for p2c (default Math.random); tests pass a seeded one. */
  readonly random?: () => number;
}
