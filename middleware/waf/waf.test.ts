import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/log.ts';
import { fakeRequest, runMiddleware } from '../../test/helpers/middleware.ts';
import { ensureModsecurity } from '../../test/helpers/native.ts';
import { systemClock } from '../clock.ts';
import type { MiddlewareContext, MiddlewareRuntime } from '../middleware.ts';
import { requestState } from '../request-state.ts';
import type { WafOptions } from './seclang-config.ts';
import { engineHeaders, waf } from './waf.ts';

// The waf middleware in memory (requests built by hand, no socket); through a running router with real
// bodies, the audit log and reloads: test/integration/waf.test.ts.

const skip = await ensureModsecurity();

const ctx: MiddlewareContext = {
  name: 'waf@file',
  router: undefined,
  resolve: () => {
    throw new Error('no references');
  },
  logger: silentLogger(),
  clock: systemClock,
};

const HEADERS = { host: 'app.test', 'user-agent': 'Mozilla/5.0 Firefox/120.0', accept: 'text/html' };

describe('engineHeaders', () => {
  it.each([
    ['raw headers as received', ['Host', 'a', 'X-A', '1'], ['Host', 'a', 'X-A', '1']],
    [
      'HTTP/2 pseudo-headers dropped, :authority as Host',
      [':method', 'GET', ':authority', 'a.test', ':path', '/', 'accept', '*/*'],
      ['Host', 'a.test', 'accept', '*/*'],
    ],
    ['an explicit host kept', [':authority', 'a.test', 'host', 'b.test'], ['host', 'b.test']],
  ])('%s', (_, raw, expected) => {
    const req = fakeRequest('/');
    req.rawHeaders = raw;
    expect(engineHeaders(req)).toEqual(expected);
  });

  it('uses the parsed headers of a request built in memory', () => {
    expect(engineHeaders(fakeRequest('/', { headers: { host: 'a', 'x-b': '2' } }))).toEqual([
      'host',
      'a',
      'x-b',
      '2',
    ]);
  });
});

describe.skipIf(skip !== undefined)('waf', () => {
  const runtimes: MiddlewareRuntime[] = [];
  const build = (options: WafOptions) => {
    const r = waf.create(options, ctx);
    runtimes.push(r);
    return r;
  };
  afterAll(async () => {
    for (const r of runtimes) await r.close?.();
  });
  let crs: MiddlewareRuntime;
  beforeAll(() => {
    crs = build({ crs: {} });
  });

  it('answers 403 to a SQL injection, never calls the service, and marks the request refused by the waf', async () => {
    const req = fakeRequest("/?id=1'%20or%201=1--", { headers: HEADERS });
    const run = await runMiddleware(crs.wrap, req);
    expect(run.next).toBeUndefined();
    expect(run.response.status).toBe(403);
    expect(run.response.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(requestState(req).refusedBy).toBe('waf');
    expect(requestState(req).requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('passes a benign request to the service', async () => {
    const req = fakeRequest('/products?page=2&sort=price', { headers: HEADERS });
    const run = await runMiddleware(crs.wrap, req);
    expect(run.next?.url).toBe('/products?page=2&sort=price');
    expect(run.response.status).toBe(200);
    expect(requestState(req).refusedBy).toBeUndefined();
  });

  it('only logs in detect mode', async () => {
    const detect = build({ crs: {}, mode: 'detect' });
    const req = fakeRequest("/?id=1'%20or%201=1--", { headers: HEADERS });
    const run = await runMiddleware(detect.wrap, req);
    expect(run.response.status).toBe(200);
    expect(requestState(req).refusedBy).toBeUndefined();
  });

  it('keeps a request id an earlier middleware set', async () => {
    const req = fakeRequest('/', { headers: HEADERS });
    requestState(req).requestId = 'given-id';
    await runMiddleware(crs.wrap, req);
    expect(requestState(req).requestId).toBe('given-id');
  });

  it('uses the status and redirect of inline rules', async () => {
    const inline = build({
      inlineRules: [
        'SecRule ARGS:go "@streq away" "id:1001,phase:1,redirect:https://elsewhere.test/,log"',
        'SecRule ARGS:teapot "@streq 1" "id:1002,phase:1,deny,status:418,log"',
      ].join('\n'),
    });
    const away = await runMiddleware(inline.wrap, fakeRequest('/?go=away', { headers: HEADERS }));
    expect(away.response.status).toBe(302);
    expect(away.response.headers.location).toBe('https://elsewhere.test/');
    const teapot = await runMiddleware(inline.wrap, fakeRequest('/?teapot=1', { headers: HEADERS }));
    expect(teapot.response.status).toBe(418);
  });

  it('is disabled with WAF_RULES_INVALID when the rules do not compile', () => {
    expect(() =>
      waf.create({ inlineRules: 'SecRule ARGS "@rx a" "id:7,phase:2,deny,nosuchaction"' }, ctx),
    ).toThrow(expect.objectContaining({ code: 'WAF_RULES_INVALID' }));
  });
});
