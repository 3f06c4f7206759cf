import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/log.ts';
import type { Snapshot } from '../../providers/provider.ts';
import { until } from '../../test/helpers/backends.ts';
import { ConfigWatcher } from './watcher.ts';

const snap = (provider: string, rule: string): Snapshot => ({
  provider,
  config: { http: { routers: { r: { rule, service: 's' } } } },
  diagnostics: [],
});

describe('ConfigWatcher', () => {
  it('skips unchanged snapshots, throttles per provider keeping only the latest', async () => {
    const applied: string[][] = [];
    const w = new ConfigWatcher({
      throttleMs: 200,
      logger: silentLogger(),
      apply: (m) =>
        applied.push([...m.values()].map((s) => `${s.provider}:${s.config.http?.routers?.r?.rule}`)),
    });
    w.offer(snap('file', 'A'));
    w.offer(snap('file', 'A'));
    w.offer(snap('file', 'B'));
    w.offer(snap('file', 'C'));
    w.offer(snap('docker', 'X'));
    expect(applied).toEqual([['file:A'], ['file:A', 'docker:X']]);
    await until(() => applied.length === 3, 'the throttled snapshot');
    expect(applied[2]).toEqual(['file:C', 'docker:X']);
  });
});
