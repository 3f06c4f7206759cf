import { describe, expect, it } from 'vitest';
import { goUrlString } from './go-url.ts';

// What Go's url.Parse(s).String() gives (net/url's documented escaping rules), or that Parse fails.
describe('goUrlString', () => {
  it.each([
    ['http://a.test/p?q=1#f', 'http://a.test/p?q=1#f'],
    ['HTTP://a.test/', 'http://a.test/'],
    ['https://a.test:8443/x', 'https://a.test:8443/x'],
    ['http://a.test/a b', 'http://a.test/a%20b'],
    ['http://a.test/é', 'http://a.test/%C3%A9'],
    ['http://a.test/a%2Fb', 'http://a.test/a%2Fb'],
    ['http://a.test/a%2Fb c', 'http://a.test/a/b%20c'],
    ["http://a.test/!$&'()*+,;=:@", "http://a.test/!$&'()*+,;=:@"],
    ['http://a.test/p?a b', 'http://a.test/p?a b'],
    ['http://a.test/#a b', 'http://a.test/#a%20b'],
    ['/relative/path', '/relative/path'],
    ['http://[::1]:80/', 'http://[::1]:80/'],
    ['http://u:p@a.test/', 'http://u:p@a.test/'],
    ['mailto:x@a.test', 'mailto:x@a.test'],
    ['http://a.test', 'http://a.test'],
    ['http:/p', 'http:/p'],
  ])('%s → %s', (input, expected) => {
    expect(goUrlString(input)).toEqual({ ok: true, location: expected });
  });

  it.each([
    ['http://a.test/%zz', 'invalid URL escape'],
    ['http://a.test:port/', 'invalid port'],
    ['http://a b/', 'invalid character in host name'],
    [':no-scheme', 'missing protocol scheme'],
    ['a:b/c', ''],
    ['x:y', ''],
    ['1a:b', 'first path segment in URL cannot contain colon'],
    ['http://a.test/\x01', 'invalid control character'],
    ['http://a.test/#%z', 'invalid URL escape'],
  ])('%s is refused', (input, problem) => {
    const r = goUrlString(input);
    if (problem === '') {
      expect(r.ok).toBe(true); // a scheme makes it an opaque URL
      return;
    }
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problem).toContain(problem);
  });
});
