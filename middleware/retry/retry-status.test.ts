import { type IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { WharfError } from '../../config/errors.ts';
import { RetrySchema } from '../../config/middlewares/retry.ts';
import { type ManualClock, manualClock } from '../../test/helpers/manual-clock.ts';
import { fakeRequest } from '../../test/helpers/middleware.ts';
import type { Handler } from '../middleware.ts';
import { requestState } from '../request-state.ts';
import { beforeResponseHead } from '../response-head.ts';
import { AttemptGuard } from './attempt-guard.ts';
import { keepBodyForReplay } from './replay-body.ts';
import { createRetry } from './retry.ts';

// Retries on response statuses (Traefik v3.7 pkg/middlewares/retry, `status` and the keys that shape it),
// in memory: the next handler answers as the proxy does (writeHead, body chunks, end, or a thrown failure),
// and the response records what would have reached the client.

/** One attempt's answer: a status with a body, a failure to throw, or a head then a broken body. */
type Answer = number | WharfError | { status: number; breakAfterHead: true };

interface Outcome {
  /** Attempts the next handler saw, with the request body each one was sent. */
  bodies: string[];
  /** What the client got: the heads written (normally one), the body bytes, whether the response was destroyed. */
  heads: Array<{ status: number; attempt: unknown; cookie: unknown }>;
  body: string;
  destroyed: boolean;
  hints: number;
  code: unknown;
  retryAttempts: number | undefined;
}

/** The request body as the proxy would send it: the kept Buffer, the stream put back, or the client's. */
async function readBody(req: IncomingMessage): Promise<string> {
  const hasBody = req.headers['content-length'] !== undefined;
  const source = requestState(req).replayBody ?? (hasBody ? req : undefined);
  if (source === undefined) return '';
  if (Buffer.isBuffer(source)) return source.toString();
  const parts: Buffer[] = [];
  for await (const c of source as Readable) parts.push(Buffer.from(c as Buffer));
  return Buffer.concat(parts).toString();
}

async function run(
  options: Parameters<typeof RetrySchema.parse>[0],
  answers: Answer[],
  request: { method?: string; body?: string } = {},
  clock: ManualClock = manualClock(),
  onAttempt?: (n: number) => void,
): Promise<Outcome> {
  const headers: Record<string, string> =
    request.body === undefined ? {} : { 'content-length': String(Buffer.byteLength(request.body)) };
  const req = fakeRequest('/', { method: request.method ?? 'GET', headers });
  if (request.body !== undefined) {
    req.push(request.body);
    req.push(null);
  }
  const res = new ServerResponse(req);
  const out: Outcome = {
    bodies: [],
    heads: [],
    body: '',
    destroyed: false,
    hints: 0,
    code: undefined,
    retryAttempts: undefined,
  };
  // The client's side of the response: own methods, which the guard keeps and gives back.
  const writeHead = res.writeHead;
  res.writeHead = function (this: ServerResponse, status: number, ...rest: unknown[]) {
    const given = (rest.find((r) => typeof r === 'object') ?? {}) as Record<string, unknown>;
    out.heads.push({
      status,
      attempt: given['x-attempt'] ?? this.getHeader('x-attempt'),
      cookie: this.getHeader('set-cookie'),
    });
    return (writeHead as (...a: unknown[]) => ServerResponse).call(this, status, ...rest);
  } as ServerResponse['writeHead'];
  res.write = ((chunk: unknown) => {
    out.body += String(chunk);
    return true;
  }) as ServerResponse['write'];
  res.end = ((chunk?: unknown) => {
    if (typeof chunk === 'string') out.body += chunk;
    return res;
  }) as ServerResponse['end'];
  res.destroy = (() => {
    out.destroyed = true;
    return res;
  }) as ServerResponse['destroy'];
  res.writeEarlyHints = (() => {
    out.hints++;
  }) as ServerResponse['writeEarlyHints'];
  const next: Handler = async (r, s) => {
    const n = out.bodies.length + 1;
    const answer = answers[Math.min(n - 1, answers.length - 1)] as Answer;
    // A refused connection never sends a byte of the body; every other answer came after the body went out.
    const notSent = answer instanceof WharfError && answer.code === 'UPSTREAM_UNREACHABLE';
    out.bodies.push(notSent ? '(not sent)' : await readBody(r));
    onAttempt?.(n);
    // As the load balancer does: a sticky cookie of the server picked for this try.
    beforeResponseHead(s, (h) => h.setHeader('set-cookie', `lb=${n}`));
    s.writeEarlyHints({ link: '</a.css>; rel=preload' });
    if (answer instanceof WharfError) throw answer;
    const status = typeof answer === 'number' ? answer : answer.status;
    s.writeHead(status, { 'x-attempt': String(n) });
    if (typeof answer !== 'number') {
      s.write('part');
      s.destroy(); // the proxy cuts the response when the upstream breaks after its head
      return;
    }
    s.write(`attempt ${n} `);
    s.end('end');
  };
  try {
    await createRetry(RetrySchema.parse(options), clock)(next)(req, res);
  } catch (err) {
    out.code = err instanceof WharfError ? err.code : err;
  }
  out.retryAttempts = requestState(req).retryAttempts;
  return out;
}

const noServer = () => new WharfError('NO_HEALTHY_SERVER', { service: 's' });
const refused = () =>
  new WharfError(
    'UPSTREAM_UNREACHABLE',
    { server: 'http://s', problem: 'refused' },
    { cause: Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }) },
  );

describe('retry on status', () => {
  it('503, 503, then 200: only the 200 reaches the client, with its own head', async () => {
    const o = await run({ attempts: 3, status: ['503'] }, [503, 503, 200]);
    expect(o.bodies.length).toBe(3);
    expect(o.heads).toEqual([{ status: 200, attempt: '3', cookie: 'lb=3' }]);
    expect(o.body).toBe('attempt 3 end');
    expect(o.retryAttempts).toBe(2);
    // Early hints of the tries that could be retried are dropped (Traefik drops 1xx there); the last try's go out.
    expect(o.hints).toBe(1);
  });

  it('the last attempt is the answer, whatever its status', async () => {
    const o = await run({ attempts: 2, status: ['500-599'] }, [503, 502]);
    expect(o.heads).toEqual([{ status: 502, attempt: '2', cookie: 'lb=2' }]);
    expect(o.body).toBe('attempt 2 end');
    expect(o.retryAttempts).toBe(1);
  });

  it.each([
    ['a status outside the ranges', { status: ['500-502'] }, [503, 200], 1, 503],
    ['a range', { status: ['500-599'] }, [503, 200], 2, 200],
    ['a list in one item', { status: ['404,503'] }, [503, 200], 2, 200],
    ['no status: answered statuses are never retried', {}, [503, 200], 1, 503],
  ] as const)('%s', async (_what, extra, answers, tries, status) => {
    const o = await run({ attempts: 3, ...extra }, [...answers]);
    expect({ tries: o.bodies.length, status: o.heads[0]?.status }).toEqual({ tries, status });
  });

  it.each([
    ['GET', false, 2],
    ['HEAD', false, 2],
    ['PUT', false, 2],
    ['DELETE', false, 2],
    ['OPTIONS', false, 2],
    ['POST', false, 1],
    ['PATCH', false, 1],
    ['LOCK', false, 1],
    ['POST', true, 2],
    ['PATCH', true, 2],
    ['LOCK', true, 2],
  ])('%s with retryNonIdempotentMethod %s: %i tries', async (method, any, tries) => {
    const o = await run({ attempts: 2, status: ['503'], retryNonIdempotentMethod: any }, [503, 200], {
      method,
    });
    expect(o.bodies.length).toBe(tries);
  });

  it('a POST body is sent whole to every attempt', async () => {
    const o = await run({ attempts: 3, status: ['503'], retryNonIdempotentMethod: true }, [503, 503, 200], {
      method: 'POST',
      body: 'payload',
    });
    expect(o.bodies).toEqual(['payload', 'payload', 'payload']);
    expect(o.heads[0]?.status).toBe(200);
  });

  it.each([
    ['above maxRequestBodyBytes: not retried on status, forwarded whole once', 6, 1, 503],
    ['exactly maxRequestBodyBytes: retried', 7, 2, 200],
    ['no limit (negative)', -1, 2, 200],
    ['the default limit (2 MiB)', undefined, 2, 200],
  ])('a 7-byte body %s', async (_what, max, tries, status) => {
    const o = await run({ attempts: 3, status: ['503'], maxRequestBodyBytes: max }, [503, 200], {
      method: 'PUT',
      body: 'payload',
    });
    expect({ tries: o.bodies.length, status: o.heads[0]?.status }).toEqual({ tries, status });
    expect(o.bodies[0]).toBe('payload');
  });

  it('maxRequestBodyBytes 0 still retries a request without a body', async () => {
    const o = await run({ attempts: 2, status: ['503'], maxRequestBodyBytes: 0 }, [503, 200]);
    expect(o.bodies.length).toBe(2);
  });

  it('a body too large for status retries is still retried on a network error', async () => {
    const o = await run({ attempts: 3, status: ['503'], maxRequestBodyBytes: 2 }, [refused(), 200], {
      method: 'PUT',
      body: 'payload',
    });
    // The first try never read the body (a refused connection), so the second gets it whole.
    expect(o.bodies).toEqual(['(not sent)', 'payload']);
    expect(o.heads[0]?.status).toBe(200);
  });

  it("a failure Wharf raises counts with the status Traefik's proxy writes for it (503 without a server)", async () => {
    const o = await run({ attempts: 3, status: ['503'] }, [noServer(), 200]);
    expect({ tries: o.bodies.length, status: o.heads[0]?.status, code: o.code }).toEqual({
      tries: 2,
      status: 200,
      code: undefined,
    });
  });

  it.each([
    [
      'network retries off, 502 not in status: a refused connection is the answer',
      ['503'],
      1,
      'UPSTREAM_UNREACHABLE',
    ],
    ['network retries off, 502 in status: retried as the 502 it stands for', ['502'], 2, undefined],
  ])('%s', async (_what, status, tries, code) => {
    const o = await run({ attempts: 3, status, disableRetryOnNetworkError: true }, [refused(), 200]);
    expect({ tries: o.bodies.length, code: o.code }).toEqual({ tries, code });
  });

  it('once timeout has passed, the attempt that answers is the answer', async () => {
    const clock = manualClock();
    // The second try starts 100 ms in, past the 50 ms timeout: its 503 goes to the client.
    const o = await run({ attempts: 5, status: ['503'], timeout: '50ms' }, [503], {}, clock, (n) => {
      if (n === 2) clock.advance(100);
    });
    expect(o.bodies.length).toBe(2);
    expect(o.heads).toEqual([{ status: 503, attempt: '2', cookie: 'lb=2' }]);
  });

  it('an upstream that breaks after a held head: the client sees nothing of it, the next try answers', async () => {
    const o = await run({ attempts: 3, status: ['503'] }, [{ status: 503, breakAfterHead: true }, 200]);
    expect({ tries: o.bodies.length, destroyed: o.destroyed, heads: o.heads.length, body: o.body }).toEqual({
      tries: 2,
      destroyed: false,
      heads: 1,
      body: 'attempt 2 end',
    });
  });

  it('a response already streaming to the client is never retried: a break cuts it', async () => {
    const o = await run({ attempts: 3, status: ['503'] }, [{ status: 200, breakAfterHead: true }, 200]);
    expect({ tries: o.bodies.length, destroyed: o.destroyed, body: o.body }).toEqual({
      tries: 1,
      destroyed: true,
      body: 'part',
    });
  });

  it('waits the backoff between status retries', async () => {
    const clock = manualClock();
    const done = run({ attempts: 2, status: ['503'], initialInterval: '100ms' }, [503, 200], {}, clock);
    await new Promise(setImmediate);
    expect(clock.pending).toBe(1);
    clock.advance(150); // at most 100 ms ± 50%
    const o = await done;
    expect(o.heads[0]?.status).toBe(200);
  });
});

describe('AttemptGuard', () => {
  it('gives the response back at once when the head is not held', () => {
    const res = new ServerResponse(fakeRequest('/'));
    const own = res.write;
    const guard = new AttemptGuard(res, () => false);
    res.writeHead(200);
    expect(res.write).toBe(own);
    expect(guard.discarded).toBeUndefined();
    expect(res.headersSent).toBe(true);
  });

  it('holds an implicit head (write without writeHead) with the status set on the response', () => {
    const res = new ServerResponse(fakeRequest('/'));
    const guard = new AttemptGuard(res, (s) => s === 503);
    res.statusCode = 503;
    expect(res.write('x')).toBe(true);
    res.end();
    guard.restore();
    expect({ discarded: guard.discarded, sent: res.headersSent }).toEqual({ discarded: 503, sent: false });
  });
});

describe('keepBodyForReplay', () => {
  const req = (body: string | undefined) => {
    const r = fakeRequest('/', {
      method: 'PUT',
      headers: body === undefined ? {} : { 'transfer-encoding': 'chunked' },
    });
    if (body !== undefined) {
      for (const c of body) r.push(c); // one byte per chunk: the limit falls inside the stream
      r.push(null);
    }
    return r;
  };
  const text = async (b: Buffer | Readable | undefined) => {
    if (b === undefined || Buffer.isBuffer(b)) return b?.toString();
    const parts: Buffer[] = [];
    for await (const c of b) parts.push(Buffer.from(c as Buffer));
    return Buffer.concat(parts).toString();
  };
  it.each([
    ['no body', undefined, 10, true, undefined],
    ['a body within the limit, kept in memory', 'hello', 5, true, 'hello'],
    ['a body one byte over: put back in front of the rest', 'hello', 4, false, 'hello'],
    ['no limit', 'hello', -1, true, 'hello'],
  ])('%s', async (_what, body, max, kept, forwarded) => {
    const r = req(body);
    const state = requestState(r);
    expect(await keepBodyForReplay(r, state, max)).toBe(kept);
    expect(Buffer.isBuffer(state.replayBody)).toBe(kept && body !== undefined);
    expect(await text(state.replayBody)).toBe(forwarded);
  });

  it('a body another middleware holds in memory is judged by its size', async () => {
    const r = req(undefined);
    requestState(r).replayBody = Buffer.from('abc');
    expect(await keepBodyForReplay(r, requestState(r), 2)).toBe(false);
    expect(await keepBodyForReplay(r, requestState(r), 3)).toBe(true);
  });

  it('a client leaving mid-body is CLIENT_CLOSED', async () => {
    const r = fakeRequest('/', { method: 'PUT', headers: { 'content-length': '10' } });
    r.push('abc');
    setImmediate(() => r.destroy(new Error('aborted')));
    await expect(keepBodyForReplay(r, requestState(r), 100)).rejects.toMatchObject({ code: 'CLIENT_CLOSED' });
  });

  it('reads a stream source that is not the request (buffering spilled to a file)', async () => {
    const r = req(undefined);
    requestState(r).replayBody = Readable.from([Buffer.from('from '), Buffer.from('file')]);
    expect(await keepBodyForReplay(r, requestState(r), 100)).toBe(true);
    expect(await text(requestState(r).replayBody)).toBe('from file');
  });
});
