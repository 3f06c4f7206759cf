import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseExposition, sampleValue } from '../test/helpers/exposition.ts';
import { RegistrarMetrics } from './registrar-metrics.ts';

describe('RegistrarMetrics.write: the metrics as a Prometheus text file', () => {
  it('writes every metric, atomically replacing the previous file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wharf-registrar-metrics-'));
    try {
      const file = join(dir, 'sub', 'registrar.prom');
      const m = new RegistrarMetrics();
      m.publishes.inc();
      m.conflicts.inc(2);
      m.publishDuration.observe(0.02);
      m.documents.set(3);
      await m.write(file);
      m.publishes.inc();
      await m.write(file);
      const samples = parseExposition(readFileSync(file, 'utf8'));
      expect(sampleValue(samples, 'wharf_registrar_publishes_total')).toBe(2);
      expect(sampleValue(samples, 'wharf_registrar_conflicts_total')).toBe(2);
      expect(sampleValue(samples, 'wharf_registrar_consul_failures_total')).toBe(0);
      expect(sampleValue(samples, 'wharf_registrar_publish_duration_seconds_bucket', { le: '0.025' })).toBe(
        1,
      );
      expect(sampleValue(samples, 'wharf_registrar_documents')).toBe(3);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
