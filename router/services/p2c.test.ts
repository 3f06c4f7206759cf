import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../test/helpers/seeded-random.ts';
import { PowerOfTwoChoices } from './p2c.ts';

/** A random source that replays `draws` (each in [0, 1)). */
function scripted(draws: number[]): () => number {
  let i = 0;
  return () => draws[i++ % draws.length] as number;
}

describe('PowerOfTwoChoices', () => {
  const cases: Array<{
    name: string;
    items: string[];
    inFlight: Record<string, number>;
    draws: number[];
    up?: string[];
    expected: string | undefined;
  }> = [
    { name: 'no server', items: [], inFlight: {}, draws: [0], expected: undefined },
    { name: 'one server needs no draw', items: ['a'], inFlight: { a: 9 }, draws: [0.9], expected: 'a' },
    {
      name: 'the one with fewer requests in flight wins',
      items: ['a', 'b', 'c'],
      inFlight: { a: 5, b: 1, c: 0 },
      draws: [0.0, 0.4],
      expected: 'b',
    },
    {
      name: 'a tie goes to the first drawn',
      items: ['a', 'b', 'c'],
      inFlight: {},
      draws: [0.7, 0.0],
      expected: 'c',
    },
    {
      // Traefik: the same index twice moves the second one on by one (wrapping).
      name: 'the same index twice compares with the next one',
      items: ['a', 'b', 'c'],
      inFlight: { a: 0, b: 0, c: 3 },
      draws: [0.9, 0.9],
      expected: 'a',
    },
    {
      name: 'servers that are down are not drawn',
      items: ['a', 'b', 'c'],
      inFlight: { a: 0, b: 0, c: 3 },
      draws: [0.0, 0.0],
      up: ['c'],
      expected: 'c',
    },
    {
      name: 'all down',
      items: ['a', 'b'],
      inFlight: {},
      draws: [0],
      up: [],
      expected: undefined,
    },
  ];
  it.each(cases)('$name', ({ items, inFlight, draws, up, expected }) => {
    const p2c = new PowerOfTwoChoices(items, (s) => inFlight[s] ?? 0, scripted(draws));
    const isUp = up ? (s: string) => up.includes(s) : undefined;
    expect(p2c.next(isUp)).toBe(expected);
  });

  it('never compares a server with itself, and spreads evenly when nothing is in flight', () => {
    const random = seededRandom('WHARF_TEST_SEED_P2C');
    const items = ['a', 'b', 'c', 'd'];
    const seen: Record<string, number> = {};
    let compared: string[] = [];
    let self = 0;
    const p2c = new PowerOfTwoChoices(
      items,
      (s) => {
        compared.push(s);
        return 0;
      },
      () => random.next(),
    );
    for (let i = 0; i < 4000; i++) {
      compared = [];
      const pick = p2c.next() as string;
      seen[pick] = (seen[pick] ?? 0) + 1;
      if (compared[0] === compared[1]) self++;
    }
    expect(self, `seed ${random.seed}`).toBe(0);
    for (const s of items) expect(seen[s], `seed ${random.seed}`).toBeGreaterThan(800);
  });

  it('steers away from a loaded server', () => {
    const random = seededRandom('WHARF_TEST_SEED_P2C');
    const load: Record<string, number> = { a: 10, b: 0, c: 0 };
    const p2c = new PowerOfTwoChoices(
      ['a', 'b', 'c'],
      (s) => load[s] ?? 0,
      () => random.next(),
    );
    const picks = Array.from({ length: 300 }, () => p2c.next());
    // "a" can only win when drawn twice, which p2c never does.
    expect(
      picks.filter((p) => p === 'a'),
      `seed ${random.seed}`,
    ).toHaveLength(0);
  });

  it('counts weight 0 servers in, as Traefik does', () => {
    expect(new PowerOfTwoChoices(['a'], () => 0).size).toBe(1);
  });
});
