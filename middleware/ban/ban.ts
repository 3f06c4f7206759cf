import type { IncomingMessage, ServerResponse } from 'node:http';
import { hostname } from 'node:os';
import { formatDuration } from '../../config/duration.ts';
import type { BanOptions } from '../../config/middlewares/ban.ts';
import { compileIpMatcher, type IpMatcher } from '../../core/net/ip-matcher.ts';
import { goStatusText, sendStatusText } from '../go-status-text.ts';
import { withoutPort } from '../ip-allow-list/ip-allow-list.ts';
import { clientIpOf, compileIpStrategy } from '../ip-strategy.ts';
import type { MiddlewareContext, MiddlewareDefinition, MiddlewareRuntime } from '../middleware.ts';
import { requestState } from '../request-state.ts';
import { BanList, type BanStoreKind } from './ban-list.ts';
import { banDurationMs, failureOf, planBan, rememberMs } from './ban-policy.ts';
import { banReason, FailureWindows } from './failure-windows.ts';

/** What ban middlewares share in one process: the bans, and how the consul store is reached. */
export interface BanDeps {
  readonly list: BanList;
  /** Whether the static configuration has providers.consul (the consul store is then the default). */
  readonly consulConfigured: boolean;
  /** Starts sharing bans through Consul (idempotent); called when a middleware uses the consul store. */
  readonly useConsul?: () => void;
  /** Host name recorded in the bans this process decides. */
  readonly replica?: string;
}

/**
 * The ban middleware (issue 17, docs/middlewares/ban.md): fail2ban at the edge. A client (chosen by
 * ipStrategy) whose requests failed maxRetry times within findTime is banned for banTime; while banned,
 * its requests are answered rejectStatusCode before anything after ban in the chain runs. A failure is a
 * status of statusCodes, a waf block (onWafBlock) or a refused login (onAuthFailure), read when the rest
 * of the chain has answered. allowList is never banned. One instance per middleware (not per router):
 * a client banned on one router using it is banned on all of them. Failure counts are per process and
 * survive reloads that leave the options unchanged; bans are kept in `deps.list` (and Consul).
 */
export function banDefinition(deps: BanDeps): MiddlewareDefinition<BanOptions> {
  return { create: (options, ctx) => build(options, ctx, deps) };
}

/** The definition the default registry uses: memory only (wharf check, tests, embedders). Wharf passes its own. */
export const ban: MiddlewareDefinition<BanOptions> = banDefinition({
  list: new BanList(),
  consulConfigured: false,
});

function build(options: BanOptions, ctx: MiddlewareContext, deps: BanDeps): MiddlewareRuntime {
  const plan = planBan(options);
  let allowed: IpMatcher;
  try {
    allowed = compileIpMatcher(options.allowList ?? []);
  } catch (err) {
    throw new Error(`allowList: ${(err as Error).message}`);
  }
  const strategy = compileIpStrategy(options.ipStrategy);
  for (const text of strategy.ignored) ctx.logger.warn({ middleware: ctx.name }, text);
  const store: BanStoreKind = options.store ?? (deps.consulConfigured ? 'consul' : 'memory');
  if (store === 'consul') {
    if (!deps.consulConfigured || !deps.useConsul)
      throw new Error(
        'store consul needs providers.consul in the static configuration (its agents keep the bans): configure it, or use store memory',
      );
    deps.useConsul();
  }
  const { list } = deps;
  const replica = deps.replica ?? hostname();
  const windows = new FailureWindows();
  const select = strategy.select;
  const name = ctx.name;
  const clock = ctx.clock;
  const body = goStatusText(plan.rejectStatusCode);
  const findTime = formatDuration(plan.findTimeMs);
  const logFields = { middleware: name };

  const count = (req: IncomingMessage, res: ServerResponse, ip: string): void => {
    const reason = failureOf(plan, {
      status: res.statusCode,
      refusedBy: requestState(req).refusedBy,
      sentCredentials: req.headers.authorization !== undefined,
    });
    if (reason === undefined) return;
    const now = clock.now();
    const reasons = windows.record(ip, now, reason, plan.findTimeMs, plan.maxRetry);
    if (reasons.length < plan.maxRetry) return;
    windows.forget(ip);
    // Another request (or replica) may have banned it meanwhile: one ban, one write.
    if (list.active(name, ip, now)) return;
    const offence = (list.last(name, ip, now)?.offence ?? 0) + 1;
    const until = now + banDurationMs(plan, offence);
    const record = {
      middleware: name,
      ip,
      reason: banReason(reasons, findTime),
      since: now,
      until,
      offence,
      forgetAt: until + rememberMs(plan),
      replica,
    };
    list.add(record, store);
    ctx.logger.warn(
      { ...logFields, clientIp: ip, until: new Date(until).toISOString(), offence, reason: record.reason },
      'ban: client banned',
    );
  };

  return {
    wrap: (next) => async (req, res) => {
      const found = clientIpOf(select, req);
      // No address (ipStrategy found none in X-Forwarded-For) or an allowed one: never banned nor counted.
      const ip = found === '' ? '' : withoutPort(found);
      if (ip === '' || allowed(ip)) return next(req, res);
      if (list.active(name, ip, clock.now())) {
        list.refused(name);
        ctx.logger.debug({ ...logFields, clientIp: ip }, 'ban: request of a banned client refused');
        sendStatusText(req, res, plan.rejectStatusCode, body);
        return;
      }
      await next(req, res);
      count(req, res, ip);
    },
    status: () => ({ store, failingClients: windows.size }),
  };
}
