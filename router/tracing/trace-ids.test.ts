import { ROOT_CONTEXT } from '@opentelemetry/api';
import { SamplingDecision, TraceIdRatioBasedSampler } from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import { ratioKey, ratioUpperBound, TraceIds } from './trace-ids.ts';

/** The SDK's own decision for a new trace with this id. */
function sdkSamples(rate: number, traceId: string): boolean {
  const d = new TraceIdRatioBasedSampler(rate).shouldSample(ROOT_CONTEXT, traceId);
  return d.decision === SamplingDecision.RECORD_AND_SAMPLED;
}

/** A pool filler that writes `bytes` (hex) at the start, then a repeating non-zero pattern. */
function filler(hex: string): (pool: Buffer) => void {
  return (pool) => {
    for (let i = 0; i < pool.length; i++) pool[i] = (i * 37 + 11) & 0xff || 1;
    Buffer.from(hex, 'hex').copy(pool);
  };
}

const RATES = [0, 1e-9, 0.0001, 0.1, 0.25, 0.5, 0.9, 0.999999, 1];

describe('ratioUpperBound and ratioKey: the SDK TraceIdRatioBased sampler decides the same', () => {
  // Ids whose key sits on each rate's bound (one below, on, one above), and extremes of every word.
  const edge = (key: number) => `${(key >>> 0).toString(16).padStart(8, '0')}${'0'.repeat(23)}1`;
  const cases: [number, string][] = [];
  for (const rate of RATES) {
    const bound = ratioUpperBound(rate);
    for (const k of [bound - 1, bound, bound + 1]) if (k >= 0 && k < 2 ** 32) cases.push([rate, edge(k ^ 1)]);
    cases.push([rate, 'ffffffffffffffffffffffffffffffff'], [rate, '80000000000000000000000000000001']);
    cases.push([rate, '4bf92f3577b34da6a3ce929d0e0e4736'], [rate, '00000000000000000000000000000001']);
  }
  it.each(cases)('rate %d, trace id %s', (rate, traceId) => {
    expect(ratioKey(traceId) < ratioUpperBound(rate)).toBe(sdkSamples(rate, traceId));
  });

  it.each([
    [-1, 0],
    [Number.NaN, 0],
    [2, 2 ** 32],
    [1, 2 ** 32],
    [0.5, Math.floor(0.5 * 0xffffffff)],
  ])('rate %d gives the bound %d (clamped as the SDK does)', (rate, bound) => {
    expect(ratioUpperBound(rate)).toBe(bound);
  });
});

describe('TraceIds', () => {
  it('draws 32 and 16 lower-case hex digits, never zero, with the key of its trace id, across refills', () => {
    const ids = new TraceIds();
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      ids.draw();
      expect(ids.traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(ids.spanId).toMatch(/^[0-9a-f]{16}$/);
      expect(ids.traceId).not.toBe('0'.repeat(32));
      expect(ids.spanId).not.toBe('0'.repeat(16));
      expect(ids.key).toBe(ratioKey(ids.traceId));
      seen.add(ids.traceId);
    }
    expect(seen.size).toBe(2000);
  });

  it('decides as the SDK on random draws, at every rate', () => {
    const ids = new TraceIds();
    for (let i = 0; i < 3000; i++) {
      ids.draw();
      for (const rate of RATES)
        expect(ids.key < ratioUpperBound(rate), `${rate} ${ids.traceId}`).toBe(sdkSamples(rate, ids.traceId));
    }
  });

  it.each([
    ['a zero trace id', `${'00'.repeat(16)}0102030405060708`],
    ['a zero span id', `0102030405060708090a0b0c0d0e0f10${'00'.repeat(8)}`],
  ])('skips %s', (_, first) => {
    const ids = new TraceIds(filler(first));
    ids.draw();
    expect(ids.traceId).not.toBe(first.slice(0, 32));
    expect(ids.traceId).not.toBe('0'.repeat(32));
    expect(ids.spanId).not.toBe('0'.repeat(16));
  });

  it('reads words with the high bit set as unsigned (key of ffff... is 0, of 8000...0001 is 0x80000001)', () => {
    const ids = new TraceIds(filler(`${'ff'.repeat(16)}0102030405060708`));
    ids.draw();
    expect(ids.traceId).toBe('f'.repeat(32));
    expect(ids.key).toBe(0);
    const other = new TraceIds(filler(`80000000${'00'.repeat(11)}010102030405060708`));
    other.draw();
    expect(other.key).toBe(0x80000001);
    expect(other.spanId).toBe('0102030405060708');
  });

  it("gives the SDK a draw's ids once (presetDraw), then new ones", () => {
    const ids = new TraceIds();
    ids.draw();
    const { traceId, spanId } = ids;
    ids.presetDraw(true);
    expect(ids.generateSpanId()).toBe(spanId);
    expect(ids.generateTraceId()).toBe(traceId);
    expect(ids.generateSpanId()).not.toBe(spanId);
    expect(ids.generateTraceId()).not.toBe(traceId);
    ids.draw();
    const drawn = { traceId: ids.traceId, spanId: ids.spanId };
    ids.presetDraw(false);
    expect(ids.generateTraceId()).not.toBe(drawn.traceId);
    expect(ids.generateSpanId()).toBe(drawn.spanId);
    ids.draw();
    ids.presetDraw(true);
    ids.clearPreset();
    expect(ids.generateTraceId()).toMatch(/^[0-9a-f]{32}$/);
    expect(ids.generateSpanId()).toMatch(/^[0-9a-f]{16}$/);
  });
});
