import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { fakeRequest, runMiddleware } from '../../test/helpers/middleware.ts';
import { base64Decoder, grpcWeb, originAllowed, trailerFrame } from './grpc-web.ts';

describe('grpcWeb: requests', () => {
  const m = grpcWeb({ allowOrigins: ['https://app.test'] });
  it.each([
    {
      name: 'a binary gRPC-Web call goes on as gRPC, allowed origin gets CORS headers',
      method: 'POST',
      headers: {
        'content-type': 'application/grpc-web+proto',
        'content-length': '7',
        origin: 'https://app.test',
      },
      next: {
        'content-type': 'application/grpc+proto',
        'transfer-encoding': 'chunked',
        te: 'trailers',
        origin: 'https://app.test',
      },
      response: {
        status: 200,
        headers: {
          vary: 'Origin',
          'access-control-allow-origin': 'https://app.test',
          'access-control-allow-credentials': 'true',
          'content-type': 'application/grpc-web',
          'access-control-expose-headers': 'vary, content-type',
        },
      },
    },
    {
      name: 'the text format, an origin not allowed: no CORS headers',
      method: 'POST',
      headers: { 'content-type': 'application/grpc-web-text', origin: 'https://evil.test' },
      next: {
        'content-type': 'application/grpc',
        'transfer-encoding': 'chunked',
        te: 'trailers',
        origin: 'https://evil.test',
      },
      response: {
        status: 200,
        headers: {
          vary: 'Origin',
          'content-type': 'application/grpc-web-text',
          'access-control-expose-headers': 'vary, content-type',
        },
      },
    },
    {
      name: 'anything else passes through unchanged',
      method: 'GET',
      headers: { 'content-type': 'application/grpc-web' },
      next: { 'content-type': 'application/grpc-web' },
      response: { status: 200, headers: { 'content-type': 'application/grpc' } },
    },
    {
      name: 'a gRPC-Web preflight from an allowed origin',
      method: 'OPTIONS',
      headers: {
        origin: 'https://app.test',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,x-grpc-web,x-user-agent',
      },
      next: undefined,
      response: {
        status: 204,
        headers: {
          vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
          'access-control-allow-origin': 'https://app.test',
          'access-control-allow-credentials': 'true',
          'access-control-allow-methods': 'POST',
          'access-control-allow-headers': 'content-type,x-grpc-web,x-user-agent',
          'access-control-max-age': '600',
        },
      },
    },
    {
      name: 'a gRPC-Web preflight from another origin: 204 without CORS headers',
      method: 'OPTIONS',
      headers: {
        origin: 'https://evil.test',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'x-grpc-web',
      },
      next: undefined,
      response: {
        status: 204,
        headers: { vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers' },
      },
    },
  ])('$name', async ({ method, headers, next, response }) => {
    const run = await runMiddleware(
      m,
      fakeRequest('/pkg.Svc/Call', { method, headers: headers as unknown as Record<string, string> }),
      {
        'content-type': 'application/grpc',
      },
    );
    expect(run.next?.headers).toEqual(next);
    expect(run.response).toEqual(response);
  });
});

describe('grpcWeb: pieces', () => {
  it.each([
    { allow: ['*'], origin: 'https://a.test', out: true },
    { allow: ['https://a.test'], origin: 'https://a.test', out: true },
    { allow: ['https://a.test'], origin: 'https://b.test', out: false },
    { allow: [], origin: 'https://a.test', out: false },
    { allow: ['*'], origin: undefined, out: false },
  ])('originAllowed($allow, $origin) = $out', ({ allow, origin, out }) => {
    expect(originAllowed(allow, origin)).toBe(out);
  });

  it('trailerFrame: flag 0x80, length, lower-case lines', () => {
    const f = trailerFrame({ 'grpc-status': '0', 'X-Extra': 'a' });
    const text = 'grpc-status: 0\r\nx-extra: a\r\n';
    expect(f.equals(Buffer.concat([Buffer.from([0x80, 0, 0, 0, text.length]), Buffer.from(text)]))).toBe(
      true,
    );
  });

  it.each([
    { name: 'one padded message in odd chunks', chunks: ['AAAA', 'AAV', 'oaQ=='] },
    { name: 'messages padded apart', chunks: ['aGk=', 'dGhlcmU='] },
    { name: 'whitespace ignored', chunks: ['aG\nk=', ' dGhl', 'cmU='] },
  ])('base64Decoder: $name', async ({ chunks }) => {
    const out: Buffer[] = [];
    await new Promise<void>((resolve, reject) =>
      Readable.from(chunks.map((c) => Buffer.from(c)))
        .pipe(base64Decoder())
        .on('data', (b: Buffer) => out.push(b))
        .on('end', resolve)
        .on('error', reject),
    );
    const expected = Buffer.concat(
      chunks
        .map((c) => c.replace(/\s/g, ''))
        .join('')
        .split(/(?<==)(?=[^=])/)
        .map((p) => Buffer.from(p, 'base64')),
    );
    expect(Buffer.concat(out).equals(expected)).toBe(true);
  });
});
