import type { IncomingMessage, ServerResponse } from 'node:http';
import type { BanRecord, BanStoreKind } from '../../middleware/ban/ban-list.ts';
import { sendJson } from '../api/send-json.ts';

/** What the API needs of the bans (router/ban/bans.ts). */
export interface BanApi {
  entries(): Array<BanRecord & { store: BanStoreKind }>;
  lift(middleware: string, ip: string): Promise<boolean>;
}

/** The path of the bans below `{basePath}`. */
export const BANS_PATH = '/api/wharf/bans';

/** A ban as the API shows it: times in ISO-8601, and the seconds left. */
export function shownBan(b: BanRecord & { store: BanStoreKind }, now: number) {
  return {
    middleware: b.middleware,
    ip: b.ip,
    reason: b.reason,
    since: new Date(b.since).toISOString(),
    until: new Date(b.until).toISOString(),
    remainingSeconds: Math.max(0, Math.ceil((b.until - now) / 1000)),
    offence: b.offence,
    replica: b.replica,
    store: b.store,
  };
}

/**
 * Serves Wharf's bans below the API's base path, when `below` is one of their paths (returns false
 * otherwise): `GET /api/wharf/bans` (every ban in force), `GET /api/wharf/bans/{middleware}` (one
 * middleware's), `DELETE /api/wharf/bans/{middleware}/{ip}` (lifts a ban on every replica; 404 when no
 * such ban is known). The one write the API takes: whoever can reach the API can lift bans.
 */
export async function serveBanApi(
  bans: BanApi,
  below: string,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<boolean> {
  if (below !== BANS_PATH && !below.startsWith(`${BANS_PATH}/`)) return false;
  let parts: string[];
  try {
    parts = below.slice(BANS_PATH.length).split('/').filter(Boolean).map(decodeURIComponent);
  } catch {
    sendJson(res, 400, { message: `malformed percent-encoding in ${below}` });
    return true;
  }
  const [middleware, ip, ...extra] = parts;
  const method = req.method ?? 'GET';
  if (extra.length > 0) sendJson(res, 404, { message: `unknown API path ${below}` });
  else if (ip === undefined && (method === 'GET' || method === 'HEAD')) {
    const now = Date.now();
    const list = bans.entries().filter((b) => middleware === undefined || b.middleware === middleware);
    sendJson(
      res,
      200,
      list.map((b) => shownBan(b, now)),
    );
  } else if (ip !== undefined && middleware !== undefined && method === 'DELETE') {
    try {
      const known = await bans.lift(middleware, ip);
      if (known) sendJson(res, 200, { middleware, ip, lifted: true });
      else
        sendJson(res, 404, {
          message: `no ban of ${ip} by ${middleware} is known here; any stored one was deleted`,
        });
    } catch (err) {
      sendJson(res, 502, { message: `the ban could not be lifted in Consul: ${(err as Error).message}` });
    }
  } else {
    const allow = ip === undefined ? 'GET, HEAD' : 'DELETE';
    sendJson(res, 405, { message: `use ${allow} on ${below}` }, { allow });
  }
  return true;
}
