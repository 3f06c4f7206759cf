import { describe, expect, it } from 'vitest';
import { loadStaticConfig } from '../load-static.ts';

const load = (args: string[]) => loadStaticConfig({ args, env: {} });

describe('metrics: Traefik v3 keys and defaults', () => {
  it('--metrics.prometheus=true: Traefik defaults', () => {
    const r = load(['--metrics.prometheus=true']);
    expect(r.ok && r.config.metrics).toEqual({
      addInternals: false,
      prometheus: {
        buckets: [0.1, 0.3, 1.2, 5],
        addEntryPointsLabels: true,
        addRoutersLabels: false,
        addServicesLabels: true,
        entryPoint: 'wharf',
        manualRouting: false,
      },
    });
  });

  it('buckets are sorted and deduplicated; headerLabels map labels to headers', () => {
    const r = load([
      '--metrics.prometheus.buckets=5,0.1,0.1',
      '--metrics.prometheus.headerLabels.useragent=User-Agent',
    ]);
    expect(r.ok && r.config.metrics?.prometheus?.buckets).toEqual([0.1, 5]);
    expect(r.ok && r.config.metrics?.prometheus?.headerLabels).toEqual({ useragent: 'User-Agent' });
  });

  it.each([
    [
      'a label that is not a Prometheus label name',
      '--metrics.prometheus.headerLabels.user-agent=User-Agent',
    ],
    ['a label the counters already have', '--metrics.prometheus.headerLabels.code=X-Code'],
    ['a reserved label', '--metrics.prometheus.headerLabels.__name=X'],
    ['a negative bucket', '--metrics.prometheus.buckets=-1'],
  ])('refuses %s', (_name, flag) => {
    const r = load([flag]);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.join('\n')).toContain('metrics.prometheus');
  });

  it("accepts Traefik's other exporters with a warning", () => {
    const r = load(['--metrics.datadog=true', '--metrics.statsD.address=localhost:8125']);
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.warnings.join('\n')).toContain('datadog');
      expect(r.warnings.join('\n')).toContain('statsD');
    }
  });
});
