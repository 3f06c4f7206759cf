import { describe, expect, it } from 'vitest';
import { cleanPath } from './path.ts';

describe('cleanPath', () => {
  it.each([
    ['/', '/'],
    ['/a/b', '/a/b'],
    ['/./admin/x', '/admin/x'],
    ['//admin/x', '/admin/x'],
    ['/foo/../admin/x', '/admin/x'],
    ['/api/x/../admin/x', '/api/admin/x'],
    ['/api/../admin/x', '/admin/x'],
    ['/../admin', '/admin'],
    ['/../../..', '/'],
    ['/a/..', '/'],
    ['/a/.', '/a'],
    ['/.', '/'],
    ['//', '/'],
    ['/foo/bar//', '/foo/bar/'],
    ['/./foo/../bar//', '/bar/'],
    ['/a/b/', '/a/b/'],
    ['/a//b///c', '/a/b/c'],
    ['/.hidden/..x/x..', '/.hidden/..x/x..'],
    ['/a%2F..%2Fb', '/a%2F..%2Fb'],
  ])('%s → %s', (path, expected) => {
    expect(cleanPath(path)).toBe(expected);
  });
});
