import { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { fakeRequest } from '../test/helpers/middleware.ts';
import { ResponseInterceptor } from './response-interceptor.ts';

const OWN = ['writeHead', 'write', 'end', 'flushHeaders'] as const;

describe('ResponseInterceptor', () => {
  // Each way a head goes out, with a status that is held (503) and one that is not (200).
  const sends: Array<[string, (res: ServerResponse) => unknown]> = [
    ['writeHead', (res) => res.writeHead(res.statusCode)],
    ['write', (res) => res.write('x')],
    ['end', (res) => res.end('x')],
    ['flushHeaders', (res) => res.flushHeaders()],
  ];
  const cases = sends.flatMap(([how, send]) => [
    { how, send, status: 503, held: 503, sent: false },
    { how, send, status: 200, held: undefined, sent: true },
  ]);
  it.each(cases)('$how with $status: held $held, head sent $sent', ({ send, status, held, sent }) => {
    const res = new ServerResponse(fakeRequest('/'));
    const interceptor = new ResponseInterceptor(res, (s) => s >= 500);
    res.statusCode = status;
    send(res);
    // A head that is not held gives the methods back before it goes out; a held one keeps them until restore.
    expect(OWN.filter((m) => Object.hasOwn(res, m))).toEqual(held === undefined ? [] : OWN);
    interceptor.restore();
    expect({ held: interceptor.held, sent: res.headersSent }).toEqual({ held, sent });
    expect(OWN.filter((m) => Object.hasOwn(res, m))).toEqual([]);
  });

  it('drops the body after a held head, calling each write callback as a write that succeeded', async () => {
    const res = new ServerResponse(fakeRequest('/'));
    const interceptor = new ResponseInterceptor(res, () => true);
    const acknowledged: string[] = [];
    res.writeHead(502);
    expect(res.write('a', () => acknowledged.push('write'))).toBe(true);
    res.end('b', () => acknowledged.push('end'));
    await new Promise(setImmediate);
    interceptor.restore();
    expect({ acknowledged, held: interceptor.held, sent: res.headersSent, ended: res.writableEnded }).toEqual(
      {
        acknowledged: ['write', 'end'],
        held: 502,
        sent: false,
        ended: false,
      },
    );
  });

  it('asks once: the first head decides, later ones follow it', () => {
    const res = new ServerResponse(fakeRequest('/'));
    const asked: number[] = [];
    const interceptor = new ResponseInterceptor(res, (s) => asked.push(s) > 0);
    res.writeHead(500);
    res.writeHead(200);
    res.end();
    interceptor.restore();
    expect({ asked, held: interceptor.held }).toEqual({ asked: [500], held: 500 });
  });

  it("gives back the response's own methods, not its prototype's", () => {
    const res = new ServerResponse(fakeRequest('/'));
    const own = function (this: ServerResponse) {
      return this;
    } as unknown as ServerResponse['end'];
    res.end = own;
    const interceptor = new ResponseInterceptor(res, () => true);
    expect(res.end).not.toBe(own);
    interceptor.restore();
    interceptor.restore();
    expect({ end: res.end === own, write: Object.hasOwn(res, 'write') }).toEqual({ end: true, write: false });
  });
});
