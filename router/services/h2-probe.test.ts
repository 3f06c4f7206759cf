import { describe, expect, it } from 'vitest';
import { grpcHealthVerdict, type H2ProbeResponse } from './h2-probe.ts';

/** A gRPC answer frame holding a HealthCheckResponse with `status` (absent: the empty message). */
const frame = (status?: number) => {
  const msg = status === undefined ? Buffer.alloc(0) : Buffer.from([0x08, status]);
  const head = Buffer.alloc(5);
  head.writeUInt32BE(msg.length, 1);
  return Buffer.concat([head, msg]);
};
const answer = (over: Partial<H2ProbeResponse>): H2ProbeResponse => ({
  status: 200,
  headers: {},
  trailers: { 'grpc-status': '0' },
  body: frame(1),
  ...over,
});

describe('grpcHealthVerdict', () => {
  it.each([
    { name: 'SERVING', res: answer({}), out: undefined },
    { name: 'NOT_SERVING', res: answer({ body: frame(2) }), out: 'serving status NOT_SERVING' },
    { name: 'the empty message is UNKNOWN', res: answer({ body: frame() }), out: 'serving status UNKNOWN' },
    {
      name: 'unimplemented, trailers-only',
      res: answer({
        headers: { 'grpc-status': '12', 'grpc-message': 'no%20health' },
        trailers: {},
        body: Buffer.alloc(0),
      }),
      out: 'gRPC status 12 (the server does not implement the health protocol): no health',
    },
    { name: 'an HTTP error', res: answer({ status: 503 }), out: 'HTTP status 503' },
    { name: 'no grpc-status', res: answer({ trailers: {} }), out: 'no grpc-status in the answer' },
    { name: 'no message', res: answer({ body: Buffer.alloc(0) }), out: 'no health response message' },
  ])('$name', ({ res, out }) => {
    expect(grpcHealthVerdict(res)).toBe(out);
  });
});
