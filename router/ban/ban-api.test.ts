import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { BanRecord, BanStoreKind } from '../../middleware/ban/ban-list.ts';
import { type BanApi, serveBanApi } from './ban-api.ts';

const now = Date.now();
const ban = (middleware: string, ip: string): BanRecord & { store: BanStoreKind } => ({
  middleware,
  ip,
  reason: '5 failures within 10m: basicAuth ×5',
  since: now - 1000,
  until: now + 59_000,
  offence: 1,
  forgetAt: now + 59_000,
  replica: 'edge-1',
  store: 'consul',
});

function fakeBans(): BanApi & { lifted: string[] } {
  const list = [ban('jail@file', '203.0.113.7'), ban('other@docker', '2001:db8::1')];
  const lifted: string[] = [];
  return {
    lifted,
    entries: () => list,
    lift: async (m, ip) => {
      lifted.push(`${m} ${ip}`);
      return list.some((b) => b.middleware === m && b.ip === ip);
    },
  };
}

async function call(bans: BanApi, method: string, path: string) {
  const req = new IncomingMessage(new Socket());
  req.method = method;
  const res = new ServerResponse(req);
  let body = '';
  res.end = ((chunk?: unknown) => {
    if (typeof chunk === 'string') body = chunk;
    return res;
  }) as ServerResponse['end'];
  const served = await serveBanApi(bans, path, req, res);
  return {
    served,
    status: res.statusCode,
    body: body ? JSON.parse(body) : undefined,
    allow: res.getHeader('allow'),
  };
}

describe('serveBanApi', () => {
  it('lists every ban, or one middleware’s, with reason and expiry', async () => {
    const all = await call(fakeBans(), 'GET', '/api/wharf/bans');
    expect(all.status).toBe(200);
    expect(all.body).toHaveLength(2);
    expect(all.body[0]).toMatchObject({
      middleware: 'jail@file',
      ip: '203.0.113.7',
      reason: '5 failures within 10m: basicAuth ×5',
      until: new Date(now + 59_000).toISOString(),
      remainingSeconds: 59,
      store: 'consul',
    });
    const one = await call(fakeBans(), 'GET', '/api/wharf/bans/other@docker');
    expect(one.body.map((b: { ip: string }) => b.ip)).toEqual(['2001:db8::1']);
  });

  it.each([
    ['DELETE', '/api/wharf/bans/jail@file/203.0.113.7', 200, ['jail@file 203.0.113.7']],
    ['DELETE', '/api/wharf/bans/other@docker/2001%3Adb8%3A%3A1', 200, ['other@docker 2001:db8::1']],
    ['DELETE', '/api/wharf/bans/jail@file/198.51.100.1', 404, ['jail@file 198.51.100.1']],
    ['DELETE', '/api/wharf/bans', 405, []],
    ['GET', '/api/wharf/bans/jail@file/203.0.113.7', 405, []],
    ['GET', '/api/wharf/bans/a/b/c', 404, []],
    ['GET', '/api/wharf/bans/%zz', 400, []],
  ])('%s %s: %i', async (method, path, status, lifted) => {
    const bans = fakeBans();
    const out = await call(bans, method, path);
    expect([out.served, out.status]).toEqual([true, status]);
    expect(bans.lifted).toEqual(lifted);
  });

  it('leaves other paths to the API', async () => {
    expect((await call(fakeBans(), 'GET', '/api/wharf/bansx')).served).toBe(false);
    expect((await call(fakeBans(), 'GET', '/api/http/routers')).served).toBe(false);
  });
});
