import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { firstLineCheck } from './first-line.ts';
import { normalizeTarget, requestRefusal } from './request-checks.ts';

function req(fields: { method?: string; httpVersionMajor?: number; rawHeaders?: string[] }): IncomingMessage {
  const rawHeaders = fields.rawHeaders ?? ['Host', 'a.test'];
  const headers: Record<string, string> = {};
  for (let i = 0; i < rawHeaders.length; i += 2) headers[rawHeaders[i]!.toLowerCase()] ??= rawHeaders[i + 1]!;
  return {
    method: fields.method ?? 'GET',
    httpVersionMajor: fields.httpVersionMajor ?? 1,
    rawHeaders,
    headers,
  } as unknown as IncomingMessage;
}

describe('requestRefusal', () => {
  it.each([
    ['a plain GET', req({}), undefined],
    ['HTTP/0.9', req({ httpVersionMajor: 0 }), 400],
    ['CONNECT', req({ method: 'CONNECT' }), 501],
    ['two Host headers', req({ rawHeaders: ['Host', 'a.test', 'host', 'b.test'] }), 400],
    [
      'HTTP/2 (no Host check)',
      req({ httpVersionMajor: 2, rawHeaders: ['host', 'a', 'host', 'b'] }),
      undefined,
    ],
    [
      'Content-Length 2^53-1',
      req({ rawHeaders: ['Host', 'a', 'Content-Length', '9007199254740991'] }),
      undefined,
    ],
    ['Content-Length 2^53', req({ rawHeaders: ['Host', 'a', 'Content-Length', '9007199254740992'] }), 400],
    [
      'Content-Length 20 digits',
      req({ rawHeaders: ['Host', 'a', 'Content-Length', '00000000000000000005'] }),
      undefined,
    ],
  ])('%s → %s', (_name, request, status) => {
    expect(requestRefusal(request)?.status).toBe(status);
  });
});

describe('firstLineCheck', () => {
  it.each([
    ['GET / HTTP/1.1\r\nHost: a\r\n\r\n', 'ok'],
    ['GET / HTTP/1.0\n', 'ok'],
    ['\r\nGET / HTTP/1.1\r\n', 'ok'],
    ['GET / HTTP/1.1', 'incomplete'],
    ['GET /', 'incomplete'],
    ['', 'incomplete'],
    ['\r\n', 'incomplete'],
    ['GET /\r\n', 'bad'],
    ['GET /\n', 'bad'],
    ['GET / HTTP/1.1 x\r\n', 'bad'],
    ['GARBAGE\r\n', 'bad'],
    [`GET /${'a'.repeat(20_000)}`, 'ok'],
  ])('%j → %s', (head, expected) => {
    expect(firstLineCheck(Buffer.from(head, 'latin1'))).toBe(expected);
  });
});

describe('normalizeTarget', () => {
  const cases: Array<{ url: string; ok: boolean; host: string; target?: string }> = [
    { url: '/a?b', ok: true, host: 'a.test', target: '/a?b' },
    { url: 'http://b.test/x?y', ok: true, host: 'b.test', target: '/x?y' },
    { url: 'http://user@b.test:81/x', ok: true, host: 'b.test:81', target: '/x' },
    // Go keeps the Host header when the authority is empty (Traefik routes `GET http://@/` by it)
    { url: 'http://@/', ok: true, host: 'a.test', target: '/' },
    { url: 'http://@?q=1', ok: true, host: 'a.test', target: '/?q=1' },
    { url: 'http:///p', ok: true, host: 'a.test', target: '/p' },
    { url: '*', ok: false, host: 'a.test' },
  ];
  it.each(cases)('$url', ({ url, ok, host, target }) => {
    const r = { ...req({}), url } as IncomingMessage;
    expect(normalizeTarget(r)).toBe(ok);
    expect(r.headers.host).toBe(host);
    if (target !== undefined) expect(r.url).toBe(target);
  });
});
