import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { AccessLogSchema } from '../../config/static/access-log.ts';
import type { RequestState } from '../../middleware/request-state.ts';
import { countBody } from './counting-response.ts';
import { compileFieldPolicy } from './field-policy.ts';
import type { LogEntry } from './fields.ts';
import { clfUser, commonFormat, genericClfFormat, goJson, jsonFormat, quoteClf } from './formats.ts';

// 2016-04-13T14:14:19.000Z ends the request; it took 1.5 ms.
const END_MS = Date.UTC(2016, 3, 13, 14, 14, 19, 0);

/** A finished proxied request, as the entryPoint and the proxy leave it; `over` changes parts of it. */
function entry(
  over: {
    headers?: Record<string, string>;
    state?: Partial<RequestState>;
    status?: number;
    body?: string;
    head?: string;
    tls?: boolean;
  } = {},
): LogEntry {
  const req = {
    method: 'POST',
    httpVersion: '1.1',
    complete: true,
    headers: {
      host: 'app.test:8000',
      referer: 'http://ref.test/',
      'user-agent': 'curl/8.0',
      'content-length': '5',
      ...over.headers,
    },
    socket: over.tls
      ? {
          remotePort: 40000,
          encrypted: true,
          getProtocol: () => 'TLSv1.3',
          getCipher: () => ({ name: 'TLS_AES_128_GCM_SHA256', standardName: 'TLS_AES_128_GCM_SHA256' }),
          getPeerX509Certificate: () => ({ subject: 'C=FR\nO=Example\nCN=alice' }),
        }
      : { remotePort: 40000 },
  } as unknown as IncomingMessage;
  const res = {
    _header:
      over.head ??
      'HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\nx-b: 1\r\nx-b: 2\r\nconnection: keep-alive\r\n\r\n',
    getHeaders: () => ({}),
  } as unknown as ServerResponse;
  if (over.body !== undefined) countBody(res, over.body, undefined);
  else countBody(res, 'hello world', undefined);
  const state: RequestState = {
    entryPoint: 'web',
    scheme: over.tls ? 'https' : 'http',
    clientIp: '10.0.0.7',
    start: 0n,
    originalUrl: '/path?q=1',
    router: 'app@file',
    service: 'app@file',
    serverUrl: 'http://user:xxxxx@127.0.0.1:9000/base',
    responseBytes: 11,
    originStatus: 200,
    originMs: 1.25,
    originHeaders: { 'content-type': 'text/plain', 'set-cookie': ['a=1', 'b=2'] },
    ...over.state,
  };
  return {
    req,
    res,
    state,
    status: over.status ?? 200,
    durationNs: 1_500_000,
    endMs: END_MS,
    count: 7,
    keepQuery: true,
  };
}

const policy = (fields: unknown = {}) => compileFieldPolicy(AccessLogSchema.parse({ fields }).fields);

describe('common and genericCLF formats', () => {
  it.each([
    {
      name: 'defaults: headers are dropped, so referer and user agent are "-" (as Traefik)',
      e: entry(),
      fields: {},
      common:
        '10.0.0.7 - - [13/Apr/2016:14:14:18 +0000] "POST /path?q=1 HTTP/1.1" 200 11 "-" "-" 7 "app@file" "http://user:xxxxx@127.0.0.1:9000/base" 1ms\n',
      generic: '10.0.0.7 - - [13/Apr/2016:14:14:18 +0000] "POST /path?q=1 HTTP/1.1" 200 11 "-" "-"\n',
    },
    {
      name: 'kept Referer and User-Agent, a user, a trusted X-Forwarded-For',
      e: entry({ state: { username: 'bob' }, headers: { 'x-forwarded-for': '1.2.3.4, 10.0.0.1' } }),
      fields: { headers: { names: { Referer: 'keep', 'user-agent': 'keep' } } },
      common:
        '1.2.3.4, 10.0.0.1 - bob [13/Apr/2016:14:14:18 +0000] "POST /path?q=1 HTTP/1.1" 200 11 "http://ref.test/" "curl/8.0" 7 "app@file" "http://user:xxxxx@127.0.0.1:9000/base" 1ms\n',
      generic:
        '1.2.3.4, 10.0.0.1 - bob [13/Apr/2016:14:14:18 +0000] "POST /path?q=1 HTTP/1.1" 200 11 "http://ref.test/" "curl/8.0"\n',
    },
    {
      name: 'redacted user agent, dropped query, unrouted request (no router, no server)',
      e: entry({
        status: 404,
        body: '404 page not found\n',
        state: { router: undefined, serverUrl: undefined },
      }),
      fields: { headers: { defaultMode: 'redact' }, queryParameters: { defaultMode: 'drop' } },
      common:
        '10.0.0.7 - - [13/Apr/2016:14:14:18 +0000] "POST /path HTTP/1.1" 404 19 "REDACTED" "REDACTED" 7 "-" "-" 1ms\n',
      generic:
        '10.0.0.7 - - [13/Apr/2016:14:14:18 +0000] "POST /path HTTP/1.1" 404 19 "REDACTED" "REDACTED"\n',
    },
    {
      name: 'dropped fields print as missing ones: "-", and 0ms without Duration',
      e: entry(),
      fields: {
        defaultMode: 'drop',
        names: { RequestMethod: 'keep', requestpath: 'keep', DownstreamStatus: 'keep' },
      },
      common: '- - - [-] "POST /path?q=1 -" 200 - "-" "-" - "-" "-" 0ms\n',
      generic: '- - - [-] "POST /path?q=1 -" 200 - "-" "-"\n',
    },
  ])('$name', ({ e, fields, common, generic }) => {
    const p = policy(fields);
    expect(commonFormat({ ...e, keepQuery: p.keepQuery }, p)).toBe(common);
    expect(genericClfFormat({ ...e, keepQuery: p.keepQuery }, p)).toBe(generic);
  });

  it('writes local time with its offset when StartUTC is dropped', () => {
    const line = commonFormat(entry(), policy({ names: { StartUTC: 'drop' } }));
    expect(line).toMatch(/\[\d\d\/\w{3}\/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\]/);
  });
});

describe('json format', () => {
  it('writes every Traefik field with its type, keys sorted as Go sorts them', () => {
    const line = jsonFormat(entry({ tls: true, state: { username: 'bob', retryAttempts: 2 } }), policy());
    expect(line.endsWith('}\n')).toBe(true);
    const o = JSON.parse(line) as Record<string, unknown>;
    const { time, ...rest } = o;
    expect(time).toMatch(/^2016-04-13T\d\d:\d\d:19(Z|[+-]\d\d:\d\d)$/);
    expect(rest).toEqual({
      ClientAddr: '10.0.0.7:40000',
      ClientHost: '10.0.0.7',
      ClientPort: '40000',
      ClientUsername: 'bob',
      DownstreamContentSize: 11,
      DownstreamStatus: 200,
      Duration: 1_500_000,
      OriginContentSize: 11,
      OriginDuration: 1_250_000,
      OriginStatus: 200,
      Overhead: 250_000,
      RequestAddr: 'app.test:8000',
      RequestContentSize: 5,
      RequestCount: 7,
      RequestHost: 'app.test',
      RequestMethod: 'POST',
      RequestPath: '/path?q=1',
      RequestPort: '8000',
      RequestProtocol: 'HTTP/1.1',
      RequestScheme: 'https',
      RetryAttempts: 2,
      RouterName: 'app@file',
      ServiceAddr: '127.0.0.1:9000',
      ServiceName: 'app@file',
      ServiceURL: 'http://user:xxxxx@127.0.0.1:9000/base',
      StartLocal: expect.stringMatching(/^2016-04-13T\d\d:\d\d:18\.9985(Z|[+-]\d\d:\d\d)$/),
      StartUTC: '2016-04-13T14:14:18.9985Z',
      TLSCipher: 'TLS_AES_128_GCM_SHA256',
      TLSClientSubject: 'CN=alice,O=Example,C=FR',
      TLSVersion: '1.3',
      entryPointName: 'web',
      level: 'info',
      msg: '',
    });
    expect(Object.keys(o)).toEqual([...Object.keys(o)].sort());
  });

  it('leaves out what Traefik leaves out: no TLS fields on plain HTTP, no service fields without a server', () => {
    const o = JSON.parse(
      jsonFormat(
        entry({
          status: 401,
          body: '401 Unauthorized\n',
          state: {
            service: undefined,
            serverUrl: undefined,
            responseBytes: undefined,
            originStatus: undefined,
            originMs: undefined,
            originHeaders: undefined,
          },
        }),
        policy(),
      ),
    ) as Record<string, unknown>;
    for (const k of [
      'TLSVersion',
      'TLSCipher',
      'TLSClientSubject',
      'ServiceName',
      'ServiceURL',
      'ServiceAddr',
    ])
      expect(o).not.toHaveProperty(k);
    // A middleware's answer: no origin, and Traefik's GzipRatio of 0 / size.
    expect(o).toMatchObject({
      DownstreamStatus: 401,
      DownstreamContentSize: 17,
      OriginStatus: 0,
      OriginContentSize: 0,
      OriginDuration: 0,
      GzipRatio: 0,
      Overhead: 1_500_000,
    });
  });

  it('writes kept and redacted headers as request_, origin_ and downstream_ fields, in Go key order', () => {
    const line = jsonFormat(
      entry(),
      policy({
        defaultMode: 'drop',
        names: { RouterName: 'keep' },
        headers: { defaultMode: 'keep', names: { 'User-Agent': 'redact', Referer: 'drop', 'X-B': 'keep' } },
      }),
    );
    const o = JSON.parse(line) as Record<string, unknown>;
    expect(Object.keys(o)).toEqual([
      'RouterName',
      'downstream_Content-Type',
      'downstream_X-B',
      'level',
      'msg',
      'origin_Content-Type',
      'origin_Set-Cookie',
      'request_Content-Length',
      'request_User-Agent',
      'time',
    ]);
    expect(o).toMatchObject({
      'downstream_X-B': '1,2',
      'origin_Set-Cookie': 'a=1,b=2',
      'request_User-Agent': 'REDACTED',
      'request_Content-Length': '5',
    });
  });

  it('computes the gzip ratio when the client got other bytes than the server sent', () => {
    const o = JSON.parse(jsonFormat(entry({ body: 'abcd', state: { responseBytes: 10 } }), policy()));
    expect(o.GzipRatio).toBe(2.5);
    expect(o.OriginContentSize).toBe(10);
  });
});

describe('goJson', () => {
  it.each([
    ['plain', '"plain"'],
    ['<a>&b', '"\\u003ca\\u003e\\u0026b"'],
    ['line\u2028sep', '"line\\u2028sep"'],
    ['tab\tnl\n', '"tab\\tnl\\n"'],
    [1.5, '1.5'],
  ])('%j → %s', (value, expected) => {
    expect(goJson(value)).toBe(expected);
  });
});

describe('quoteClf', () => {
  it.each([
    ['curl/8.0', '"curl/8.0"'],
    ['a"b', '"a\\"b"'],
    ['a\\', '"a\\\\"'],
    ['x\\" 200 0 "-" "forged', '"x\\\\\\" 200 0 \\"-\\" \\"forged"'],
    ['tab\there', '"tab\\x09here"'],
    ['nul\u0000del\u007f', '"nul\\x00del\\x7f"'],
    ['héllo', '"héllo"'],
  ])('%j → %s', (value, expected) => {
    expect(quoteClf(value)).toBe(expected);
  });
});

describe('clfUser (the ClientUsername field of the CLF formats)', () => {
  it.each([
    [undefined, '-'],
    ['', '-'],
    ['alice', 'alice'],
    ['jöhn', 'jöhn'],
    ['a b', 'a\\x20b'],
    ['x" 200 0 "-', 'x\\x22\\x20200\\x200\\x20\\x22-'],
    ['a\\b', 'a\\x5cb'],
    ['nl\nforged', 'nl\\x0aforged'],
  ])('%j → %s', (user, expected) => {
    expect(clfUser(user)).toBe(expected);
  });
});
