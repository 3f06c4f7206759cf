import { describe, expect, it } from 'vitest';
import { h2RequestHeaders, joinServerPath, wantsTrailers } from './request-copy.ts';

describe('joinServerPath', () => {
  it.each([
    { prefix: '', url: '/a?b=1', out: '/a?b=1' },
    { prefix: '/base', url: '/a', out: '/base/a' },
    { prefix: '/base', url: 'a', out: '/base/a' },
    { prefix: '/base', url: '?q', out: '/base/?q' },
  ])('$prefix + $url = $out', ({ prefix, url, out }) => {
    expect(joinServerPath(prefix, url)).toBe(out);
  });
});

describe('h2RequestHeaders', () => {
  it.each([
    { name: 'no headers', list: [], out: { ':path': '/' } },
    { name: 'one header', list: ['a', '1'], out: { ':path': '/', a: '1' } },
    {
      name: 'a repeated name becomes a list',
      list: ['a', '1', 'a', '2', 'a', '3'],
      out: { ':path': '/', a: ['1', '2', '3'] },
    },
    { name: 'an odd trailing name is dropped', list: ['a', '1', 'b'], out: { ':path': '/', a: '1' } },
  ])('$name', ({ list, out }) => {
    expect(h2RequestHeaders({ ':path': '/' }, list)).toEqual(out);
  });
});

describe('wantsTrailers', () => {
  it.each([
    { te: undefined, out: false },
    { te: 'gzip', out: false },
    { te: 'trailers', out: true },
    { te: 'gzip, Trailers', out: true },
    { te: ['gzip', 'trailers'], out: true },
  ])('$te: $out', ({ te, out }) => {
    expect(wantsTrailers(te)).toBe(out);
  });
});
