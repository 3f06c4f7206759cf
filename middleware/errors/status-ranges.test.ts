import { describe, expect, it } from 'vitest';
import { statusRangeProblem } from '../../config/middlewares/errors.ts';
import {
  errorPagePath,
  goQueryEscape,
  inRanges,
  parseStatusRanges,
  parseStatusRewrites,
  rewriteStatus,
} from './status-ranges.ts';

describe('status matching', () => {
  it.each([
    { status: ['404'], code: 404, caught: true },
    { status: ['404'], code: 403, caught: false },
    { status: ['500-599'], code: 500, caught: true },
    { status: ['500-599'], code: 599, caught: true },
    { status: ['500-599'], code: 499, caught: false },
    { status: ['404', '500-599'], code: 503, caught: true },
    { status: ['404,418,500-502'], code: 418, caught: true },
    { status: ['404,418,500-502'], code: 503, caught: false },
    { status: [' 500 - 503 '], code: 501, caught: true },
    { status: [], code: 500, caught: false },
  ])('$status catches $code: $caught', ({ status, code, caught }) => {
    expect(inRanges(parseStatusRanges(status), code)).toBe(caught);
  });

  it.each([
    ['500', undefined],
    ['500-599', undefined],
    ['abc', 'is not a status code'],
    ['50', 'is not a status code'],
    ['500-', 'is not a status code'],
    ['500-599-600', 'is not a status code'],
    ['599-500', 'end is below its start'],
  ])('schema check of %j', (text, problem) => {
    const got = statusRangeProblem(text);
    if (problem === undefined) expect(got).toBeUndefined();
    else expect(got).toContain(problem);
  });
});

describe('statusRewrites', () => {
  const rewrites = parseStatusRewrites({ '500-599': 500, '503': 502, '418': 404, '400-499': 400 });
  it.each([
    [418, 404],
    [503, 502],
    [504, 500],
    [404, 400],
    [302, 302],
  ])('%d is sent as %d (the narrowest range wins)', (from, to) => {
    expect(rewriteStatus(rewrites, from)).toBe(to);
  });
  it('no rewrites keep the status', () => {
    expect(rewriteStatus(parseStatusRewrites(undefined), 503)).toBe(503);
  });
});

describe('error page path', () => {
  const url = 'http://a.test/p?q=1&r=a b';
  it.each([
    { query: undefined, path: '/' },
    { query: '', path: '/' },
    { query: '/{status}.html', path: '/503.html' },
    { query: '{status}.html', path: '/503.html' },
    { query: '//x', path: '//x' },
    { query: '/e?code={status}&was={originalStatus}', path: '/e?code=503&was=500' },
    { query: '/e?u={url}', path: `/e?u=${'http%3A%2F%2Fa.test%2Fp%3Fq%3D1%26r%3Da+b'}` },
    { query: '/e#frag', path: '/e' },
    { query: '/a page/{status}', path: '/a%20page/503' },
  ])('$query -> $path', ({ query, path }) => {
    expect(errorPagePath(query, 503, 500, url)).toBe(path);
  });

  it.each([
    ['a b', 'a+b'],
    ["!'()*", '%21%27%28%29%2A'],
    ['-_.~', '-_.~'],
    ['é/', '%C3%A9%2F'],
  ])("Go's QueryEscape of %j is %j", (text, escaped) => {
    expect(goQueryEscape(text)).toBe(escaped);
  });
});
