import { z } from 'zod';
import { DurationSchema } from '../duration.ts';
import { StatusRange } from './errors.ts';
import { IpStrategySchema } from './ip-strategy.ts';

// ban: Wharf's own middleware (issue 17, docs/middlewares/ban.md), fail2ban at the edge. Traefik has no
// equivalent; the option names are the and fail2ban's (maxRetry, findTime, banTime). CIDRs of
// allowList are checked when the middleware is built (middleware/ban), as config/ cannot import core/.

/** The ban middleware: clients with too many failures within findTime are refused for banTime. */
export const BanSchema = z.strictObject({
  maxRetry: z.number().int().min(1).optional().meta({
    description: 'Failures of one client within findTime that ban it (fail2ban maxretry)',
    docDefault: '5',
  }),
  findTime: DurationSchema.optional().meta({
    description: 'The window failures are counted in (fail2ban findtime), e.g. 10m',
    docDefault: '10m',
  }),
  banTime: DurationSchema.optional().meta({
    description: 'How long a first ban lasts (fail2ban bantime), e.g. 10m',
    docDefault: '10m',
  }),
  banTimeMultiplier: z.number().min(1).optional().meta({
    description:
      'Repeat offenders: ban n lasts banTime × banTimeMultiplier^(n-1), up to maxBanTime; 1: every ban lasts banTime',
    docDefault: '1',
  }),
  maxBanTime: DurationSchema.optional().meta({
    description:
      'The longest ban when banTimeMultiplier grows it; also how long after a ban ends the client still counts as a repeat offender',
    docDefault: '168h',
  }),
  statusCodes: z.array(StatusRange).optional().meta({
    description:
      'Response statuses that count as failures: codes (401), ranges (400-499), or both (401,403,404)',
    docDefault: '[] (no status counts by itself)',
  }),
  onWafBlock: z.boolean().optional().meta({
    description: 'A request the waf middleware blocked counts as a failure',
    docDefault: 'true',
  }),
  onAuthFailure: z.boolean().optional().meta({
    description:
      'A refused login counts as a failure: basicAuth or digestAuth refusing credentials that were sent, forwardAuth answered 401 or 403',
    docDefault: 'true',
  }),
  ipStrategy: IpStrategySchema.optional().describe(
    'How the client address is chosen, as ipAllowList (default: the address of the connection peer)',
  ),
  allowList: z.array(z.string()).optional().meta({
    description: 'IPs and CIDR ranges that are never banned, e.g. 10.0.0.0/8',
    docDefault: '[]',
  }),
  rejectStatusCode: z.number().int().optional().meta({
    description: 'Status of the answer to banned clients (a status Go names, 200 to 599)',
    docDefault: '403',
  }),
  store: z.enum(['consul', 'memory']).optional().meta({
    description:
      'Where bans are kept: consul (the providers.consul agents, shared by every replica, kept across restarts) or memory (this process only)',
    docDefault: 'consul when providers.consul is configured, else memory',
  }),
});

/** The ban middleware's options as validated. */
export type BanOptions = z.infer<typeof BanSchema>;
