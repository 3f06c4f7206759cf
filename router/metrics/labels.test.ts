import type { IncomingHttpHeaders } from 'node:http';
import { describe, expect, it } from 'vitest';
import {
  contentLength,
  headerHasItem,
  METHODS,
  methodIndex,
  PROTOCOLS,
  protocolIndex,
  tlsVersionLabel,
} from './labels.ts';

describe('methodIndex: HTTP verbs as themselves, anything else EXTENSION_METHOD (Traefik getMethod)', () => {
  it.each([
    ['GET', 'GET'],
    ['HEAD', 'HEAD'],
    ['POST', 'POST'],
    ['PUT', 'PUT'],
    ['DELETE', 'DELETE'],
    ['CONNECT', 'CONNECT'],
    ['OPTIONS', 'OPTIONS'],
    ['TRACE', 'TRACE'],
    ['PATCH', 'PATCH'],
    ['PRI', 'PRI'],
    ['PROPFIND', 'EXTENSION_METHOD'],
    ['get', 'EXTENSION_METHOD'],
    [undefined, 'EXTENSION_METHOD'],
  ])('%s -> %s', (method, label) => {
    expect(METHODS[methodIndex(method)]).toBe(label);
  });
});

describe('protocolIndex: Traefik getRequestProtocol', () => {
  it.each<[string, IncomingHttpHeaders, string]>([
    ['plain', {}, 'http'],
    ['websocket', { connection: 'keep-alive, Upgrade', upgrade: 'websocket' }, 'websocket'],
    ['upgrade to something else', { connection: 'upgrade', upgrade: 'h2c' }, 'http'],
    ['Upgrade header without Connection: upgrade', { upgrade: 'websocket' }, 'http'],
    ['server-sent events', { accept: 'text/html, Text/Event-Stream' }, 'sse'],
    [
      'accept naming event-stream with parameters is not one item',
      { accept: 'text/event-stream;q=1' },
      'http',
    ],
    ['grpc-web', { 'content-type': 'application/grpc-web+proto' }, 'grpc-web'],
    ['grpc', { 'content-type': 'application/grpc+proto' }, 'grpc'],
    [
      'websocket wins over sse',
      { connection: 'upgrade', upgrade: 'websocket', accept: 'text/event-stream' },
      'websocket',
    ],
  ])('%s', (_name, headers, label) => {
    expect(PROTOCOLS[protocolIndex(headers)]).toBe(label);
  });
});

describe('headerHasItem', () => {
  it.each<[string | string[] | undefined, string, boolean]>([
    [undefined, 'upgrade', false],
    ['Upgrade', 'upgrade', true],
    [' a , UPGRADE ', 'upgrade', true],
    ['upgrades', 'upgrade', false],
    [['upgrade'], 'upgrade', true],
  ])('%j has %s: %s', (header, value, expected) => {
    expect(headerHasItem(header, value)).toBe(expected);
  });
});

describe('tlsVersionLabel: Go tls version names', () => {
  it.each([
    ['TLSv1.3', '1.3'],
    ['TLSv1.2', '1.2'],
    ['TLSv1.1', '1.1'],
    ['TLSv1', '1.0'],
    [null, 'unknown'],
  ])('%s -> %s', (protocol, label) => {
    expect(tlsVersionLabel(protocol)).toBe(label);
  });
});

describe('contentLength', () => {
  it.each<[string | number | string[] | undefined, number]>([
    [undefined, 0],
    ['12', 12],
    [34, 34],
    ['x', 0],
    ['-1', 0],
    [['5'], 5],
  ])('%j -> %d', (value, n) => {
    expect(contentLength(value)).toBe(n);
  });
});
