import type { OutgoingHttpHeaders } from 'node:http';
import { describe, expect, it } from 'vitest';
import type { HeadersOptions } from '../../config/middlewares/headers.ts';
import {
  type FakeRequestOptions,
  fakeRequest,
  type MiddlewareRun,
  runMiddleware,
} from '../../test/helpers/middleware.ts';
import { compileOriginPatterns, originMatcher } from './cors.ts';
import { headers } from './headers.ts';

// CORS as Traefik v3.7's pkg/middlewares/headers/header.go does it, case by case.

describe('originMatcher', () => {
  const patterns = compileOriginPatterns(['^https://[a-z]+\\.example\\.org$']);
  it.each([
    ['an exact entry', ['https://a.test'], false, 'https://a.test', 'https://a.test'],
    ['no entry matches', ['https://a.test'], false, 'https://b.test', undefined],
    ['"*" answers "*"', ['*'], false, 'https://b.test', '*'],
    ['"*" with credentials answers the Origin', ['*'], true, 'https://b.test', 'https://b.test'],
    ['"*" matches an absent Origin ("")', ['*'], false, '', '*'],
    ['"*" with credentials and no Origin answers ""', ['*'], true, '', ''],
    ['an exact entry before "*" wins', ['https://a.test', '*'], true, 'https://a.test', 'https://a.test'],
    ['a pattern answers the Origin', [], false, 'https://app.example.org', 'https://app.example.org'],
    ['a pattern that does not match', [], false, 'https://app.example.org.evil', undefined],
    ['the list is tried before the patterns', ['*'], false, 'https://app.example.org', '*'],
  ] as Array<[string, string[], boolean, string, string | undefined]>)(
    '%s',
    (_n, list, credentials, origin, expected) => {
      expect(originMatcher(list, patterns, credentials)(origin)).toBe(expected);
    },
  );

  it('patterns are unanchored, as Go matches them', () => {
    expect(
      originMatcher([], compileOriginPatterns(['example\\.org']), false)('https://x.example.org.evil'),
    ).toBe('https://x.example.org.evil');
  });
});

const preflightHeaders = {
  origin: 'https://app.test',
  'access-control-request-method': 'PUT',
  'access-control-request-headers': 'x-token,content-type',
};

describe('headers: CORS preflight', () => {
  const answer = (headers: OutgoingHttpHeaders): MiddlewareRun => ({
    response: { status: 200, headers: { ...headers, 'content-length': '0' } },
  });
  const cases: Array<{
    name: string;
    options: HeadersOptions;
    request: FakeRequestOptions;
    expected: MiddlewareRun;
  }> = [
    {
      name: 'answered without the service: lists joined with ",", max age, expose headers',
      options: {
        accessControlAllowMethods: ['GET', 'OPTIONS', 'PUT'],
        accessControlAllowHeaders: ['X-Token', 'Content-Type'],
        accessControlAllowOriginList: ['https://other.test', 'https://app.test'],
        accessControlExposeHeaders: ['X-Total'],
        accessControlMaxAge: 100,
        addVaryHeader: true,
      },
      request: { method: 'OPTIONS', headers: preflightHeaders },
      expected: answer({
        'access-control-allow-headers': 'X-Token,Content-Type',
        'access-control-allow-methods': 'GET,OPTIONS,PUT',
        'access-control-allow-origin': 'https://app.test',
        'access-control-max-age': '100',
        'access-control-expose-headers': 'X-Total',
      }),
    },
    {
      name: 'an Origin not allowed still gets 200, without Access-Control-Allow-Origin',
      options: { accessControlAllowOriginList: ['https://other.test'], accessControlAllowMethods: ['GET'] },
      request: { method: 'OPTIONS', headers: preflightHeaders },
      expected: answer({ 'access-control-allow-methods': 'GET' }),
    },
    {
      name: '"*" with credentials echoes the requested method and headers and the Origin',
      options: {
        accessControlAllowCredentials: true,
        accessControlAllowMethods: ['*'],
        accessControlAllowHeaders: ['*'],
        accessControlAllowOriginList: ['*'],
        accessControlExposeHeaders: ['*'],
        accessControlMaxAge: 0,
      },
      request: { method: 'OPTIONS', headers: preflightHeaders },
      expected: answer({
        'access-control-allow-credentials': 'true',
        'access-control-allow-headers': 'x-token,content-type',
        'access-control-allow-methods': 'PUT',
        'access-control-allow-origin': 'https://app.test',
        'access-control-max-age': '0',
      }),
    },
    {
      name: '"*" without credentials is sent as "*"',
      options: {
        accessControlAllowMethods: ['*'],
        accessControlAllowHeaders: ['*'],
        accessControlAllowOriginList: ['*'],
        accessControlExposeHeaders: ['*'],
      },
      request: { method: 'OPTIONS', headers: preflightHeaders },
      expected: answer({
        'access-control-allow-headers': '*',
        'access-control-allow-methods': '*',
        'access-control-allow-origin': '*',
        'access-control-expose-headers': '*',
      }),
    },
    {
      name: 'allow headers "*" with credentials and nothing requested sends no Access-Control-Allow-Headers',
      options: { accessControlAllowCredentials: true, accessControlAllowHeaders: ['*'] },
      request: {
        method: 'OPTIONS',
        headers: { origin: 'https://app.test', 'access-control-request-method': 'GET' },
      },
      expected: answer({ 'access-control-allow-credentials': 'true' }),
    },
    {
      name: 'customResponseHeaders and security headers are not added to a preflight',
      options: {
        accessControlAllowOriginList: ['*'],
        customResponseHeaders: { 'X-A': 'b' },
        frameDeny: true,
      },
      request: { method: 'OPTIONS', headers: preflightHeaders },
      expected: answer({ 'access-control-allow-origin': '*' }),
    },
    {
      name: 'a preflight is answered before the allowedHosts check',
      options: { accessControlAllowOriginList: ['*'], allowedHosts: ['only.test'] },
      request: { method: 'OPTIONS', headers: { ...preflightHeaders, host: 'evil.test' } },
      expected: answer({ 'access-control-allow-origin': '*' }),
    },
    {
      name: 'OPTIONS without Access-Control-Request-Method goes to the service',
      options: { accessControlAllowOriginList: ['*'] },
      request: { method: 'OPTIONS', headers: { origin: 'https://app.test' } },
      expected: {
        next: { url: '/', headers: { origin: 'https://app.test' } },
        response: { status: 200, headers: { 'access-control-allow-origin': '*' } },
      },
    },
    {
      name: 'OPTIONS without Origin goes to the service',
      options: { accessControlAllowOriginList: ['*'] },
      request: { method: 'OPTIONS', headers: { 'access-control-request-method': 'GET' } },
      expected: {
        next: { url: '/', headers: { 'access-control-request-method': 'GET' } },
        response: { status: 200, headers: { 'access-control-allow-origin': '*' } },
      },
    },
    {
      name: 'without any CORS option, a preflight goes to the service',
      options: { customResponseHeaders: { 'X-A': 'b' } },
      request: { method: 'OPTIONS', headers: preflightHeaders },
      expected: {
        next: { url: '/', headers: preflightHeaders },
        response: { status: 200, headers: { 'x-a': 'b' } },
      },
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      expect(await runMiddleware(headers(c.options), fakeRequest('/', c.request))).toEqual(c.expected);
    });
  }
});

describe('headers: CORS on responses', () => {
  const cases: Array<{
    name: string;
    options: HeadersOptions;
    request?: FakeRequestOptions;
    backend?: OutgoingHttpHeaders;
    expected: OutgoingHttpHeaders;
  }> = [
    {
      name: "an allowed Origin is answered over the backend's and customResponseHeaders' value",
      options: {
        accessControlAllowOriginList: ['https://app.test'],
        customResponseHeaders: { 'Access-Control-Allow-Origin': 'https://custom.test' },
      },
      request: { headers: { origin: 'https://app.test' } },
      backend: { 'access-control-allow-origin': 'https://backend.test' },
      expected: { 'access-control-allow-origin': 'https://app.test' },
    },
    {
      name: 'an Origin not allowed keeps what customResponseHeaders set',
      options: {
        accessControlAllowOriginList: ['https://app.test'],
        customResponseHeaders: { 'Access-Control-Allow-Origin': 'https://custom.test' },
      },
      request: { headers: { origin: 'https://evil.test' } },
      expected: { 'access-control-allow-origin': 'https://custom.test' },
    },
    {
      name: 'credentials and expose headers are sent on every response, allowed Origin or not',
      options: {
        accessControlAllowOriginList: ['https://app.test'],
        accessControlAllowCredentials: true,
        accessControlExposeHeaders: ['X-Total', 'X-Page'],
      },
      request: { headers: { origin: 'https://evil.test' } },
      expected: {
        'access-control-allow-credentials': 'true',
        'access-control-expose-headers': 'X-Total,X-Page',
      },
    },
    {
      name: 'expose headers "*" is not sent with credentials',
      options: { accessControlAllowCredentials: true, accessControlExposeHeaders: ['*'] },
      expected: { 'access-control-allow-credentials': 'true' },
    },
    {
      name: 'a regex-allowed Origin is answered with itself',
      options: { accessControlAllowOriginListRegex: ['^https://([a-z]+)\\.example\\.org$'] },
      request: { headers: { origin: 'https://shop.example.org' } },
      expected: { 'access-control-allow-origin': 'https://shop.example.org' },
    },
    {
      name: 'addVaryHeader adds Vary: Origin',
      options: { accessControlAllowOriginList: ['https://app.test'], addVaryHeader: true },
      request: { headers: { origin: 'https://app.test' } },
      expected: { 'access-control-allow-origin': 'https://app.test', vary: 'Origin' },
    },
    {
      name: "addVaryHeader appends to the backend's Vary",
      options: { accessControlAllowOriginList: ['*'], addVaryHeader: true },
      backend: { vary: 'Accept-Encoding' },
      expected: { 'access-control-allow-origin': '*', vary: 'Accept-Encoding,Origin' },
    },
    {
      name: 'addVaryHeader keeps a Vary that is exactly Origin',
      options: { addVaryHeader: true },
      backend: { vary: 'Origin' },
      expected: { vary: 'Origin' },
    },
    {
      name: 'an Origin removed by customRequestHeaders is not matched',
      options: { accessControlAllowOriginList: ['https://app.test'], customRequestHeaders: { Origin: '' } },
      request: { headers: { origin: 'https://app.test' } },
      expected: {},
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const run = await runMiddleware(headers(c.options), fakeRequest('/', c.request), c.backend);
      expect(run.response).toEqual({ status: 200, headers: c.expected });
    });
  }
});
