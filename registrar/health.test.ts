import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkHealthFile, type HealthState, judgeHealth, writeHealth } from './health.ts';

const now = 1_000_000;
const state = (over: Partial<HealthState> = {}): string =>
  JSON.stringify({
    pid: 1,
    updatedAt: now - 1_000,
    host: 'h1',
    docker: 'up',
    consul: 'up',
    documents: 3,
    inSync: true,
    ...over,
  });

describe('judgeHealth', () => {
  const cases: Array<[string, string | undefined, boolean, string]> = [
    ['fresh, both up, in sync', state(), true, 'host h1: 3 documents, in sync'],
    ['publishing is still healthy', state({ inSync: false }), true, 'publishing'],
    ['no file', undefined, false, 'not running'],
    ['not JSON', '{', false, 'not JSON'],
    ['stale file: stuck or stopped', state({ updatedAt: now - 31_000 }), false, '31 s old'],
    [
      'Docker down, with the error',
      state({ docker: 'down', lastError: 'ECONNREFUSED' }),
      false,
      'Docker Engine down: ECONNREFUSED',
    ],
    ['Consul down', state({ consul: 'down' }), false, 'Consul down'],
    ['still starting', state({ consul: 'starting' }), false, 'Consul starting'],
  ];
  it.each(cases)('%s', (_name, text, healthy, reason) => {
    const got = judgeHealth(text, now, 30_000);
    expect(got.healthy).toBe(healthy);
    expect(got.reason).toContain(reason);
  });
});

describe('health file', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wharf-health-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  it('is written atomically and read back by the check', () => {
    const file = join(dir, 'sub', 'health.json');
    expect(checkHealthFile(file, 30_000).healthy).toBe(false);
    writeHealth(file, JSON.parse(state({ updatedAt: Date.now() })) as HealthState);
    expect(checkHealthFile(file, 30_000)).toEqual({ healthy: true, reason: 'host h1: 3 documents, in sync' });
  });
});
