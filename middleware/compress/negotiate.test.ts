import { describe, expect, it } from 'vitest';
import { chooseEncoding, type EncodingPreferences } from './negotiate.ts';

const all: EncodingPreferences = { encodings: ['gzip', 'br', 'zstd'], defaultEncoding: undefined };
const brFirst: EncodingPreferences = { encodings: ['br', 'gzip'], defaultEncoding: undefined };
const withDefault: EncodingPreferences = { encodings: ['gzip', 'br', 'zstd'], defaultEncoding: 'br' };

describe('chooseEncoding (Traefik v3.7 acceptencoding.go)', () => {
  it.each<[string, string | undefined, EncodingPreferences, string | undefined]>([
    ['no header, no default: not compressed', undefined, all, undefined],
    ['no header: defaultEncoding', undefined, withDefault, 'br'],
    ['empty header means identity', '', withDefault, undefined],
    ['single coding', 'br', all, 'br'],
    ['equal weights: the order of encodings', 'zstd, br, gzip', all, 'gzip'],
    ['equal weights, other order configured', 'gzip, br', brFirst, 'br'],
    ['q-values win over the order', 'gzip;q=0.5, zstd;q=0.8', all, 'zstd'],
    ['q=0 refuses', 'gzip;q=0, br', all, 'br'],
    ['only refused codings', 'gzip;q=0', all, undefined],
    ['unknown codings ignored', 'deflate, compress', all, undefined],
    ['not offered: ignored', 'zstd', brFirst, undefined],
    ['* alone: first of encodings', '*', all, 'gzip'],
    ['* alone: defaultEncoding', '*', withDefault, 'br'],
    ['* ranks before listed codings at equal weight', 'zstd, *', all, 'gzip'],
    ['* with lower weight', 'zstd, *;q=0.5', all, 'zstd'],
    ['* never picks a refused coding', 'gzip;q=0, *', all, 'br'],
    ['identity preferred', 'identity, gzip;q=0.5', all, undefined],
    ['identity loses ties', 'identity, gzip', all, 'gzip'],
    ['spaces and case', ' GZip ; q=1 , br;q=0.9', all, 'gzip'],
    ['unreadable q counts as 0', 'gzip;q=abc, br;q=0.1', all, 'br'],
    ['browser header', 'gzip, deflate, br, zstd', all, 'gzip'],
  ])('%s', (_name, header, prefs, expected) => {
    expect(chooseEncoding(header, prefs)).toBe(expected);
  });
});
