import { z } from 'zod';
import { IpStrategySchema } from './ip-strategy.ts';

// Traefik's SourceCriterion (pkg/config/dynamic/middlewares.go); its meaning is in middleware/source-criterion.ts.

/** How rateLimit and inFlightReq group requests into sources (Traefik's `sourceCriterion`): one of three. */
export const SourceCriterionSchema = z.strictObject({
  ipStrategy: IpStrategySchema.optional().describe(
    'Group by client address, chosen as ipAllowList chooses it (depth, excludedIPs, ipv6Subnet)',
  ),
  requestHeaderName: z
    .string()
    .optional()
    .describe(
      'Group by the value of this request header (its first value); requests without it share one source',
    ),
  requestHost: z.boolean().optional().describe('Group by the request Host (with its port when given)'),
});
