import { WharfError } from '../../config/errors.ts';
import type { HighestRandomWeight as HrwConfig } from '../../config/load-balancing.ts';
import { HighestRandomWeight } from './hrw.ts';
import type { ServiceRuntime } from './service.ts';
import { clientKey } from './strategy.ts';

const available = (s: ServiceRuntime) => s.isAvailable();

/**
 * Traefik's highestRandomWeight service: each client IP goes to the child service with the highest
 * rendezvous score (router/services/hrw.ts) among those with a healthy server, so a client keeps reaching
 * the same child; weights set each child's share of clients, a weight of 0 leaves it out.
 */
export function buildHighestRandomWeight(
  name: string,
  config: HrwConfig,
  children: ReadonlyMap<string, ServiceRuntime>,
): ServiceRuntime {
  const hrw = new HighestRandomWeight(
    config.services.map((s) => ({
      item: children.get(s.name) as ServiceRuntime,
      name: s.name,
      weight: s.weight ?? 1,
    })),
  );
  const targets = config.services
    .filter((s) => (s.weight ?? 1) > 0)
    .map((s) => children.get(s.name) as ServiceRuntime);
  return {
    name,
    handler: (req, res) => {
      const child = hrw.next(available, clientKey(req));
      if (!child) throw new WharfError('NO_HEALTHY_SERVER', { service: name });
      return child.handler(req, res);
    },
    isAvailable: () => targets.some(available),
    serverStatus: () => ({}),
    pickServer: () => hrw.next(available, '')?.pickServer(),
    close: () => {},
  };
}
