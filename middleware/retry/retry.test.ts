import { ServerResponse } from 'node:http';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { WharfError } from '../../config/errors.ts';
import { RetrySchema } from '../../config/middlewares/retry.ts';
import { manualClock } from '../../test/helpers/manual-clock.ts';
import { fakeRequest } from '../../test/helpers/middleware.ts';
import type { Handler } from '../middleware.ts';
import { requestState } from '../request-state.ts';
import { beforeResponseHead } from '../response-head.ts';
import { backoffMultiplier, jittered, MAX_ELAPSED_MS, RetryBackoff } from './backoff.ts';
import { bodyReplayable, failedToReachServer, retriesStatus, shouldRetry } from './decision.ts';
import { createRetry } from './retry.ts';

const sysErr = (code: string) => Object.assign(new Error(code), { code });
const unreachable = (code: string) =>
  new WharfError('UPSTREAM_UNREACHABLE', { server: 'http://s', problem: code }, { cause: sysErr(code) });
const timeout = (code: string) =>
  new WharfError('UPSTREAM_TIMEOUT', { server: 'http://s', problem: code }, { cause: sysErr(code) });

describe('failedToReachServer', () => {
  it.each([
    ['refused', unreachable('ECONNREFUSED'), true],
    ['connect timeout', timeout('UND_ERR_CONNECT_TIMEOUT'), true],
    ['unknown host', unreachable('ENOTFOUND'), true],
    ['TLS handshake', unreachable('DEPTH_ZERO_SELF_SIGNED_CERT'), true],
    ['reset after the request went out', unreachable('ECONNRESET'), false],
    ['socket closed by the server', unreachable('UND_ERR_SOCKET'), false],
    ['response headers timeout', timeout('UND_ERR_HEADERS_TIMEOUT'), false],
    [
      'no healthy server (never reached the proxy)',
      new WharfError('NO_HEALTHY_SERVER', { service: 's' }),
      false,
    ],
    ['client went away', new WharfError('CLIENT_CLOSED'), false],
    ['a plain error with a connect code', sysErr('ECONNREFUSED'), false],
    ['not an error', undefined, false],
  ])('%s → %s', (_what, err, expected) => {
    expect(failedToReachServer(err)).toBe(expected);
  });
});

describe('bodyReplayable', () => {
  const read = () => {
    const s = new PassThrough();
    s.end('x');
    s.read();
    return s;
  };
  it.each([
    ['no body', {}, undefined, new PassThrough(), true],
    ['content-length 0', { 'content-length': '0' }, undefined, new PassThrough(), true],
    ['a client body not read yet', { 'content-length': '5' }, undefined, new PassThrough(), true],
    ['a client body already streamed', { 'content-length': '1' }, undefined, read(), false],
    ['a chunked client body already streamed', { 'transfer-encoding': 'chunked' }, undefined, read(), false],
    ['buffered in memory', { 'content-length': '1' }, Buffer.from('x'), read(), true],
    ['buffered to a file, not read yet', { 'content-length': '1' }, new PassThrough(), read(), true],
    ['buffered to a file, already streamed', { 'content-length': '1' }, read(), new PassThrough(), false],
  ] as const)('%s → %s', (_what, headers, replay, req, expected) => {
    expect(bodyReplayable(headers, replay, req)).toBe(expected);
  });
});

describe('shouldRetry', () => {
  const base = {
    error: unreachable('ECONNREFUSED'),
    responseStarted: false,
    bodyReplayable: true,
    elapsedMs: 0,
    timeoutMs: 0,
    networkErrors: true,
    statuses: [] as Array<[number, number]>,
  };
  const noServer = new WharfError('NO_HEALTHY_SERVER', { service: 's' });
  it.each([
    ['a refused connection', {}, true],
    ['once the client got the response head', { responseStarted: true }, false],
    ['a body that cannot be sent again', { bodyReplayable: false }, false],
    ['a reset after the request went out', { error: unreachable('ECONNRESET') }, false],
    ['before timeout', { elapsedMs: 999, timeoutMs: 1000 }, true],
    ['at timeout', { elapsedMs: 1000, timeoutMs: 1000 }, false],
    ['a refused connection with disableRetryOnNetworkError', { networkErrors: false }, false],
    // Traefik's proxy writes these failures as 502/504/503, which status then retries.
    [
      'a refused connection (502) with network retries off but 502 in status',
      { networkErrors: false, statuses: [[502, 502]] },
      true,
    ],
    [
      'a reset after the request went out (502) with 500-599',
      { error: unreachable('ECONNRESET'), statuses: [[500, 599]] },
      true,
    ],
    [
      'a response timeout (504) with 504',
      { error: timeout('UND_ERR_HEADERS_TIMEOUT'), statuses: [[504, 504]] },
      true,
    ],
    ['no healthy server (503) with 503', { error: noServer, statuses: [[503, 503]] }, true],
    ['no healthy server (503) with 500-502', { error: noServer, statuses: [[500, 502]] }, false],
    [
      'a client gone, whatever the statuses',
      { error: new WharfError('CLIENT_CLOSED'), statuses: [[100, 599]] },
      false,
    ],
    [
      'a 502 in status once the timeout passed',
      { error: noServer, statuses: [[503, 503]], elapsedMs: 5, timeoutMs: 5 },
      false,
    ],
  ] as const)('%s → %s', (_what, change, expected) => {
    expect(shouldRetry({ ...base, ...change } as Parameters<typeof shouldRetry>[0])).toBe(expected);
  });
});

describe('retriesStatus', () => {
  it.each([
    [503, [[500, 599]], 0, 0, true],
    [499, [[500, 599]], 0, 0, false],
    [
      404,
      [
        [404, 404],
        [500, 599],
      ],
      0,
      0,
      true,
    ],
    [503, [[500, 599]], 10, 10, false],
    [503, [[500, 599]], 9, 10, true],
    [101, [[100, 599]], 0, 0, false],
  ] as const)('%i in %j after %ims (timeout %ims) → %s', (status, ranges, elapsed, t, want) => {
    expect(retriesStatus(status, ranges, elapsed, t)).toBe(want);
  });
});

describe('backoff (cenkalti/backoff ExponentialBackOff as Traefik sets it)', () => {
  it.each([
    [1, 1],
    [2, 2],
    [3, Math.SQRT2],
    [5, 2 ** 0.25],
  ])('multiplier for %i attempts is %f', (attempts, m) => {
    expect(backoffMultiplier(attempts)).toBeCloseTo(m, 12);
  });
  it.each([
    [100, 0, 50],
    [100, 0.5, 100],
    [100, 0.999999, 100 + 49.9999],
  ])('jitter of %i at random %f is %f', (interval, random, wait) => {
    expect(jittered(interval, random)).toBeCloseTo(wait, 3);
  });
  it('grows the interval to twice the initial one over the attempts (random 0.5 = no jitter)', () => {
    const b = new RetryBackoff(100, 3, 0, () => 0.5);
    expect([b.next(0), b.next(0), b.next(0)].map((x) => Math.round(x as number))).toEqual([100, 141, 200]);
  });
  it('waits nothing without an initial interval', () => {
    const b = new RetryBackoff(0, 4, 0, () => 0.9);
    expect([b.next(0), b.next(0)]).toEqual([0, 0]);
  });
  it('caps an interval at 60s and stops past 15 minutes', () => {
    const b = new RetryBackoff(50_000, 2, 0, () => 0.5);
    expect(b.next(0)).toBe(50_000);
    expect(b.next(0)).toBe(60_000);
    expect(b.next(MAX_ELAPSED_MS - 60_000)).toBe(60_000);
    expect(b.next(MAX_ELAPSED_MS - 59_999)).toBeUndefined();
  });
});

describe('schema', () => {
  it.each([
    [{ attempts: 3, initialInterval: '100ms', timeout: 2 }, true],
    [{ attempts: 0 }, false],
    [{}, false],
    [{ attempts: 2, status: ['500-599'] }, true],
    [{ attempts: 2, status: ['502,503-504', '404'] }, true],
    [{ attempts: 2, status: ['5xx'] }, false],
    [{ attempts: 2, status: ['599-500'] }, false],
    [{ attempts: 2, status: [] }, true],
    // Traefik refuses disableRetryOnNetworkError without status: nothing would be retried.
    [{ attempts: 2, disableRetryOnNetworkError: true }, false],
    [{ attempts: 2, disableRetryOnNetworkError: true, status: [] }, false],
    [{ attempts: 2, disableRetryOnNetworkError: true, status: ['503'] }, true],
    [{ attempts: 2, maxRequestBodyBytes: 10, retryNonIdempotentMethod: true }, true],
    [{ attempts: 2, maxRequestBodyBytes: -1 }, true],
    [{ attempts: 2, maxRequestBodyBytes: 1.5 }, false],
  ])('%j valid: %s', (input, ok) => {
    expect(RetrySchema.safeParse(input).success).toBe(ok);
  });
  it('reads durations', () => {
    expect(RetrySchema.parse({ attempts: 2, initialInterval: '100ms', timeout: 2 })).toMatchObject({
      initialInterval: 100,
      timeout: 2000,
    });
  });
  it('names disableRetryOnNetworkError when status is missing', () => {
    const r = RetrySchema.safeParse({ attempts: 2, disableRetryOnNetworkError: true });
    expect(r.error?.issues[0]?.path).toEqual(['disableRetryOnNetworkError']);
  });
});

/** A next handler failing with the given errors in turn, then answering 200; counts its calls. */
function scripted(errors: unknown[]): Handler & { calls: number } {
  const h = Object.assign(
    async (_req: unknown, res: ServerResponse) => {
      const i = h.calls++;
      res.setHeader('x-attempt', String(i + 1));
      if (i < errors.length) throw errors[i];
      res.writeHead(200);
      res.end();
    },
    { calls: 0 },
  );
  return h as Handler & { calls: number };
}

async function settle(p: Promise<void>): Promise<unknown> {
  return p.then(
    () => undefined,
    (err: unknown) => err,
  );
}

describe('retry middleware', () => {
  it.each([
    ['succeeds on the second try', 3, [unreachable('ECONNREFUSED')], 2, 200, 1],
    [
      'gives up after attempts tries',
      2,
      [unreachable('ECONNREFUSED'), unreachable('ECONNREFUSED')],
      2,
      502,
      1,
    ],
    ['does not retry a reset', 3, [unreachable('ECONNRESET')], 1, 502, undefined],
    ['attempts 1 never retries', 1, [unreachable('ECONNREFUSED')], 1, 502, undefined],
  ])('%s', async (_what, attempts, errors, calls, status, retried) => {
    const clock = manualClock();
    const next = scripted(errors);
    const req = fakeRequest('/');
    const res = new ServerResponse(req);
    const err = await settle(createRetry({ attempts }, clock)(next)(req, res));
    expect(next.calls).toBe(calls);
    expect(err === undefined ? res.statusCode : (err as WharfError).code).toBe(
      status === 200 ? 200 : 'UPSTREAM_UNREACHABLE',
    );
    expect(requestState(req).retryAttempts).toBe(retried);
  });

  it('waits the backoff on the clock between tries and drops the failed try headers', async () => {
    const clock = manualClock();
    const next = scripted([unreachable('ECONNREFUSED'), unreachable('ECONNREFUSED')]);
    const req = fakeRequest('/');
    const res = new ServerResponse(req);
    const done = settle(createRetry({ attempts: 3, initialInterval: 100 }, clock, () => 0.5)(next)(req, res));
    await new Promise(setImmediate);
    expect(next.calls).toBe(1);
    expect(clock.pending).toBe(1);
    clock.advance(99);
    await new Promise(setImmediate);
    expect(next.calls).toBe(1);
    clock.advance(1);
    await new Promise(setImmediate);
    expect(next.calls).toBe(2);
    expect(clock.pending).toBe(1);
    clock.advance(142); // 100·√2
    expect(await done).toBeUndefined();
    expect(next.calls).toBe(3);
    expect(res.statusCode).toBe(200);
    expect(res.getHeader('x-attempt')).toBe('3');
    expect(requestState(req).retryAttempts).toBe(2);
  });

  it("a failed try's head edits (a sticky cookie set per pick) do not apply to the next try's head", async () => {
    const clock = manualClock();
    let calls = 0;
    const next: Handler = async (_req, res) => {
      calls++;
      // As the load balancer does: the cookie of the server picked for this try, set when the head goes out.
      const picked = `server-${calls}`;
      beforeResponseHead(res, (r) => r.appendHeader('set-cookie', `lb=${picked}`));
      if (calls === 1) throw unreachable('ECONNREFUSED');
      res.writeHead(200);
      res.end();
    };
    const req = fakeRequest('/');
    const res = new ServerResponse(req);
    expect(await settle(createRetry({ attempts: 2 }, clock)(next)(req, res))).toBeUndefined();
    expect(calls).toBe(2);
    expect(res.getHeader('set-cookie')).toBe('lb=server-2');
  });

  it('does not retry a request whose body was already streamed', async () => {
    const next = scripted([unreachable('ECONNREFUSED')]);
    const req = fakeRequest('/', { method: 'POST', headers: { 'content-length': '1' } });
    req.push('x');
    req.push(null);
    req.read();
    const err = await settle(createRetry({ attempts: 3 }, manualClock())(next)(req, new ServerResponse(req)));
    expect((err as WharfError).code).toBe('UPSTREAM_UNREACHABLE');
    expect(next.calls).toBe(1);
  });
});
