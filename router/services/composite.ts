import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import type { Failover, Mirroring, Weighted } from '../../config/dynamic.ts';
import { WharfError } from '../../config/errors.ts';
import { hasBody } from '../../middleware/request-body.ts';
import { requestState } from '../../middleware/request-state.ts';
import { beforeResponseHead } from '../../middleware/response-head.ts';
import { upstreamRequestHeaders } from '../proxy/hop-headers.ts';
import { wantsTrailers } from '../proxy/request-copy.ts';
import { failoverOnErrors } from './failover-errors.ts';
import type { ServiceDeps, ServiceRuntime } from './service.ts';
import { SmoothWrr } from './smooth-wrr.ts';
import { readCookie, stickyPolicy, stickyValue } from './sticky.ts';

const available = (s: ServiceRuntime) => s.isAvailable();

/**
 * A weighted service: smooth weighted round robin over child services (canary releases), skipping
 * children with no healthy server, with an optional sticky cookie naming the child.
 */
export function buildWeighted(
  name: string,
  config: Weighted,
  children: ReadonlyMap<string, ServiceRuntime>,
): ServiceRuntime {
  const items = config.services.map((s, i) => ({
    item: children.get(s.name) as ServiceRuntime,
    weight: s.weight ?? 1,
    ref: s.name,
    i,
  }));
  const wrr = new SmoothWrr(items.map((i) => ({ item: i.item, weight: i.weight })));
  const sticky = config.sticky?.cookie ? stickyPolicy(name, config.sticky.cookie) : undefined;
  const byCookie = new Map(items.filter((i) => i.weight > 0).map((i) => [stickyValue(i.item.name), i.item]));
  return {
    name,
    handler: async (req, res) => {
      let child: ServiceRuntime | undefined;
      if (sticky) {
        const pinned = byCookie.get(readCookie(req.headers.cookie, sticky.name) ?? '');
        if (pinned?.isAvailable()) child = pinned;
      }
      if (!child) {
        child = wrr.next(available);
        if (child && sticky) {
          const cookie = sticky.setCookie(child.name);
          beforeResponseHead(res, (r) => {
            r.appendHeader('set-cookie', cookie);
          });
        }
      }
      if (!child) throw new WharfError('NO_HEALTHY_SERVER', { service: name });
      return child.handler(req, res);
    },
    isAvailable: () => items.some((i) => i.weight > 0 && i.item.isAvailable()),
    serverStatus: () => ({}),
    pickServer: () => wrr.next(available)?.pickServer(),
    close: () => {},
  };
}

/**
 * A failover service: the main service while it has a healthy server, else the fallback; with
 * `errors.status`, also the fallback when the main service answers one of those statuses (failover-errors.ts).
 */
export function buildFailover(
  name: string,
  config: Failover,
  main: ServiceRuntime,
  fallback: ServiceRuntime,
): ServiceRuntime {
  const pick = () => (main.isAvailable() ? main : fallback);
  const onErrors = config.errors?.status?.length
    ? failoverOnErrors(name, config.errors, main, fallback)
    : undefined;
  return {
    name,
    handler: onErrors ?? ((req, res) => pick().handler(req, res)),
    isAvailable: () => main.isAvailable() || fallback.isAvailable(),
    serverStatus: () => ({}),
    pickServer: () => pick().pickServer(),
    close: () => {},
  };
}

/** Copies in flight per mirroring service, beyond which copies are skipped (a slow mirror must not pile up). */
const MAX_MIRRORS_IN_FLIGHT = 256;
/** Longest a mirror copy may take; the answer is discarded anyway. */
const MIRROR_TIMEOUT_MS = 30_000;

/**
 * Reads the request body up to `limit` bytes (-1: no limit) without consuming more: past the limit the
 * stream is paused with the rest unread. A client that goes away meanwhile is CLIENT_CLOSED.
 */
function readBody(req: IncomingMessage, limit: number): Promise<{ chunks: Buffer[]; complete: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (limit >= 0 && size > limit) {
        req.pause();
        done();
        resolve({ chunks, complete: false });
      }
    };
    const onEnd = () => {
      done();
      resolve({ chunks, complete: true });
    };
    const onClose = () => {
      done();
      reject(new WharfError('CLIENT_CLOSED'));
    };
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('close', onClose);
  });
}

/** The body already read, then the rest of the stream. */
async function* replay(chunks: readonly Buffer[], rest: IncomingMessage): AsyncIterable<Buffer> {
  yield* chunks;
  for await (const chunk of rest) yield chunk as Buffer;
}

/**
 * A mirroring service: the main service answers; each mirror receives a copy of `percent`% of requests
 * (counted as Traefik does: a mirror at 50% gets every other request), sent straight to a server the
 * mirror service picks, with the answer discarded. A request body is read once and replayed to the main
 * service and the mirrors; a body over `maxBodySize` is not mirrored (the main service still gets all of
 * it, as in Traefik), and with `mirrorBody: false` copies go without their body.
 */
export function buildMirroring(
  name: string,
  config: Mirroring,
  main: ServiceRuntime,
  mirrors: ReadonlyArray<{ runtime: ServiceRuntime; percent: number }>,
  deps: ServiceDeps,
): ServiceRuntime {
  const counters = mirrors.map(() => ({ total: 0, sent: 0 }));
  const mirrorBody = config.mirrorBody !== false;
  const maxBody = config.maxBodySize ?? -1;
  let inFlight = 0;
  // Copies are Wharf's own traffic: closing the service (a reload that drops it, stop) aborts them
  // rather than letting the server pools wait for a mirror that does not answer.
  const closing = new AbortController();

  const send = (req: IncomingMessage, mirror: ServiceRuntime, body: Buffer | null, withBody: boolean) => {
    const target = mirror.pickServer();
    if (!target || inFlight >= MAX_MIRRORS_IN_FLIGHT) return;
    const state = requestState(req);
    const ip = state.notAppendXForwardedFor ? undefined : state.clientIp;
    const all = upstreamRequestHeaders(req.headers, ip, undefined);
    const headers: string[] = [];
    for (let i = 0; i + 1 < all.length; i += 2) {
      if (withBody || all[i] !== 'content-length') headers.push(all[i] as string, all[i + 1] as string);
    }
    inFlight++;
    // Through the chosen server's own transport (its pool, or HTTP/2 for h2c:// and https h2 servers),
    // as Traefik sends a copy through the mirror service's handler.
    target
      .copy({
        method: req.method ?? 'GET',
        url: req.url ?? '/',
        headers,
        host: req.headers.host,
        teTrailers: wantsTrailers(req.headers.te),
        body,
        signal: AbortSignal.any([closing.signal, AbortSignal.timeout(MIRROR_TIMEOUT_MS)]),
      })
      .catch((err: unknown) =>
        deps.logger.debug({ err, service: name, mirror: mirror.name }, 'mirror request failed'),
      )
      .finally(() => inFlight--);
  };

  return {
    name,
    handler: async (req, res) => {
      const chosen: ServiceRuntime[] = [];
      mirrors.forEach((m, i) => {
        const c = counters[i]!;
        c.total++;
        if (c.sent * 100 < c.total * m.percent) {
          c.sent++;
          chosen.push(m.runtime);
        }
      });
      let body: Buffer | null = null;
      let withBody = true;
      if (chosen.length > 0 && hasBody(req.headers)) {
        const kept = requestState(req).replayBody;
        if (!mirrorBody) withBody = false;
        else if (Buffer.isBuffer(kept)) {
          // A middleware before the service (buffering, forwardAuth's forwardBody) already read the body.
          if (maxBody >= 0 && kept.length > maxBody) chosen.length = 0;
          else body = kept;
        } else if (kept !== undefined) {
          // A body held as a stream (buffering spilled it to a file) can be read once, by the main service.
          chosen.length = 0;
        } else {
          const read = await readBody(req, maxBody);
          if (read.complete) {
            body = Buffer.concat(read.chunks);
            requestState(req).replayBody = body;
          } else {
            requestState(req).replayBody = Readable.from(replay(read.chunks, req));
            chosen.length = 0;
          }
        }
      }
      for (const m of chosen) send(req, m, body, withBody);
      return main.handler(req, res);
    },
    isAvailable: () => main.isAvailable(),
    serverStatus: () => ({}),
    pickServer: () => main.pickServer(),
    close: () => closing.abort(),
  };
}
