import { SpanStatusCode } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import {
  decodedPath,
  flatHeaderValues,
  headerValues,
  hostPort,
  protocolVersion,
  redactQuery,
  requestBodySize,
  safeUrl,
  spanStatus,
} from './attributes.ts';

describe('redactQuery: Traefik safeURL (Go url.Values: parse, REDACT unsafe, sort, encode)', () => {
  const safe = new Set(['page', 'q']);
  it.each([
    ['', ''],
    ['token=s', 'token=REDACTED'],
    ['page=2', 'page=2'],
    ['b=1&a=2', 'a=REDACTED&b=REDACTED'],
    // Every value of an unsafe key becomes one REDACTED; a safe key keeps all its values, in order.
    ['a=1&a=2&page=3&page=1', 'a=REDACTED&page=3&page=1'],
    ['q=a+b%20c&x', 'q=a+b+c&x=REDACTED'],
    ['q=%E2%9C%93!', 'q=%E2%9C%93%21'],
    // Go drops pairs with `;` and malformed escapes, and empty pairs.
    ['page=1;x=2&q=1', 'q=1'],
    ['q=%zz&page=1', 'page=1'],
    ['&&page=1&', 'page=1'],
  ])('%j → %j', (raw, expected) => {
    expect(redactQuery(raw, safe)).toBe(expected);
  });
});

describe('safeUrl: url.full of the client span', () => {
  it.each([
    ['http://10.0.0.1:8080', '/x', 'http://10.0.0.1:8080/x'],
    ['http://10.0.0.1:8080', '/x?token=t&page=1', 'http://10.0.0.1:8080/x?page=1&token=REDACTED'],
    ['https://h', '/x?', 'https://h/x'],
  ])('%s + %s', (origin, target, expected) => {
    expect(safeUrl(origin, target, new Set(['page']))).toBe(expected);
  });
});

describe('spanStatus: Traefik serverStatus / clientStatus', () => {
  it.each([
    [200, 'server', undefined],
    [404, 'server', undefined],
    [500, 'server', { code: SpanStatusCode.ERROR }],
    [404, 'client', { code: SpanStatusCode.ERROR }],
    [399, 'client', undefined],
    [99, 'server', { code: SpanStatusCode.ERROR, message: 'Invalid HTTP status code 99' }],
    [600, 'client', { code: SpanStatusCode.ERROR, message: 'Invalid HTTP status code 600' }],
  ] as const)('%d %s', (code, kind, expected) => {
    expect(spanStatus(code, kind)).toEqual(expected);
  });
});

describe('small conversions', () => {
  it.each([
    ['1.0', '1.0'],
    ['1.1', '1.1'],
    ['2.0', '2'],
    ['3.0', '3'],
  ])('protocolVersion(%s) = %s', (v, expected) => expect(protocolVersion(v)).toBe(expected));

  it.each([
    [{}, 0],
    [{ 'content-length': '12' }, 12],
    [{ 'transfer-encoding': 'chunked' }, -1],
    [{ 'content-length': 'x' }, -1],
  ])('requestBodySize(%j) = %d', (h, expected) => expect(requestBodySize(h)).toBe(expected));

  it.each([
    ['/a%20b', '/a b'],
    ['/plain', '/plain'],
    ['/bad%zz', '/bad%zz'],
  ])('decodedPath(%s) = %s', (p, expected) => expect(decodedPath(p)).toBe(expected));

  it('headerValues and flatHeaderValues give lists', () => {
    expect(headerValues(undefined)).toBeUndefined();
    expect(headerValues(12)).toEqual(['12']);
    expect(headerValues('a')).toEqual(['a']);
    expect(headerValues(['a', 'b'])).toEqual(['a', 'b']);
    expect(flatHeaderValues(['X-A', '1', 'b', '2', 'x-a', '3'], 'x-a')).toEqual(['1', '3']);
    expect(flatHeaderValues(['b', '2'], 'x-a')).toBeUndefined();
  });

  it.each([
    ['http://h', { host: 'h', port: 80 }],
    ['https://h', { host: 'h', port: 443 }],
    ['http://h:81', { host: 'h', port: 81 }],
    ['http://[::1]:82', { host: '::1', port: 82 }],
  ])('hostPort(%s)', (url, expected) => expect(hostPort(new URL(url))).toEqual(expected));
});
