import type { z } from 'zod';
import type { IpAllowListSchema, IpWhiteListSchema } from '../../config/middlewares/ip-allow-list.ts';
import { compileIpMatcher, type IpMatcher } from '../../core/net/ip-matcher.ts';
import { goStatusText, rejectStatusCode, sendStatusText } from '../go-status-text.ts';
import { clientIpOf, compileIpStrategy } from '../ip-strategy.ts';
import type { MiddlewareContext, MiddlewareDefinition, MiddlewareRuntime } from '../middleware.ts';

type IpAllowListOptions = z.infer<typeof IpAllowListSchema>;

/**
 * Lets a request through only when its client address (chosen by `ipStrategy`, by default the connection
 * peer) is in `sourceRange`; otherwise answers `rejectStatusCode` (default 403) with Go's status text as
 * the body, as Traefik's ipAllowList does. Options that cannot work throw (the middleware is disabled).
 */
export const ipAllowList: MiddlewareDefinition<IpAllowListOptions> = {
  create: (options, ctx) => build(options, ctx),
};

/** Traefik v2's ipWhiteList: the same check, always 403 (the deprecation warning comes from decoding). */
export const ipWhiteList: MiddlewareDefinition<z.infer<typeof IpWhiteListSchema>> = {
  create: (options, ctx) => build({ ...options, rejectStatusCode: undefined }, ctx),
};

function build(options: IpAllowListOptions, ctx: MiddlewareContext): MiddlewareRuntime {
  const ranges = options.sourceRange ?? [];
  if (ranges.length === 0) {
    throw new Error('sourceRange is empty: list the allowed IPs or CIDR ranges, e.g. 10.0.0.0/8');
  }
  const status = rejectStatusCode(options.rejectStatusCode, 404);
  let allowed: IpMatcher;
  try {
    allowed = compileIpMatcher(ranges);
  } catch (err) {
    throw new Error(`sourceRange: ${(err as Error).message}`);
  }
  const strategy = compileIpStrategy(options.ipStrategy);
  for (const text of strategy.ignored) ctx.logger.warn({ middleware: ctx.name }, text);
  const select = strategy.select;
  const body = goStatusText(status);
  return {
    wrap: (next) => async (req, res) => {
      const ip = clientIpOf(select, req);
      if (isAuthorized(allowed, ip)) return next(req, res);
      ctx.logger.debug({ middleware: ctx.name, clientIp: ip }, 'ipAllowList: request refused');
      sendStatusText(req, res, status, body);
    },
  };
}

/**
 * Traefik's `Checker.IsAuthorized`: the address without a port when it has one (`1.2.3.4:80`,
 * `[::1]:80`, as Go's net.SplitHostPort reads it), then the list; '' and non-addresses are refused.
 */
export function isAuthorized(allowed: IpMatcher, ip: string): boolean {
  return ip !== '' && allowed(withoutPort(ip));
}

/** An address without its port (`1.2.3.4:80`, `[::1]:80`), as Go's net.SplitHostPort reads it; the address itself otherwise. */
export function withoutPort(address: string): string {
  if (address.charCodeAt(0) === 91 /* [ */) {
    const end = address.indexOf(']');
    return end > 0 && address.charCodeAt(end + 1) === 58 /* : */ ? address.slice(1, end) : address;
  }
  const colon = address.indexOf(':');
  return colon !== -1 && address.indexOf(':', colon + 1) === -1 ? address.slice(0, colon) : address;
}
