import { describe, expect, it } from 'vitest';
import { connectionTokens, downstreamResponseHeaders, upstreamRequestHeaders } from './hop-headers.ts';

describe('upstreamRequestHeaders', () => {
  it('drops hop-by-hop headers, Expect, Host and those named in Connection; appends X-Forwarded-For', () => {
    const headers = upstreamRequestHeaders(
      {
        host: 'client.test',
        connection: 'keep-alive, X-Secret, x-forwarded-for, X-Real-Ip',
        'keep-alive': 'timeout=5',
        'proxy-connection': 'keep-alive',
        'proxy-authorization': 'Basic eDp5',
        te: 'trailers',
        trailer: 'x-t',
        'transfer-encoding': 'chunked',
        upgrade: 'websocket',
        expect: '100-continue',
        'x-secret': 'dropped',
        'x-real-ip': '127.0.0.1',
        'x-forwarded-for': '1.1.1.1, 2.2.2.2',
        accept: 'text/html',
        cookie: 'a=1; b=2',
        'set-cookie': ['odd=1', 'odd=2'],
      },
      '127.0.0.1',
      'server.test:8080',
    );
    expect(headers).toEqual([
      'x-real-ip',
      '127.0.0.1',
      'accept',
      'text/html',
      'cookie',
      'a=1; b=2',
      'set-cookie',
      'odd=1',
      'set-cookie',
      'odd=2',
      'x-forwarded-for',
      '1.1.1.1, 2.2.2.2, 127.0.0.1',
      'host',
      'server.test:8080',
    ]);
  });

  it('starts X-Forwarded-For with the client and leaves Host to undici when none is given', () => {
    expect(upstreamRequestHeaders({ ':authority': 'x', accept: '*/*' }, '::1', undefined)).toEqual([
      'accept',
      '*/*',
      'x-forwarded-for',
      '::1',
    ]);
  });
});

describe('upstreamRequestHeaders: X-Forwarded-For', () => {
  // Go's ReverseProxy: a nil X-Forwarded-For entry (set by the headers middleware for an empty value)
  // means "send none"; a deleted or absent one gets the client's address; a set one gets it appended.
  it.each([
    ['absent: the client address', { accept: '*/*' }, ['accept', '*/*', 'x-forwarded-for', '10.0.0.1']],
    [
      'set: the client address appended',
      { 'x-forwarded-for': '1.2.3.4' },
      ['x-forwarded-for', '1.2.3.4, 10.0.0.1'],
    ],
    [
      'a key without a value: none at all',
      { 'x-forwarded-for': undefined, accept: '*/*' },
      ['accept', '*/*'],
    ],
  ] as Array<[string, Record<string, string | undefined>, string[]]>)('%s', (_name, headers, expected) => {
    expect(upstreamRequestHeaders(headers, '10.0.0.1', undefined)).toEqual(expected);
  });
});

describe('downstreamResponseHeaders', () => {
  it('drops hop-by-hop headers and those named in Connection, keeps arrays', () => {
    expect(
      downstreamResponseHeaders({
        connection: 'keep-alive, x-hop',
        'keep-alive': 'timeout=5',
        'transfer-encoding': 'chunked',
        'x-hop': '1',
        'content-type': 'text/plain',
        'set-cookie': ['a=1', 'b=2'],
      }),
    ).toEqual({ 'content-type': 'text/plain', 'set-cookie': ['a=1', 'b=2'] });
  });
});

describe('connectionTokens', () => {
  it('lower-cases, trims and skips Wharf-managed headers', () => {
    expect(
      connectionTokens(['Keep-Alive , X-A', ',x-forwarded-proto,X_Forwarded_For,X-Real_Ip, ,Upgrade']),
    ).toEqual(['keep-alive', 'x-a', 'upgrade']);
    expect(connectionTokens(undefined)).toEqual([]);
  });

  it.each([
    ['close, host', ['close']],
    ['Host, Content-Length, Transfer-Encoding, x-a', ['x-a']],
    [':authority, :path', []],
  ])('never names Host, the framing headers or pseudo-headers: %s', (value, expected) => {
    expect(connectionTokens(value)).toEqual(expected);
  });
});

describe('upstreamRequestHeaders with Connection naming framing headers', () => {
  it('keeps Content-Length, so the body still goes upstream', () => {
    expect(
      upstreamRequestHeaders(
        { host: 'a.test', connection: 'close, content-length, host', 'content-length': '5' },
        '127.0.0.1',
        'a.test',
      ),
    ).toEqual(['content-length', '5', 'x-forwarded-for', '127.0.0.1', 'host', 'a.test']);
  });
});

describe('upstreamRequestHeaders without a client address (forwardedHeaders.notAppendXForwardedFor)', () => {
  it.each<[string, Record<string, string | undefined>, string[]]>([
    [
      'forwards a received X-Forwarded-For as it is',
      { 'x-forwarded-for': '203.0.113.9' },
      ['x-forwarded-for', '203.0.113.9'],
    ],
    ['adds none when none was received', {}, []],
    ['keeps one a middleware removed out', { 'x-forwarded-for': undefined }, []],
  ])('%s', (_name, headers, expected) => {
    expect(upstreamRequestHeaders(headers, undefined, undefined)).toEqual(expected);
  });
});
