import { describe, expect, it } from 'vitest';
import { fakeRequest } from '../test/helpers/middleware.ts';
import {
  formatRequestUrl,
  forwardedScheme,
  type RequestUrlOptions,
  requestUrl,
  splitHostPort,
} from './request-url.ts';

describe('requestUrl', () => {
  const cases: Array<{
    name: string;
    url: string;
    headers: Record<string, string>;
    scheme?: 'http' | 'https';
    options: RequestUrlOptions;
    expected: string;
  }> = [
    {
      name: 'redirectRegex: Host with its port, path and query',
      url: '/p?q=1',
      headers: { host: 'a.test:8080' },
      options: {},
      expected: 'http://a.test:8080/p?q=1',
    },
    {
      name: 'redirectRegex: a default port in Host stays',
      url: '/',
      headers: { host: 'a.test:80' },
      options: {},
      expected: 'http://a.test:80/',
    },
    {
      name: 'redirectRegex: TLS gives https',
      url: '/',
      headers: { host: 'a.test' },
      scheme: 'https',
      options: {},
      expected: 'https://a.test/',
    },
    {
      name: 'redirectRegex: X-Forwarded-Proto is not read (Traefik reads only the connection)',
      url: '/',
      headers: { host: 'a.test', 'x-forwarded-proto': 'https' },
      options: {},
      expected: 'http://a.test/',
    },
    {
      name: 'redirectScheme: X-Forwarded-Proto https',
      url: '/',
      headers: { host: 'a.test', 'x-forwarded-proto': 'https' },
      options: { forwardedProto: true, splitPort: true },
      expected: 'https://a.test/',
    },
    {
      name: 'redirectScheme: the default port of the scheme is left out',
      url: '/x',
      headers: { host: 'a.test:443' },
      scheme: 'https',
      options: { forwardedProto: true, splitPort: true },
      expected: 'https://a.test/x',
    },
    {
      name: 'redirectScheme: another port is kept',
      url: '/x',
      headers: { host: 'a.test:8443' },
      scheme: 'https',
      options: { forwardedProto: true, splitPort: true },
      expected: 'https://a.test:8443/x',
    },
    {
      name: 'IPv6 literal keeps its brackets',
      url: '/',
      headers: { host: '[::1]:80' },
      options: { splitPort: true },
      expected: 'http://[::1]/',
    },
    {
      name: 'escapes stay as sent',
      url: '/a%2Fb?x=%20',
      headers: { host: 'a.test' },
      options: {},
      expected: 'http://a.test/a%2Fb?x=%20',
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const req = fakeRequest(c.url, { headers: c.headers, ...(c.scheme && { scheme: c.scheme }) });
      expect(formatRequestUrl(requestUrl(req, c.options))).toBe(c.expected);
    });
  }
});

describe('forwardedScheme', () => {
  it.each([
    ['https', 'https'],
    ['HTTPS', 'https'],
    ['wss', 'https'],
    ['ws', 'http'],
    ['http', 'http'],
    ['https, http', 'https'],
    ['gopher', undefined],
    ['', undefined],
  ] as const)('%s → %s', (value, expected) => {
    expect(forwardedScheme(value)).toBe(expected);
  });
});

describe('splitHostPort', () => {
  it.each([
    ['a:1', { host: 'a', port: '1' }],
    ['a', { host: 'a', port: '' }],
    ['[::1]:8', { host: '[::1]', port: '8' }],
    ['[::1]', { host: '[::1]', port: '' }],
  ])('%s', (authority, expected) => {
    expect(splitHostPort(authority)).toEqual(expected);
  });
});
