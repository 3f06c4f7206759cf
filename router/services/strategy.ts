import type { IncomingMessage } from 'node:http';
import type { LoadBalancer } from '../../config/dynamic.ts';
import { HighestRandomWeight } from './hrw.ts';
import { LeastTime, type ServerTimes } from './least-time.ts';
import { PowerOfTwoChoices, type Random } from './p2c.ts';
import { SmoothWrr } from './smooth-wrr.ts';

/** A load balancer's strategy (Traefik's `loadBalancer.strategy`; absent or empty: wrr). */
export type Strategy = NonNullable<LoadBalancer['strategy']>;

/** What a strategy needs to know of a server. */
export interface Balanced {
  readonly url: string;
  readonly weight: number;
  /** In-flight count and response times, kept only for p2c and leasttime. */
  readonly times: ServerTimes;
}

/** Picks the server for a request among those up. */
export interface ServerChooser<T> {
  /** Servers it can pick (a weight of 0 leaves a server out except with p2c, as in Traefik). */
  readonly size: number;
  /** The server for `req` (hrw hashes its client IP; a copy without a request hashes ''). */
  next(isUp: ((item: T) => boolean) | undefined, req?: IncomingMessage): T | undefined;
  /** What the balancer must keep for the strategy: in-flight counts (p2c), and times to first byte (leasttime). */
  readonly measures: 'nothing' | 'inFlight' | 'firstByte';
  /** True when the strategy takes sticky cookies (hrw is sticky by itself and ignores them, as in Traefik). */
  readonly sticky: boolean;
}

/**
 * The client address hrw hashes: the connection's peer IP (Traefik's RemoteAddrStrategy), an IPv4 peer
 * on a dual-stack socket written as plain IPv4 as Go writes it.
 */
export function clientKey(req: IncomingMessage | undefined): string {
  const ip = req?.socket?.remoteAddress ?? '';
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}

/** Builds the chooser of `strategy` over `servers`. `random` drives p2c (seeded in tests). */
export function createChooser<T extends Balanced>(
  strategy: Strategy | undefined,
  servers: readonly T[],
  random: Random = Math.random,
): ServerChooser<T> {
  switch (strategy) {
    case 'p2c': {
      const p2c = new PowerOfTwoChoices(servers, (s) => s.times.inFlight, random);
      return { size: p2c.size, next: (isUp) => p2c.next(isUp), measures: 'inFlight', sticky: true };
    }
    case 'hrw': {
      const hrw = new HighestRandomWeight(servers.map((s) => ({ item: s, name: s.url, weight: s.weight })));
      return {
        size: hrw.size,
        next: (isUp, req) => hrw.next(isUp, clientKey(req)),
        measures: 'nothing',
        sticky: false,
      };
    }
    case 'leasttime': {
      const lt = new LeastTime(servers.map((s) => ({ item: s, weight: s.weight, times: s.times })));
      return { size: lt.size, next: (isUp) => lt.next(isUp), measures: 'firstByte', sticky: true };
    }
    default: {
      const wrr = new SmoothWrr(servers.map((s) => ({ item: s, weight: s.weight })));
      return { size: wrr.size, next: (isUp) => wrr.next(isUp), measures: 'nothing', sticky: true };
    }
  }
}
