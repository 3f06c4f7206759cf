import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WharfError } from '../../config/errors.ts';
import { BufferingSchema } from '../../config/middlewares/buffering.ts';
import { silentLogger } from '../../core/log.ts';
import { fakeRequest } from '../../test/helpers/middleware.ts';
import { requestState } from '../request-state.ts';
import {
  createBuffering,
  DEFAULT_MEM_BODY_BYTES,
  expectBody,
  MAX_RETRY_ATTEMPTS,
  spillLimits,
} from './buffering.ts';
import { BodyTooLarge, SpillBuffer } from './spill-buffer.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wharf-buffering-unit-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function collect(body: Buffer | Readable | undefined): Promise<Buffer> {
  if (body === undefined || Buffer.isBuffer(body)) return body ?? Buffer.alloc(0);
  const parts: Buffer[] = [];
  for await (const c of body) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

describe('options', () => {
  it.each([
    { mem: undefined, max: undefined, want: { memBytes: DEFAULT_MEM_BODY_BYTES, maxBytes: 0 } },
    { mem: 0, max: 0, want: { memBytes: DEFAULT_MEM_BODY_BYTES, maxBytes: 0 } },
    { mem: 10, max: 5, want: { memBytes: 10, maxBytes: 5 } },
  ])('spillLimits($mem, $max)', ({ mem, max, want }) => {
    const { dir: _dir, ...limits } = spillLimits(mem, max, tmpdir);
    expect(limits).toEqual(want);
  });

  it.each([
    { options: {}, ok: true },
    { options: { maxRequestBodyBytes: 0, memResponseBodyBytes: 1 }, ok: true },
    { options: { retryExpression: '' }, ok: true },
    { options: { maxRequestBodyBytes: -1 }, ok: false },
    { options: { memRequestBodyBytes: 1.5 }, ok: false },
    { options: { retryExpression: 'IsNetworkError() && Attempts() < 2' }, ok: true },
  ])('schema accepts $options: $ok', ({ options, ok }) => {
    expect(BufferingSchema.safeParse(options).success).toBe(ok);
  });
});

describe('SpillBuffer limits', () => {
  it.each([
    { name: 'small, in memory', mem: 10, max: 0, chunks: [4, 6], size: 10, spilled: false, tooLarge: false },
    { name: 'past mem: a file', mem: 10, max: 0, chunks: [4, 7], size: 11, spilled: true, tooLarge: false },
    { name: 'exactly max', mem: 4, max: 12, chunks: [6, 6], size: 12, spilled: true, tooLarge: false },
    { name: 'one byte past max', mem: 4, max: 12, chunks: [6, 7], size: 6, spilled: true, tooLarge: true },
    { name: 'past max in memory', mem: 100, max: 5, chunks: [6], size: 0, spilled: false, tooLarge: true },
  ])('$name', async ({ mem, max, chunks, size, spilled, tooLarge }) => {
    const buf = new SpillBuffer({ memBytes: mem, maxBytes: max, dir: () => dir });
    const written: Buffer[] = [];
    let thrown: unknown;
    try {
      for (const [i, n] of chunks.entries()) {
        const c = Buffer.alloc(n, 97 + i);
        await buf.add(c);
        written.push(c);
      }
    } catch (err) {
      thrown = err;
    }
    await buf.finish();
    expect({ size: buf.size, spilled: buf.spilled, tooLarge: thrown instanceof BodyTooLarge }).toEqual({
      size,
      spilled,
      tooLarge,
    });
    if (!tooLarge) expect((await collect(await buf.open())).equals(Buffer.concat(written))).toBe(true);
    await buf.close();
    // The file is unlinked as soon as it is opened: nothing is ever left in the directory.
    expect(await readdir(dir)).toEqual([]);
  });
});

describe('expectBody', () => {
  it.each([
    { method: 'GET', status: 200, headers: {}, want: true },
    { method: 'HEAD', status: 200, headers: {}, want: false },
    { method: 'GET', status: 204, headers: {}, want: false },
    { method: 'GET', status: 304, headers: {}, want: false },
    { method: 'GET', status: 200, headers: { 'content-length': '0' }, want: false },
    { method: 'POST', status: 200, headers: { 'grpc-status': '0' }, want: true },
    { method: 'POST', status: 200, headers: { 'grpc-status': '14' }, want: false },
  ])('$method $status $headers → $want', ({ method, status, headers, want }) => {
    expect(expectBody(method, status, headers)).toBe(want);
  });
});

describe('request side', () => {
  const run = async (
    options: object,
    given: Record<string, string | undefined>,
    body: Buffer | undefined,
  ) => {
    const headers = Object.fromEntries(
      Object.entries(given).filter((e): e is [string, string] => e[1] !== undefined),
    );
    const req = fakeRequest('/', { method: 'POST', headers });
    if (body !== undefined) {
      req.push(body);
      req.push(null);
    }
    const res = new ServerResponse(req);
    let seen: { headers: Record<string, unknown>; body: Buffer } | undefined;
    const wrap = createBuffering(options, silentLogger(), () => dir);
    let error: unknown;
    try {
      await wrap(async (r, s) => {
        seen = { headers: { ...r.headers }, body: await collect(requestState(r).replayBody) };
        s.end();
      })(req, res);
    } catch (err) {
      error = err;
    }
    return {
      seen,
      code: error instanceof WharfError ? error.code : error,
      connection: res.getHeader('connection'),
    };
  };

  it.each([
    {
      name: 'chunked becomes Content-Length',
      options: {},
      headers: { 'transfer-encoding': 'chunked' },
      body: Buffer.from('hello'),
      want: { length: '5', code: undefined },
    },
    {
      name: 'spilled body reaches the next handler whole',
      options: { memRequestBodyBytes: 2 },
      headers: { 'transfer-encoding': 'chunked' },
      body: Buffer.from('hello world'),
      want: { length: '11', code: undefined },
    },
    {
      name: 'Content-Length over max: 413 before reading',
      options: { maxRequestBodyBytes: 4 },
      headers: { 'content-length': '5' },
      body: undefined,
      want: { length: undefined, code: 'BUFFERING_REQUEST_TOO_LARGE' },
    },
    {
      name: 'chunked body over max: 413',
      options: { maxRequestBodyBytes: 4 },
      headers: { 'transfer-encoding': 'chunked' },
      body: Buffer.from('hello'),
      want: { length: undefined, code: 'BUFFERING_REQUEST_TOO_LARGE' },
    },
    {
      name: 'exactly max passes',
      options: { maxRequestBodyBytes: 5 },
      headers: { 'content-length': '5' },
      body: Buffer.from('hello'),
      want: { length: '5', code: undefined },
    },
  ])('$name', async ({ options, headers, body, want }) => {
    const r = await run(options, headers, body);
    expect({ length: r.seen?.headers['content-length'], code: r.code }).toEqual(want);
    if (r.seen) {
      expect(r.seen.headers['transfer-encoding']).toBeUndefined();
      expect(r.seen.body.equals(body ?? Buffer.alloc(0))).toBe(true);
    } else expect(r.connection).toBe('close');
    expect(await readdir(dir)).toEqual([]);
  });
});

describe('retryExpression: the request is replayed while it holds (oxy buffer)', () => {
  /**
   * Runs a POST through buffering with `options`; the next handler answers each attempt with the next of
   * `answers` (a status, or a failure to throw), recording the request bodies it was sent.
   */
  const run = async (options: object, answers: Array<number | WharfError>, body = 'payload') => {
    const req = fakeRequest('/', { method: 'POST', headers: { 'transfer-encoding': 'chunked' } });
    req.push(Buffer.from(body));
    req.push(null);
    const res = new ServerResponse(req);
    const sent: Buffer[] = [];
    const end = res.end.bind(res);
    res.end = ((chunk?: unknown) => {
      if (Buffer.isBuffer(chunk)) sent.push(chunk);
      return end();
    }) as ServerResponse['end'];
    const bodies: string[] = [];
    const wrap = createBuffering(options, silentLogger(), () => dir);
    let error: unknown;
    try {
      await wrap(async (r, s) => {
        const n = bodies.length;
        bodies.push((await collect(requestState(r).replayBody)).toString());
        const answer = answers[Math.min(n, answers.length - 1)] as number | WharfError;
        s.setHeader('x-attempt', String(n + 1));
        if (answer instanceof WharfError) throw answer;
        s.writeHead(answer, { 'x-status': String(answer) });
        s.end(`answer ${n + 1}`);
      })(req, res);
    } catch (err) {
      error = err;
    }
    return {
      bodies,
      status: res.headersSent ? res.statusCode : undefined,
      headers: { attempt: res.getHeader('x-attempt'), status: res.getHeader('x-status') },
      body: Buffer.concat(sent).toString(),
      code: error instanceof WharfError ? error.code : error,
    };
  };
  const unreachable = () =>
    new WharfError('UPSTREAM_UNREACHABLE', { server: 'http://s', problem: 'refused' });

  it.each([
    {
      name: 'a 503 then a 200: the 200 is the answer, the body sent twice whole',
      expression: 'ResponseCode() == 503',
      answers: [503, 200],
      want: { tries: 2, status: 200, attempt: '2', body: 'answer 2', code: undefined },
    },
    {
      name: 'an unreachable server counts as a network error (502) and is replayed',
      expression: 'IsNetworkError() && Attempts() <= 2',
      answers: [unreachable(), 200],
      want: { tries: 2, status: 200, attempt: '2', body: 'answer 2', code: undefined },
    },
    {
      name: 'the expression stops holding: the last failure is the answer',
      expression: 'IsNetworkError() && Attempts() <= 2',
      answers: [unreachable()],
      want: { tries: 3, status: undefined, attempt: undefined, body: '', code: 'UPSTREAM_UNREACHABLE' },
    },
    {
      name: 'the expression stops holding on a response: that response is sent',
      expression: 'ResponseCode() == 503 && Attempts() < 3',
      answers: [503],
      want: { tries: 3, status: 503, attempt: '3', body: 'answer 3', code: undefined },
    },
    {
      name: 'an expression that always holds: 10 replays at most (11 tries), then the answer is sent',
      expression: 'ResponseCode() == 503',
      answers: [503],
      want: {
        tries: MAX_RETRY_ATTEMPTS + 1,
        status: 503,
        attempt: String(MAX_RETRY_ATTEMPTS + 1),
        body: `answer ${MAX_RETRY_ATTEMPTS + 1}`,
        code: undefined,
      },
    },
    {
      name: 'a response over maxResponseBodyBytes is never replayed',
      expression: 'Attempts() < 5',
      answers: [200],
      options: { maxResponseBodyBytes: 3 },
      want: {
        tries: 1,
        status: undefined,
        attempt: undefined,
        body: '',
        code: 'BUFFERING_RESPONSE_TOO_LARGE',
      },
    },
    {
      name: 'a body spilled to a file is read again from its start for each try',
      expression: 'ResponseCode() == 503',
      answers: [503, 503, 200],
      options: { memRequestBodyBytes: 2 },
      want: { tries: 3, status: 200, attempt: '3', body: 'answer 3', code: undefined },
    },
    {
      name: 'an empty expression never replays',
      expression: '',
      answers: [503, 200],
      want: { tries: 1, status: 503, attempt: '1', body: 'answer 1', code: undefined },
    },
  ])('$name', async ({ expression, answers, options, want }) => {
    const r = await run({ ...options, retryExpression: expression }, answers);
    expect({
      tries: r.bodies.length,
      status: r.status,
      attempt: r.headers.attempt,
      body: r.body,
      code: r.code,
    }).toEqual(want);
    expect(r.bodies).toEqual(Array(want.tries).fill('payload'));
    // Headers of a replayed try never reach the client: only the answering try's are there.
    if (want.status !== undefined) expect(r.headers.status).toBe(String(want.status));
    expect(await readdir(dir)).toEqual([]);
  });

  it('a bad expression fails when the middleware is built, with the column', () => {
    expect(() => createBuffering({ retryExpression: 'Attempts() < 2.0' }, silentLogger())).toThrow(
      'at column 14',
    );
  });
});
