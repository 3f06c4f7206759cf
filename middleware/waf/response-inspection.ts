import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ResponseCapture } from '../buffering/response-capture.ts';
import { SpillBuffer } from '../buffering/spill-buffer.ts';
import type { Handler } from '../middleware.ts';
import type { ModSecurityAddon, StepResult, TransactionHandle } from './engine.ts';
import { RESPONSE_BODY_LIMIT } from './seclang-config.ts';

// responseInspection: the response is held (in memory up to 1 MiB, then in an unlinked temporary file, as
// the buffering middleware holds it) until phases 3 and 4 have run on its head and first
// RESPONSE_BODY_LIMIT bytes, so a denied response never reaches the client. Off by default: holding every
// response costs latency and memory, and most CRS value is on the request side.

const MEM_BYTES = 1_048_576;

/** The response head as a flat [name, value, …] list for the engine. */
export function headerList(headers: OutgoingHttpHeaders): string[] {
  const out: string[] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) out.push(name, String(v));
  }
  return out;
}

async function prefix(body: Buffer | Readable, size: number): Promise<Buffer> {
  if (Buffer.isBuffer(body)) return body.subarray(0, size);
  const chunks: Buffer[] = [];
  let got = 0;
  for await (const chunk of body) {
    chunks.push(chunk as Buffer);
    got += (chunk as Buffer).length;
    if (got >= size) break;
  }
  return Buffer.concat(chunks, got).subarray(0, size);
}

/**
 * Runs `next` with its response held, gives the engine its status, headers and body, then sends the
 * response, or returns the disruptive step (the caller answers it) after dropping the held response.
 */
export async function inspectResponse(
  addon: ModSecurityAddon,
  tx: TransactionHandle,
  req: IncomingMessage,
  res: ServerResponse,
  next: Handler,
  steps: StepResult[],
  refuse: (res: ServerResponse, step: StepResult) => void,
): Promise<StepResult | undefined> {
  const before = res.getHeaders();
  const buf = new SpillBuffer({ memBytes: MEM_BYTES, maxBytes: 0, dir: tmpdir });
  try {
    const capture = new ResponseCapture(res, buf);
    try {
      await next(req, res);
    } finally {
      capture.restore();
    }
    // An upgrade (WebSocket) or a response the proxy cut: nothing held to inspect.
    if (res.destroyed || res.writableEnded) return undefined;
    if (capture.error !== undefined) throw capture.error;
    await buf.finish();
    const status = capture.status ?? res.statusCode;
    const body = buf.size > 0 ? await prefix(await buf.open(), RESPONSE_BODY_LIMIT + 1) : null;
    const protocol = `HTTP/${req.httpVersion || '1.1'}`;
    const step = await addon.processResponse(tx, status, protocol, headerList(res.getHeaders()), body);
    steps.push(step);
    if (step.disruptive) {
      for (const name of res.getHeaderNames()) res.removeHeader(name);
      for (const [name, value] of Object.entries(before)) if (value !== undefined) res.setHeader(name, value);
      refuse(res, step);
      return step;
    }
    res.removeHeader('transfer-encoding');
    if (buf.size > 0 || res.getHeader('content-length') !== undefined)
      res.setHeader('content-length', buf.size);
    if (capture.message === undefined) res.writeHead(status);
    else res.writeHead(status, capture.message);
    if (buf.size === 0) {
      res.end();
      return undefined;
    }
    const whole = await buf.open();
    if (Buffer.isBuffer(whole)) res.end(whole);
    else await pipeline(whole, res).catch(() => res.destroy());
    return undefined;
  } finally {
    await buf.close();
  }
}
