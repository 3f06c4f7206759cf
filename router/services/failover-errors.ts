import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorStatus, WharfError } from '../../config/errors.ts';
import type { FailoverErrors } from '../../config/load-balancing.ts';
import { StatusCatcher } from '../../middleware/errors/status-catcher.ts';
import { inRanges, parseStatusRanges } from '../../middleware/errors/status-ranges.ts';
import type { Handler } from '../../middleware/middleware.ts';
import { requestState } from '../../middleware/request-state.ts';
import { dropHeadEditsSince, headEditMark } from '../../middleware/response-head.ts';
import type { ServiceRuntime } from './service.ts';

/**
 * Reads the whole request body, refusing one over `limit` bytes (-1: no limit) as Traefik's reusable
 * request does. Undefined for a request without a body.
 */
async function keepBody(req: IncomingMessage, limit: number, service: string): Promise<Buffer | undefined> {
  const kept = requestState(req).replayBody;
  if (Buffer.isBuffer(kept)) {
    if (limit >= 0 && kept.length > limit)
      throw new WharfError('FAILOVER_REQUEST_TOO_LARGE', { service, limit: String(limit) });
    return kept;
  }
  const length = req.headers['content-length'];
  if (kept === undefined && (length === undefined || length === '0') && !req.headers['transfer-encoding'])
    return undefined;
  const source = kept ?? req;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of source) {
    size += (chunk as Buffer).length;
    if (limit >= 0 && size > limit)
      throw new WharfError('FAILOVER_REQUEST_TOO_LARGE', { service, limit: String(limit) });
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** The status Wharf's proxy answers a failure with (502, 503, 504), or undefined for a client that left. */
function failureStatus(err: unknown): number | undefined {
  if (!(err instanceof WharfError) || err.code === 'CLIENT_CLOSED') return undefined;
  return errorStatus(err.code);
}

/**
 * Failover on `errors` (Traefik's failover `errors.status`): while the main service is up, the request
 * body is kept (up to `maxRequestBodyBytes`, else 413) and the main service's answer is held back when
 * its status is in `status` (an unreachable server's 502, 503 or 504 included): the request, body and
 * all, then goes to the fallback, whose answer the client gets. Other answers stream through untouched.
 */
export function failoverOnErrors(
  name: string,
  errors: FailoverErrors,
  main: ServiceRuntime,
  fallback: ServiceRuntime,
): Handler {
  const ranges = parseStatusRanges(errors.status ?? []);
  const limit = errors.maxRequestBodyBytes ?? -1;
  const catches = (status: number) => inRanges(ranges, status);
  return async (req: IncomingMessage, res: ServerResponse) => {
    if (!main.isAvailable()) return fallback.handler(req, res);
    // An upgrade (WebSocket) cannot be replayed once the main service has it.
    if (requestState(req).upgrade) return main.handler(req, res);
    const body = await keepBody(req, limit, name);
    if (body !== undefined) requestState(req).replayBody = body;
    const before = res.getHeaders();
    const mark = headEditMark(res);
    const catcher = new StatusCatcher(res, catches);
    let failed = false;
    try {
      await main.handler(req, res);
      failed = catcher.caught !== undefined;
    } catch (err) {
      const status = failureStatus(err);
      if (status === undefined || res.headersSent || !catches(status)) throw err;
      failed = true;
    } finally {
      catcher.restore();
    }
    if (!failed || res.destroyed || res.writableEnded) return;
    // What the main service set on the response (a sticky cookie, headers) does not go out with the fallback's.
    dropHeadEditsSince(res, mark);
    for (const h of res.getHeaderNames()) res.removeHeader(h);
    for (const [h, v] of Object.entries(before)) if (v !== undefined) res.setHeader(h, v);
    res.statusCode = 200;
    if (body !== undefined) requestState(req).replayBody = body;
    return fallback.handler(req, res);
  };
}
