import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../test/helpers/seeded-random.ts';
import { fnv1a64, HighestRandomWeight, hrwScore } from './hrw.ts';

const hex = ([hi, lo]: [number, number]) =>
  hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0');

describe('fnv1a64', () => {
  // Reference values of FNV-1a 64 (Go's hash/fnv New64a gives the same).
  it.each([
    ['', 'cbf29ce484222325'],
    ['a', 'af63dc4c8601ec8c'],
    ['foobar', '85944171f73967e8'],
    ['chongo was here!\n', '46810940eff5f915'],
  ])('%j', (text, expected) => {
    expect(hex(fnv1a64(text))).toBe(expected);
  });

  it('hashes the UTF-8 bytes', () => {
    const big = BigInt(`0x${hex(fnv1a64('é'))}`);
    let h = 0xcbf29ce484222325n;
    for (const b of Buffer.from('é', 'utf8')) h = ((h ^ BigInt(b)) * 0x100000001b3n) & 0xffffffffffffffffn;
    expect(big).toBe(h);
  });
});

describe('hrwScore', () => {
  it('is 1 / -ln(hash / 2^64) times the weight', () => {
    const h = BigInt(`0x${hex(fnv1a64('10.0.0.1http://a'))}`);
    const x = Number(h) / 2 ** 64;
    expect(hrwScore('10.0.0.1', 'http://a', 1)).toBe(1 / -Math.log(x));
    expect(hrwScore('10.0.0.1', 'http://a', 3)).toBe((1 / -Math.log(x)) * 3);
  });
});

function ips(n: number, seedEnv: string): { list: string[]; seed: number } {
  const r = seededRandom(seedEnv);
  const list = Array.from({ length: n }, () => [0, 0, 0, 0].map(() => Math.floor(r.next() * 256)).join('.'));
  return { list, seed: r.seed };
}

describe('HighestRandomWeight', () => {
  const targets = (weights: Record<string, number>) =>
    new HighestRandomWeight(Object.entries(weights).map(([name, weight]) => ({ item: name, name, weight })));

  const cases: Array<{ name: string; weights: Record<string, number>; up?: string[]; expected?: string }> = [
    { name: 'no target', weights: {} },
    { name: 'weight 0 is left out', weights: { a: 0 } },
    { name: 'the only target', weights: { a: 1 }, expected: 'a' },
    { name: 'only the target up', weights: { a: 1, b: 1, c: 1 }, up: ['b'], expected: 'b' },
    { name: 'none up', weights: { a: 1, b: 1 }, up: [] },
  ];
  it.each(cases)('$name', ({ weights, up, expected }) => {
    const isUp = up ? (s: string) => up.includes(s) : undefined;
    expect(targets(weights).next(isUp, '192.0.2.1')).toBe(expected);
  });

  it('gives a key the target with the highest score, every time', () => {
    const hrw = targets({ 'http://a': 1, 'http://b': 2, 'http://c': 1 });
    const { list } = ips(50, 'WHARF_TEST_SEED_HRW');
    for (const ip of list) {
      const best = ['http://a', 'http://b', 'http://c'].reduce((x, y) =>
        hrwScore(ip, y, y === 'http://b' ? 2 : 1) > hrwScore(ip, x, x === 'http://b' ? 2 : 1) ? y : x,
      );
      expect(hrw.next(undefined, ip)).toBe(best);
      expect(hrw.next(undefined, ip)).toBe(best);
    }
  });

  it('shares keys by weight (Traefik: 4:1 gives 80/20 within 10 points)', () => {
    const hrw = targets({ first: 4, second: 1 });
    const { list, seed } = ips(1000, 'WHARF_TEST_SEED_HRW');
    const first = list.filter((ip) => hrw.next(undefined, ip) === 'first').length;
    expect(Math.abs(first - 800), `seed ${seed}`).toBeLessThan(100);
  });

  it('moves only the keys of a target that goes down', () => {
    const hrw = targets({ a: 1, b: 1, c: 1 });
    const { list, seed } = ips(300, 'WHARF_TEST_SEED_HRW');
    const before = new Map(list.map((ip) => [ip, hrw.next(undefined, ip)]));
    const upNoB = (s: string) => s !== 'b';
    for (const ip of list) {
      const now = hrw.next(upNoB, ip);
      if (before.get(ip) !== 'b') expect(now, `seed ${seed}`).toBe(before.get(ip));
      else expect(now).not.toBe('b');
    }
  });
});
