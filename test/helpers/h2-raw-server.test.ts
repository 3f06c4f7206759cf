import { describe, expect, it } from 'vitest';
import { encodeFrame, encodeResponseHeaders, FLAG, FRAME, parseFrames } from './h2-raw-server.ts';

// The pure parts of the raw HTTP/2 server: the frame codec and the HPACK encoding of responses.

const ping = { type: FRAME.PING, flags: 0, streamId: 0, payload: Buffer.from('12345678') };
const data = { type: FRAME.DATA, flags: FLAG.END_STREAM, streamId: 3, payload: Buffer.from('hi') };

describe('encodeFrame', () => {
  it.each([
    {
      name: 'empty SETTINGS',
      frame: { type: FRAME.SETTINGS, flags: 0, streamId: 0, payload: Buffer.alloc(0) },
      hex: '000000040000000000',
    },
    {
      name: 'SETTINGS ACK',
      frame: { type: FRAME.SETTINGS, flags: FLAG.ACK, streamId: 0, payload: Buffer.alloc(0) },
      hex: '000000040100000000',
    },
    { name: 'PING', frame: ping, hex: '000008060000000000' + Buffer.from('12345678').toString('hex') },
    { name: 'DATA on stream 3', frame: data, hex: '000002000100000003' + Buffer.from('hi').toString('hex') },
    {
      name: 'the reserved bit of the stream id is cleared',
      frame: { ...data, streamId: 0x80000003 },
      hex: '000002000100000003' + Buffer.from('hi').toString('hex'),
    },
  ])('$name', ({ frame, hex }) => {
    expect(encodeFrame(frame).toString('hex')).toBe(hex);
  });
});

describe('parseFrames', () => {
  const two = Buffer.concat([encodeFrame(ping), encodeFrame(data)]);
  it.each([
    { name: 'nothing', input: Buffer.alloc(0), types: [], rest: 0 },
    { name: 'a partial frame header', input: two.subarray(0, 5), types: [], rest: 5 },
    { name: 'a header without its whole payload', input: two.subarray(0, 12), types: [], rest: 12 },
    { name: 'one whole frame', input: two.subarray(0, 17), types: [FRAME.PING], rest: 0 },
    { name: 'one frame and part of the next', input: two.subarray(0, 20), types: [FRAME.PING], rest: 3 },
    { name: 'two frames', input: two, types: [FRAME.PING, FRAME.DATA], rest: 0 },
  ])('$name', ({ input, types, rest }) => {
    const out = parseFrames(input);
    expect(out.frames.map((f) => f.type)).toEqual(types);
    expect(out.rest.length).toBe(rest);
  });

  it('round-trips what encodeFrame made', () => {
    const { frames } = parseFrames(Buffer.concat([encodeFrame(ping), encodeFrame(data)]));
    expect(frames).toEqual([ping, data]);
  });
});

describe('encodeResponseHeaders', () => {
  it.each([
    { name: '200 is static entry 8', status: 200, headers: {} as Record<string, string>, hex: '88' },
    {
      name: 'another status: a literal with the indexed name :status',
      status: 404,
      headers: {},
      hex: '0803343034',
    },
    {
      name: 'headers: literals without indexing, names lower-cased',
      status: 200,
      headers: { 'X-A': 'b' },
      hex: '88' + '00' + '03' + Buffer.from('x-a').toString('hex') + '01' + Buffer.from('b').toString('hex'),
    },
  ])('$name', ({ status, headers, hex }) => {
    expect(encodeResponseHeaders(status, headers).toString('hex')).toBe(hex);
  });

  it('refuses strings that would need a longer length prefix', () => {
    expect(() => encodeResponseHeaders(200, { x: 'v'.repeat(127) })).toThrow(/under 127/);
  });
});
