import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { WharfError } from '../../config/errors.ts';
import { DEFAULT_REQUEST_BODY_LIMIT } from '../../config/middlewares/waf.ts';
import type { Logger } from '../../core/log.ts';
import { goStatusText } from '../go-status-text.ts';
import type { Handler, MiddlewareContext, MiddlewareDefinition, MiddlewareRuntime } from '../middleware.ts';
import { plainError } from '../plain-error.ts';
import { requestState } from '../request-state.ts';
import { type AuditLog, type AuditRecord, openAuditLog } from './audit-log.ts';
import {
  type EngineLoad,
  type ModSecurityAddon,
  modsecurityEngine,
  type RulesHandle,
  type StepResult,
  type TransactionHandle,
} from './engine.ts';
import { ruleMatches } from './match-log.ts';
import { readForInspection } from './read-body.ts';
import { inspectResponse } from './response-inspection.ts';
import { leaseRules } from './rules-cache.ts';
import type { WafOptions } from './seclang-config.ts';

/** The header list the engine gets: the request head as the client sent it (HTTP/2 pseudo-headers as Host). */
export function engineHeaders(req: IncomingMessage): string[] {
  const raw = req.rawHeaders;
  if (raw.length === 0) {
    // A request built in memory (tests, internal replays) has only the parsed headers.
    const out: string[] = [];
    for (const [name, value] of Object.entries(req.headers)) {
      if (value === undefined) continue;
      for (const v of Array.isArray(value) ? value : [value]) out.push(name, v);
    }
    return out;
  }
  if (!raw.some((h, i) => i % 2 === 0 && h.startsWith(':'))) return raw;
  const out: string[] = [];
  let authority: string | undefined;
  let host = false;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as string;
    const value = raw[i + 1] as string;
    if (name === ':authority') authority = value;
    if (name.startsWith(':')) continue;
    if (name.toLowerCase() === 'host') host = true;
    out.push(name, value);
  }
  if (!host && authority !== undefined) out.unshift('Host', authority);
  return out;
}

/** An IPv4-mapped IPv6 address as IPv4 (SERVER_ADDR as nginx gives it; the client's is unwrapped already). */
function unmapped(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

/** Answers a request the rules denied: the intervention's status (CRS: 403) with a plain body, or its redirect. */
function refuse(res: ServerResponse, step: StepResult): void {
  if (step.url !== null) {
    const status = step.status >= 300 && step.status < 400 ? step.status : 302;
    res.writeHead(status, { location: step.url, 'content-length': '0' });
    res.end();
    return;
  }
  const status = step.status >= 400 && step.status < 600 ? step.status : 403;
  plainError(res, status, `${goStatusText(status)}\n`);
}

interface Engine {
  readonly addon: ModSecurityAddon;
  readonly rules: RulesHandle;
  readonly options: WafOptions;
  readonly name: string;
  readonly logger: Logger;
  readonly audit: AuditLog | undefined;
}

/**
 * Ends the transaction off the request path (phase 5, logging, on an engine thread) and writes the audit
 * record when a rule matched.
 */
function finishLater(
  e: Engine,
  tx: TransactionHandle,
  req: IncomingMessage,
  steps: StepResult[],
  blocked: StepResult | undefined,
): void {
  e.addon.finish(tx).then(
    (last) => {
      steps.push(last);
      const matches = ruleMatches(steps.flatMap((s) => [...s.messages, s.log]));
      if (matches.length === 0 && blocked === undefined) return;
      const state = requestState(req);
      const denied = blocked ?? steps.find((s) => s.disruptive);
      const record: AuditRecord = {
        time: new Date().toISOString(),
        requestId: state.requestId ?? '',
        middleware: e.name,
        router: state.router,
        clientIp: state.clientIp,
        method: req.method ?? '',
        uri: req.url ?? '',
        host: req.headers.host,
        mode: e.options.mode ?? 'block',
        action: blocked !== undefined ? 'blocked' : e.options.mode === 'detect' ? 'detected' : 'matched',
        ...(denied !== undefined ? { status: denied.status } : {}),
        ...(denied?.log && !denied.log.includes('[id "') ? { reason: denied.log } : {}),
        rules: matches,
      };
      e.audit?.write(record);
      e.logger.debug(
        {
          middleware: e.name,
          requestId: record.requestId,
          action: record.action,
          rules: matches.map((m) => m.id),
        },
        'waf: rules matched',
      );
    },
    (err: unknown) => e.logger.error({ err, middleware: e.name }, 'waf: the logging phase failed'),
  );
}

function handler(e: Engine, next: Handler): Handler {
  const limit = e.options.requestBodyLimit ?? DEFAULT_REQUEST_BODY_LIMIT;
  return async (req, res) => {
    const state = requestState(req);
    state.requestId ??= randomUUID();
    const tx = e.addon.newTransaction(e.rules, state.requestId);
    const steps: StepResult[] = [];
    let body: Buffer | undefined;
    try {
      body = await readForInspection(req, state, limit);
    } catch (err) {
      e.addon.finish(tx).catch(() => {});
      throw err;
    }
    const socket = req.socket;
    const step = await e.addon.processRequest(
      tx,
      state.clientIp,
      socket?.remotePort ?? 0,
      unmapped(socket?.localAddress ?? ''),
      socket?.localPort ?? 0,
      req.method ?? 'GET',
      req.url ?? '/',
      req.httpVersion || '1.1',
      engineHeaders(req),
      body !== undefined && body.length > 0 ? body : null,
    );
    steps.push(step);
    if (step.disruptive) {
      state.refusedBy = 'waf';
      refuse(res, step);
      finishLater(e, tx, req, steps, step);
      return;
    }
    try {
      // An upgrade (WebSocket) has no HTTP response to hold: the proxy hands the socket over.
      if (e.options.responseInspection === true && state.upgrade === undefined) {
        const blocked = await inspectResponse(e.addon, tx, req, res, next, steps, refuse);
        if (blocked !== undefined) state.refusedBy = 'waf';
        finishLater(e, tx, req, steps, blocked);
      } else {
        await next(req, res);
        finishLater(e, tx, req, steps, undefined);
      }
    } catch (err) {
      finishLater(e, tx, req, steps, undefined);
      throw err;
    }
  };
}

/** Builds a waf instance: loads the engine, compiles (or shares) the rules, opens the audit log. */
function create(load: () => EngineLoad, options: WafOptions, ctx: MiddlewareContext): MiddlewareRuntime {
  const loaded = load();
  if (!('addon' in loaded)) throw new WharfError('WAF_UNAVAILABLE', { problem: loaded.reason });
  const lease = leaseRules(loaded.addon, options);
  const audit = options.auditLog !== undefined ? openAuditLog(options.auditLog, ctx.logger) : undefined;
  const engine: Engine = {
    addon: loaded.addon,
    rules: lease.rules,
    options,
    name: ctx.name,
    logger: ctx.logger,
    audit,
  };
  return {
    wrap: (next) => handler(engine, next),
    close: async () => {
      lease.release();
      await audit?.close();
    },
    status: () => ({ mode: options.mode ?? 'block', config: lease.file }),
  };
}

/**
 * The waf definition over an engine loader; without the addon every waf middleware is disabled with
 * WAF_UNAVAILABLE (tests pass a loader that finds none).
 */
export function wafDefinition(load: () => EngineLoad): MiddlewareDefinition<WafOptions> {
  return { create: (options, ctx) => create(load, options, ctx) };
}

/** The waf middleware: ModSecurity (libmodsecurity3) with the OWASP Core Rule Set in front of the service. */
export const waf: MiddlewareDefinition<WafOptions> = wafDefinition(() => modsecurityEngine());
