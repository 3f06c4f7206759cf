import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { beforeResponseHead } from './response-head.ts';

/** A response whose head is captured instead of sent. */
function response(): {
  res: ServerResponse;
  head: () => { status: number; headers: Record<string, unknown> };
} {
  const res = new ServerResponse(new IncomingMessage(new Socket()));
  let captured: { status: number; headers: Record<string, unknown> } | undefined;
  res.writeHead = function (this: ServerResponse, status: number) {
    captured = { status, headers: { ...this.getHeaders() } };
    return this;
  } as ServerResponse['writeHead'];
  return {
    res,
    head: () => {
      if (captured === undefined) throw new Error('no head written');
      return captured;
    },
  };
}

/** Something other than beforeResponseHead wrapping writeHead (as contentType does). */
function foreignWrap(res: ServerResponse, name: string): void {
  const original = res.writeHead;
  res.writeHead = function (this: ServerResponse, ...args: unknown[]) {
    this.setHeader('x-order', `${String(this.getHeader('x-order') ?? '')}${name}`);
    return (original as (...a: unknown[]) => ServerResponse).apply(this, args);
  } as ServerResponse['writeHead'];
}

const mark = (name: string) => (r: ServerResponse) =>
  r.setHeader('x-order', `${String(r.getHeader('x-order') ?? '')}${name}`);

describe('beforeResponseHead', () => {
  it.each<[string, (res: ServerResponse) => void, string]>([
    ['one edit', (res) => beforeResponseHead(res, mark('a')), 'a'],
    [
      'the edit added last runs first',
      (res) => {
        beforeResponseHead(res, mark('a'));
        beforeResponseHead(res, mark('b'));
        beforeResponseHead(res, mark('c'));
      },
      'cba',
    ],
    [
      'a foreign wrapper in between keeps the order (outermost first)',
      (res) => {
        beforeResponseHead(res, mark('a'));
        foreignWrap(res, 'f');
        beforeResponseHead(res, mark('b'));
      },
      'bfa',
    ],
    [
      'a foreign wrapper underneath runs after every edit',
      (res) => {
        foreignWrap(res, 'f');
        beforeResponseHead(res, mark('a'));
        beforeResponseHead(res, mark('b'));
      },
      'baf',
    ],
  ])('%s', (_name, setup, order) => {
    const { res, head } = response();
    setup(res);
    res.writeHead(200);
    expect(head()).toEqual({ status: 200, headers: { 'x-order': order } });
  });

  it('headers given to writeHead (object, pairs, flat list) are visible to the edits, and a reason phrase passes through', () => {
    for (const given of [{ 'x-a': '1' }, [['x-a', '1']], ['x-a', '1']] as const) {
      const { res, head } = response();
      let seen: unknown;
      beforeResponseHead(res, (r) => {
        seen = r.getHeader('x-a');
      });
      (res.writeHead as (s: number, m: string, h: unknown) => ServerResponse)(201, 'Made', given);
      expect(seen).toBe('1');
      expect(head().status).toBe(201);
    }
  });
});
