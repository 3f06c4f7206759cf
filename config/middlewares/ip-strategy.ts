import { z } from 'zod';

// Traefik's IPStrategy (pkg/config/dynamic/middlewares.go); its meaning is in middleware/ip-strategy.ts.

/**
 * How a middleware picks the client address it checks (Traefik's `ipStrategy`); shared with the
 * `sourceCriterion.ipStrategy` of rateLimit and inFlightReq.
 */
export const IpStrategySchema = z.strictObject({
  depth: z
    .number()
    .int()
    .min(0)
    .optional()
    .describe(
      'Use the address at this position of X-Forwarded-For, counted from the right (1: the last one); a header with fewer entries is refused. 0: not used. Takes precedence over excludedIPs',
    ),
  excludedIPs: z
    .array(z.string())
    .optional()
    .describe(
      'Walk X-Forwarded-For from the right and use the first address not in these IPs or CIDR ranges (used when depth is 0)',
    ),
  ipv6Subnet: z
    .number()
    .int()
    .optional()
    .describe(
      'Treat every IPv6 address of this prefix length (1 to 128) as its network address, e.g. 64; applies to the peer address and to depth, not to excludedIPs',
    ),
});
