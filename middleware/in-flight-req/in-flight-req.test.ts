import { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { InFlightReqSchema } from '../../config/middlewares/in-flight-req.ts';
import { silentLogger } from '../../core/log.ts';
import { manualClock } from '../../test/helpers/manual-clock.ts';
import { fakeRequest } from '../../test/helpers/middleware.ts';
import type { Handler, MiddlewareContext } from '../middleware.ts';
import { inFlightReq } from './in-flight-req.ts';

const context: MiddlewareContext = {
  name: 'limit@file',
  router: 'r@file',
  resolve: () => {
    throw new Error('no references');
  },
  logger: silentLogger(),
  clock: manualClock(),
};

/** One request as the test drives it: its status once answered, and a way to let the next handler finish. */
interface Pending {
  readonly res: ServerResponse;
  readonly done: Promise<number>;
  finish(): void;
  abort(): void;
}

/**
 * Builds the middleware; `send` starts a request (headers given) whose next handler waits until the test
 * finishes it, so several are in progress at once.
 */
function limiter(options: Record<string, unknown>) {
  const wrap = inFlightReq.create(InFlightReqSchema.parse(options), context).wrap;
  return (headers: Record<string, string>): Pending => {
    const req = fakeRequest('/', { headers });
    const res = new ServerResponse(req);
    let finish = () => {};
    const gate = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const next: Handler = async (_r, s) => {
      await gate;
      s.writeHead(200);
      s.end();
    };
    const done = wrap(next)(req, res).then(() => res.statusCode);
    return { res, done, finish, abort: () => res.emit('close') };
  };
}

/**
 * Whether a request of `headers` is refused while the ones started before are held. The middleware decides
 * before its first await, so a refused request has its 429 head as soon as `send` returns.
 */
async function refusedNow(
  send: ReturnType<typeof limiter>,
  headers: Record<string, string>,
): Promise<boolean> {
  const p = send(headers);
  const refused = p.res.headersSent && p.res.statusCode === 429;
  p.finish();
  await p.done;
  return refused;
}

describe('inFlightReq', () => {
  it.each<[string, Record<string, unknown>, Array<Record<string, string>>, Record<string, string>, boolean]>([
    ['under amount: admitted', { amount: 2 }, [{ host: 'a' }], { host: 'a' }, false],
    [
      'at amount: the next one of that Host is refused',
      { amount: 2 },
      [{ host: 'a' }, { host: 'a' }],
      { host: 'a' },
      true,
    ],
    [
      'another Host has its own count (the default source)',
      { amount: 1 },
      [{ host: 'a' }],
      { host: 'b' },
      false,
    ],
    ['amount 0 refuses every request, as Traefik', { amount: 0 }, [], { host: 'a' }, true],
    [
      'requestHeaderName: counted per header value',
      { amount: 1, sourceCriterion: { requestHeaderName: 'X-Tenant' } },
      [{ host: 'a', 'x-tenant': 't1' }],
      { host: 'a', 'x-tenant': 't2' },
      false,
    ],
    [
      'requestHeaderName: the same value shares the count whatever the Host',
      { amount: 1, sourceCriterion: { requestHeaderName: 'X-Tenant' } },
      [{ host: 'a', 'x-tenant': 't1' }],
      { host: 'b', 'x-tenant': 't1' },
      true,
    ],
  ])('%s', async (_name, options, held, next, refused) => {
    const send = limiter(options);
    const running = held.map((h) => send(h));
    expect(await refusedNow(send, next)).toBe(refused);
    for (const r of running) r.finish();
    expect(await Promise.all(running.map((r) => r.done))).toEqual(running.map(() => 200));
  });

  it('a finished request and a closed response both give their place back', async () => {
    const send = limiter({ amount: 1 });
    const first = send({ host: 'a' });
    expect(await refusedNow(send, { host: 'a' })).toBe(true);
    first.finish();
    await first.done;
    const second = send({ host: 'a' });
    second.abort(); // the client went away while the next handler still runs
    expect(await refusedNow(send, { host: 'a' })).toBe(false);
    second.finish();
    await second.done;
  });

  it('the 429 body names the amount', async () => {
    const wrap = inFlightReq.create(InFlightReqSchema.parse({ amount: 0 }), context).wrap;
    const req = fakeRequest('/', { headers: { host: 'a' } });
    const res = new ServerResponse(req);
    const chunks: Buffer[] = [];
    res.end = ((chunk?: unknown) => {
      if (chunk !== undefined) chunks.push(Buffer.from(chunk as string));
      return res;
    }) as ServerResponse['end'];
    await wrap(async () => {})(req, res);
    expect(res.statusCode).toBe(429);
    expect(Buffer.concat(chunks).toString()).toBe('max connections reached: 0');
  });
});
