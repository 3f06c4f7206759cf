import { describe, expect, it } from 'vitest';
import { buildFlatTree, type FlatItem } from './flat-tree.ts';
import { StaticConfigSchema } from './static.ts';

const env = (name: string, value: string): FlatItem => {
  const segments = name.split('_');
  return { segments, prefixes: segments.map((_, i) => `W_${segments.slice(0, i + 1).join('_')}`), value };
};

describe('buildFlatTree', () => {
  it('joins record names over several segments when the rest only fits that way, and lower-cases them', () => {
    const built = buildFlatTree(
      [
        env('ENTRYPOINTS_WEB_SECURE_ADDRESS', ':443'),
        env('ENTRYPOINTS_WEB_ADDRESS', ':80'),
        env('API_INSECURE', 'true'),
      ],
      StaticConfigSchema,
      'W',
      { joinNames: '_', lowerCaseNames: true },
    );
    expect(built.tree).toEqual({
      entryPoints: { web_secure: { address: ':443' }, web: { address: ':80' } },
      api: { insecure: true },
    });
    expect(built.issues).toEqual([]);
    expect(built.written(['entryPoints', 'web_secure', 'address'])).toEqual({
      key: 'W_ENTRYPOINTS_WEB_SECURE_ADDRESS',
      depth: 3,
    });
    expect(built.written(['entryPoints', 'web', 'http', 'tls'])).toEqual({
      key: 'W_ENTRYPOINTS_WEB',
      depth: 2,
    });
    expect(built.written(['log'])).toEqual({ key: 'W', depth: 0 });
  });

  it('keeps unknown keys as written for canonicalize to report', () => {
    const built = buildFlatTree([env('LOG_LEVEL_X', '1'), env('NOPE_A', '2')], StaticConfigSchema, 'W', {});
    expect(built.tree).toEqual({ log: {}, NOPE: { A: '2' } });
    expect(built.issues).toEqual([
      {
        code: 'CONFIG_INVALID_VALUE',
        severity: 'error',
        path: ['log', 'level'],
        key: 'W_LOG_LEVEL',
        params: { problem: 'takes a value, not sub-keys like "X"' },
      },
    ]);
  });
});
