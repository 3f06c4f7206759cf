import { describe, expect, it } from 'vitest';
import { resolveKey } from '../schema-keys.ts';
import { STATIC_UNSUPPORTED_KEYS } from './unsupported.ts';

describe('STATIC_UNSUPPORTED_KEYS', () => {
  it('names only keys the schema lacks (an implemented key leaves the table)', () => {
    const shadowed: string[] = [];
    for (const [schema, keys] of STATIC_UNSUPPORTED_KEYS)
      for (const key of Object.keys(keys)) if (resolveKey(schema, key) !== undefined) shadowed.push(key);
    expect(shadowed).toEqual([]);
  });
});
