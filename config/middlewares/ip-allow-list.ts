import { z } from 'zod';
import { IpStrategySchema } from './ip-strategy.ts';

// ipAllowList and its v2 name ipWhiteList, key for key as Traefik v3.7 (pkg/config/dynamic/middlewares.go).
// Values that need the IP parser (core/net) are checked when the middleware is built
// (middleware/ip-allow-list), as Traefik checks them: config/ cannot import core/.

/** The ipAllowList middleware: only requests from the listed addresses pass. */
export const IpAllowListSchema = z.strictObject({
  sourceRange: z
    .array(z.string())
    .optional()
    .describe('Allowed IPs and CIDR ranges (IPv4 and IPv6), e.g. 10.0.0.0/8; required'),
  ipStrategy: IpStrategySchema.optional().describe(
    'How the client address is chosen (default: the address of the connection peer)',
  ),
  rejectStatusCode: z.number().int().optional().meta({
    description: 'Status of the answer to refused requests (a status Go names, 200 to 599)',
    docDefault: '403',
  }),
});

/** Traefik v2's name of ipAllowList, deprecated: the same check, always answering 403, no rejectStatusCode. */
export const IpWhiteListSchema = z.strictObject({
  sourceRange: IpAllowListSchema.shape.sourceRange,
  ipStrategy: IpAllowListSchema.shape.ipStrategy,
});
