import { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import type { BanOptions } from '../../config/middlewares/ban.ts';
import { silentLogger } from '../../core/log.ts';
import { manualClock } from '../../test/helpers/manual-clock.ts';
import { fakeRequest } from '../../test/helpers/middleware.ts';
import type { Handler, MiddlewareContext } from '../middleware.ts';
import { type RequestState, requestState } from '../request-state.ts';
import { banDefinition } from './ban.ts';
import { BanList } from './ban-list.ts';

const MIN = 60_000;

/** What the rest of the chain does with one request: the status it answers and who refused it. */
interface Step {
  readonly status: number;
  readonly refusedBy?: RequestState['refusedBy'];
  /** Peer address (default 192.0.2.1). */
  readonly ip?: string;
  readonly xff?: string;
  readonly authorization?: string;
  /** Minutes the clock moves before the request. */
  readonly wait?: number;
}

/** Runs `steps` through one ban instance; returns the status each got and whether the chain ran. */
async function run(options: BanOptions, steps: readonly Step[], list = new BanList()) {
  const clock = manualClock();
  const ctx: MiddlewareContext = {
    name: 'ban@file',
    router: undefined,
    resolve: () => {
      throw new Error('no references');
    },
    logger: silentLogger(),
    clock,
  };
  const { wrap } = banDefinition({ list, consulConfigured: false, replica: 'test' }).create(options, ctx);
  const out: string[] = [];
  for (const s of steps) {
    if (s.wait) clock.advance(s.wait * MIN);
    let ran = false;
    const next: Handler = async (req, res) => {
      ran = true;
      if (s.refusedBy) requestState(req).refusedBy = s.refusedBy;
      res.writeHead(s.status);
      res.end();
    };
    const headers: Record<string, string> = {};
    if (s.xff) headers['x-forwarded-for'] = s.xff;
    if (s.authorization) headers.authorization = s.authorization;
    const req = fakeRequest('/', { clientIp: s.ip ?? '192.0.2.1', headers });
    const res = new ServerResponse(req);
    await wrap(next)(req, res);
    out.push(`${res.statusCode}${ran ? '' : ' refused'}`);
  }
  return { out, list, now: clock.now() };
}

const times = <T>(n: number, x: T): T[] => Array.from({ length: n }, () => x);
const login = { status: 401, refusedBy: 'basicAuth', authorization: 'Basic eDp5' } as const;

describe('ban', () => {
  const cases: Array<{ name: string; options: BanOptions; steps: Step[]; expected: string[] }> = [
    {
      name: 'five refused logins ban the sixth request, before the chain runs',
      options: {},
      steps: [...times(5, login), { status: 200 }],
      expected: [...times(5, '401'), '403 refused'],
    },
    {
      name: 'challenges without credentials are not failures',
      options: {},
      steps: [...times(6, { status: 401, refusedBy: 'basicAuth' } as Step), { status: 200 }],
      expected: [...times(6, '401'), '200'],
    },
    {
      name: 'failures older than findTime do not count',
      options: { maxRetry: 3, findTime: 1 * MIN },
      steps: [login, login, { ...login, wait: 2 }, login, { status: 200 }],
      expected: ['401', '401', '401', '401', '200'],
    },
    {
      name: 'the ban ends after banTime',
      options: { maxRetry: 2, banTime: 5 * MIN },
      steps: [login, login, { status: 200, wait: 4 }, { status: 200, wait: 1 }],
      expected: ['401', '401', '403 refused', '200'],
    },
    {
      name: 'statusCodes count; other statuses do not',
      options: { maxRetry: 2, statusCodes: ['404'] },
      steps: [{ status: 404 }, { status: 500 }, { status: 404 }, { status: 200 }],
      expected: ['404', '500', '404', '403 refused'],
    },
    {
      name: 'waf blocks count',
      options: { maxRetry: 2 },
      steps: [{ status: 403, refusedBy: 'waf' }, { status: 403, refusedBy: 'waf' }, { status: 200 }],
      expected: ['403', '403', '403 refused'],
    },
    {
      name: 'rejectStatusCode',
      options: { maxRetry: 1, rejectStatusCode: 429 },
      steps: [login, { status: 200 }],
      expected: ['401', '429 refused'],
    },
    {
      name: 'allowList is never banned',
      options: { maxRetry: 1, allowList: ['192.0.2.0/24'] },
      steps: [login, login, { status: 200 }],
      expected: ['401', '401', '200'],
    },
    {
      name: 'clients are banned one by one',
      options: { maxRetry: 1 },
      steps: [login, { status: 200, ip: '192.0.2.2' }, { status: 200 }],
      expected: ['401', '200', '403 refused'],
    },
    {
      name: 'ipStrategy picks the client from X-Forwarded-For',
      options: { maxRetry: 1, ipStrategy: { depth: 1 } },
      steps: [
        { ...login, xff: '198.51.100.7' },
        { status: 200, xff: '198.51.100.8' },
        { status: 200, xff: '198.51.100.7' },
      ],
      expected: ['401', '200', '403 refused'],
    },
    {
      name: 'a client ipStrategy finds no address for is neither banned nor counted',
      options: { maxRetry: 1, ipStrategy: { depth: 2 } },
      steps: [login, login, { status: 200 }],
      expected: ['401', '401', '200'],
    },
    {
      name: 'repeat offenders are banned longer with banTimeMultiplier',
      options: { maxRetry: 1, banTime: 1 * MIN, banTimeMultiplier: 10 },
      // First ban: 1m. Second: 10m, so still banned 5 minutes later.
      steps: [login, { ...login, wait: 1 }, { status: 200, wait: 5 }, { status: 200, wait: 5 }],
      expected: ['401', '401', '403 refused', '200'],
    },
  ];
  it.each(cases)('$name', async ({ options, steps, expected }) => {
    expect((await run(options, steps)).out).toEqual(expected);
  });

  it('records who, why, until when, and counts bans and refusals', async () => {
    const { list, now } = await run({ maxRetry: 2, banTime: 10 * MIN }, [
      login,
      { status: 401, refusedBy: 'digestAuth', authorization: 'Digest x' },
      { status: 200 },
    ]);
    const [b] = list.list(now);
    expect(b).toEqual({
      middleware: 'ban@file',
      ip: '192.0.2.1',
      reason: '2 failures within 10m: basicAuth, digestAuth',
      since: now,
      until: now + 10 * MIN,
      offence: 1,
      forgetAt: now + 10 * MIN,
      replica: 'test',
      store: 'memory',
    });
    expect(list.bansTotal.get('ban@file')).toBe(1);
    expect(list.refusalsTotal.get('ban@file')).toBe(1);
  });

  it('a lifted ban lets the client in again', async () => {
    const list = new BanList();
    await run({ maxRetry: 1 }, [login], list);
    list.lift('ban@file', '192.0.2.1');
    expect((await run({ maxRetry: 1 }, [{ status: 200 }], list)).out).toEqual(['200']);
  });

  it.each([
    [{ allowList: ['not-an-ip'] }, 'allowList:'],
    [{ store: 'consul' as const }, 'store consul needs providers.consul'],
    [{ ipStrategy: { ipv6Subnet: 200 } }, 'ipv6Subnet 200 is invalid'],
  ])('refuses %j', async (options, message) => {
    await expect(run(options, [])).rejects.toThrow(message);
  });
});
