import type { IncomingMessage } from 'node:http';
import { request } from 'undici';
import type { Failover, Mirroring, Weighted } from '../../config/dynamic.ts';
import { WharfError } from '../../config/errors.ts';
import { beforeResponseHead } from '../../middleware/response-head.ts';
import { upstreamRequestHeaders } from '../proxy/hop-headers.ts';
import { requestState } from '../request-state.ts';
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
  const byCookie = new Map(items.map((i) => [stickyValue(i.item.name), i.item]));
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

/** A failover service: the main service while it has a healthy server, else the fallback. */
export function buildFailover(
  name: string,
  _config: Failover,
  main: ServiceRuntime,
  fallback: ServiceRuntime,
): ServiceRuntime {
  const pick = () => (main.isAvailable() ? main : fallback);
  return {
    name,
    handler: (req, res) => pick().handler(req, res),
    isAvailable: () => main.isAvailable() || fallback.isAvailable(),
    serverStatus: () => ({}),
    pickServer: () => pick().pickServer(),
    close: () => {},
  };
}

function hasBody(req: IncomingMessage): boolean {
  const len = req.headers['content-length'];
  return (len !== undefined && len !== '0') || req.headers['transfer-encoding'] !== undefined;
}

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (limit >= 0 && size > limit) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/**
 * A mirroring service: the main service answers; each mirror receives a copy of `percent`% of requests
 * (counted, not random, so shares are exact), sent straight to a server the mirror service picks, with
 * the response discarded. Request bodies are read once and replayed to the main service and the mirrors.
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
  return {
    name,
    handler: async (req, res) => {
      const chosen = mirrors.filter((m, i) => {
        const c = counters[i]!;
        c.total++;
        if (c.sent * 100 < c.total * m.percent) {
          c.sent++;
          return true;
        }
        return false;
      });
      let body: Buffer | undefined;
      if (chosen.length > 0 && hasBody(req)) {
        if (!mirrorBody) chosen.length = 0;
        else {
          body = await readBody(req, maxBody);
          if (body === undefined) {
            res.writeHead(413, { 'content-type': 'text/plain; charset=utf-8' });
            res.end('413 Request Entity Too Large\n');
            return;
          }
          requestState(req).replayBody = body;
        }
      }
      if (chosen.length > 0) {
        const headers = upstreamRequestHeaders(req.headers, requestState(req).clientIp, req.headers.host);
        for (const m of chosen) {
          const server = m.runtime.pickServer();
          if (!server) continue;
          const target = server.replace(/\/$/, '') + (req.url ?? '/');
          const method = (req.method ?? 'GET') as 'GET';
          request(target, { method, headers, body: body ?? null, dispatcher: deps.sideTraffic }).then(
            (r) => r.body.dump(),
            (err: unknown) =>
              deps.logger.debug({ err, service: name, mirror: m.runtime.name }, 'mirror request failed'),
          );
        }
      }
      return main.handler(req, res);
    },
    isAvailable: () => main.isAvailable(),
    serverStatus: () => ({}),
    pickServer: () => main.pickServer(),
    close: () => {},
  };
}
