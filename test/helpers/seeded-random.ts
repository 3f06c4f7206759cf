import { randomInt } from 'node:crypto';

/** A repeatable source of random numbers in [0, 1) and the seed that replays it. */
export interface SeededRandom {
  readonly seed: number;
  next(): number;
}

/**
 * A seeded generator (mulberry32) for tests that act at random: the seed comes from the environment
 * variable `envName` when set (to replay a failure), else a fresh one; the test prints it.
 */
export function seededRandom(envName: string): SeededRandom {
  const given = process.env[envName];
  const seed = given !== undefined && given !== '' ? Number(given) >>> 0 : randomInt(2 ** 32 - 1);
  if (given !== undefined && given !== '' && !/^\d+$/.test(given))
    throw new Error(`${envName}=${given}: a seed is a non-negative integer`);
  let state = seed;
  return {
    seed,
    next() {
      state = (state + 0x6d2b79f5) >>> 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
  };
}

/** True for the error a request ends with when its AbortSignal fired (undici's, possibly wrapped in `cause`). */
export function isAbortError(err: unknown): boolean {
  for (
    let e = err as { name?: string; code?: string; cause?: unknown } | undefined;
    e;
    e = e.cause as typeof e
  ) {
    if (e.name === 'AbortError' || e.code === 'UND_ERR_ABORTED' || e.code === 'ABORT_ERR') return true;
  }
  return false;
}
