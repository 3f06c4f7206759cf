import { afterEach, describe, expect, it } from 'vitest';
import { isAbortError, seededRandom } from './seeded-random.ts';

const ENV = 'WHARF_TEST_SEED_FOR_SEEDED_RANDOM';
afterEach(() => {
  delete process.env[ENV];
});

describe('seededRandom', () => {
  it('replays the same numbers from the seed in the environment', () => {
    const first = seededRandom(ENV);
    const numbers = Array.from({ length: 5 }, () => first.next());
    for (const n of numbers) expect(n >= 0 && n < 1).toBe(true);
    process.env[ENV] = String(first.seed);
    const again = seededRandom(ENV);
    expect(again.seed).toBe(first.seed);
    expect(Array.from({ length: 5 }, () => again.next())).toEqual(numbers);
  });

  it.each(['x', '-1', '1.5'])('refuses the seed %j', (value) => {
    process.env[ENV] = value;
    expect(() => seededRandom(ENV)).toThrow(/a seed is a non-negative integer/);
  });
});

describe('isAbortError', () => {
  const abort = Object.assign(new Error('aborted'), { name: 'AbortError' });
  it.each([
    ['an AbortError', abort, true],
    ["undici's aborted request", Object.assign(new Error('x'), { code: 'UND_ERR_ABORTED' }), true],
    ['an abort wrapped in cause', new Error('http://127.0.0.1:1: aborted', { cause: abort }), true],
    ['a refused connection', Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }), false],
    ['a 500 answer', new Error('GET /v1/kv answered 500'), false],
    ['not an error', undefined, false],
  ])('%s: %s', (_name, err, expected) => {
    expect(isAbortError(err)).toBe(expected);
  });
});
