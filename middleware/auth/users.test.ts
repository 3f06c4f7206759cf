import { describe, expect, it } from 'vitest';
import { basicUser, buildUsers, digestUser, usersFileLines } from './users.ts';

describe('user entry parsers (Traefik: exactly one colon for basicAuth, two for digestAuth)', () => {
  it.each([
    ['alice:$apr1$x$y', { key: 'alice', secret: '$apr1$x$y' }],
    ['alice:', { key: 'alice', secret: '' }],
    ['alice', { problem: 'expected name:hash (htpasswd format, one colon)' }],
    ['alice:a:b', { problem: 'expected name:hash (htpasswd format, one colon)' }],
  ])('basic %j', (entry, expected) => {
    expect(basicUser(entry)).toEqual(expected);
  });

  it.each([
    [
      'alice:traefik:e66182e4199fd90e2499700ddd5c3e17',
      { key: 'alice:traefik', secret: 'e66182e4199fd90e2499700ddd5c3e17' },
    ],
    ['alice:e66182e4', { problem: 'expected name:realm:HA1 (htdigest format, two colons)' }],
    ['a:b:c:d', { problem: 'expected name:realm:HA1 (htdigest format, two colons)' }],
  ])('digest %j', (entry, expected) => {
    expect(digestUser(entry)).toEqual(expected);
  });
});

describe('usersFileLines', () => {
  it('trims lines and skips blank lines and # comments, keeping line numbers', () => {
    expect(usersFileLines('# users\n\n  alice:h1  \r\n\t#bob:h2\nbob:h3')).toEqual([
      { line: 3, entry: 'alice:h1' },
      { line: 5, entry: 'bob:h3' },
    ]);
  });
});

describe('buildUsers', () => {
  const file = { path: '/etc/users', text: 'alice:fromfile\nbob:fromfile\n' };
  it.each([
    {
      name: 'file then inline: an inline user replaces the file one of the same name',
      file,
      inline: ['alice:inline', 'carol:inline'],
      expected: new Map([
        ['alice', 'inline'],
        ['bob', 'fromfile'],
        ['carol', 'inline'],
      ]),
    },
    {
      name: 'a later inline duplicate wins',
      file: undefined,
      inline: ['a:1', 'a:2'],
      expected: new Map([['a', '2']]),
    },
    {
      name: 'a bad file line is named by file and line, never by its text',
      file: { path: '/etc/users', text: 'alice:h\n\nnocolon\n' },
      inline: [],
      expected: { problem: '/etc/users:3: expected name:hash (htpasswd format, one colon)' },
    },
    {
      name: 'a bad inline entry is named by its index',
      file,
      inline: ['ok:h', 'bad'],
      expected: { problem: 'users[1]: expected name:hash (htpasswd format, one colon)' },
    },
  ])('$name', ({ file: f, inline, expected }) => {
    expect(buildUsers(f, inline, basicUser)).toEqual(expected);
  });
});
