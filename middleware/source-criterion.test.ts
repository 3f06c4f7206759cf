import { describe, expect, it } from 'vitest';
import { fakeRequest } from '../test/helpers/middleware.ts';
import { compileSourceCriterion, type SourceCriterionOptions } from './source-criterion.ts';

describe('compileSourceCriterion', () => {
  const cases: Array<{
    name: string;
    options: SourceCriterionOptions | undefined;
    fallback?: 'ipStrategy' | 'requestHost';
    headers?: Record<string, string>;
    peer?: string;
    kind: string;
    source: string;
  }> = [
    {
      name: 'none: rateLimit falls back to the peer',
      options: undefined,
      kind: 'ipStrategy',
      source: '127.0.0.1',
    },
    {
      name: 'none: inFlightReq falls back to the Host',
      options: undefined,
      fallback: 'requestHost',
      headers: { host: 'a.test:8080' },
      kind: 'requestHost',
      source: 'a.test:8080',
    },
    {
      name: 'all unset values count as none',
      options: { requestHeaderName: '', requestHost: false },
      fallback: 'requestHost',
      headers: { host: 'a.test' },
      kind: 'requestHost',
      source: 'a.test',
    },
    {
      name: 'an empty ipStrategy is set: the peer, even where requestHost is the fallback',
      options: { ipStrategy: {} },
      fallback: 'requestHost',
      peer: '10.0.0.9',
      kind: 'ipStrategy',
      source: '10.0.0.9',
    },
    {
      name: 'ipStrategy depth reads X-Forwarded-For',
      options: { ipStrategy: { depth: 1 } },
      headers: { 'x-forwarded-for': '192.0.2.1, 198.51.100.2' },
      kind: 'ipStrategy',
      source: '198.51.100.2',
    },
    {
      name: 'ipStrategy depth with too few entries: the empty source',
      options: { ipStrategy: { depth: 3 } },
      headers: { 'x-forwarded-for': '192.0.2.1' },
      kind: 'ipStrategy',
      source: '',
    },
    {
      name: 'ipStrategy ipv6Subnet groups a /64',
      options: { ipStrategy: { ipv6Subnet: 64 } },
      peer: '2001:db8:1:2:aaaa::9',
      kind: 'ipStrategy',
      source: '2001:db8:1:2::',
    },
    {
      name: 'requestHeaderName: the value, the name in any case',
      options: { requestHeaderName: 'X-Api-Key' },
      headers: { 'x-api-key': 'k1' },
      kind: 'requestHeaderName',
      source: 'k1',
    },
    {
      name: 'requestHeaderName missing: the empty source, shared by all such requests',
      options: { requestHeaderName: 'X-Api-Key' },
      kind: 'requestHeaderName',
      source: '',
    },
    {
      name: 'requestHost: the Host as sent',
      options: { requestHost: true },
      headers: { host: 'B.test' },
      kind: 'requestHost',
      source: 'B.test',
    },
  ];
  it.each(cases)('$name', ({ options, fallback, headers, peer, kind, source }) => {
    const c = compileSourceCriterion(options, fallback ?? 'ipStrategy');
    expect(c.kind).toBe(kind);
    expect(c.source(fakeRequest('/', { ...(headers && { headers }), ...(peer && { clientIp: peer }) }))).toBe(
      source,
    );
  });

  it('requestHeaderName: the first of repeated header lines, as Go Header.Get', () => {
    const req = fakeRequest('/');
    // What Node's parser leaves for two `X-Key` lines.
    req.headers['x-key'] = 'one, two';
    Object.defineProperty(req, 'headersDistinct', { value: { 'x-key': ['one', 'two'] } });
    expect(compileSourceCriterion({ requestHeaderName: 'x-key' }, 'ipStrategy').source(req)).toBe('one');
  });

  it.each([
    [{ ipStrategy: {}, requestHeaderName: 'x' }, 'ipStrategy and requestHeaderName are mutually exclusive'],
    [{ ipStrategy: { depth: 1 }, requestHost: true }, 'ipStrategy and requestHost are mutually exclusive'],
    [
      { requestHeaderName: 'x', requestHost: true },
      'requestHost and requestHeaderName are mutually exclusive',
    ],
    [{ ipStrategy: { excludedIPs: ['nope'] } }, 'ipStrategy.excludedIPs'],
  ])('%j is refused', (options, message) => {
    expect(() => compileSourceCriterion(options as SourceCriterionOptions, 'ipStrategy')).toThrow(message);
  });

  it('reports ipStrategy options the strategy ignores', () => {
    const c = compileSourceCriterion({ ipStrategy: { depth: 1, excludedIPs: ['10.0.0.0/8'] } }, 'ipStrategy');
    expect(c.ignored).toEqual(['excludedIPs is not used when depth is set (as in Traefik)']);
  });
});
