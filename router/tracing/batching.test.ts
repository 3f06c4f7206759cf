import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import { BATCH_DEFAULTS, batchOptions, SlicedExporter } from './batching.ts';

describe('batchOptions: OTEL_BSP_* as the Go SDK Traefik uses reads them', () => {
  it.each([
    [{}, BATCH_DEFAULTS, 0],
    [
      {
        OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '128',
        OTEL_BSP_MAX_QUEUE_SIZE: '4096',
        OTEL_BSP_SCHEDULE_DELAY: '1000',
        OTEL_BSP_EXPORT_TIMEOUT: '10000',
      },
      {
        maxExportBatchSize: 128,
        maxQueueSize: 4096,
        scheduledDelayMillis: 1000,
        exportTimeoutMillis: 10_000,
      },
      0,
    ],
    [{ OTEL_BSP_SCHEDULE_DELAY: '0' }, { ...BATCH_DEFAULTS, scheduledDelayMillis: 0 }, 0],
    [{ OTEL_BSP_SCHEDULE_DELAY: ' 200 ' }, { ...BATCH_DEFAULTS, scheduledDelayMillis: 200 }, 0],
    [{ OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '' }, BATCH_DEFAULTS, 0],
    [{ OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '0' }, BATCH_DEFAULTS, 1],
    [{ OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '-5' }, BATCH_DEFAULTS, 1],
    [{ OTEL_BSP_MAX_QUEUE_SIZE: '1.5' }, BATCH_DEFAULTS, 1],
    [{ OTEL_BSP_EXPORT_TIMEOUT: '5s' }, BATCH_DEFAULTS, 1],
    [
      { OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '1000', OTEL_BSP_MAX_QUEUE_SIZE: '600' },
      { ...BATCH_DEFAULTS, maxExportBatchSize: 600, maxQueueSize: 600 },
      1,
    ],
    [{ OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '4096' }, { ...BATCH_DEFAULTS, maxExportBatchSize: 2048 }, 1],
  ])('%o', (env, options, ignored) => {
    const got = batchOptions(env);
    expect(got.options).toEqual(options);
    expect(got.ignored).toHaveLength(ignored);
  });
});

/** An exporter that records the batches it got and answers each with `answer` when `release` is called. */
function recorder(answer: (i: number) => ExportResult = () => ({ code: ExportResultCode.SUCCESS })) {
  const batches: ReadableSpan[][] = [];
  const pending: (() => void)[] = [];
  const exporter: SpanExporter = {
    export(spans, done) {
      const i = batches.length;
      batches.push(spans);
      pending.push(() => done(answer(i)));
    },
    shutdown: async () => {},
  };
  return {
    exporter,
    batches,
    release: () => {
      for (const f of pending.splice(0)) f();
    },
  };
}

const spans = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ name: `s${i}` }) as unknown as ReadableSpan);
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

async function until(what: string, cond: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await turn();
  }
}

describe('SlicedExporter', () => {
  it.each([
    [512, 128, [128, 128, 128, 128]],
    [300, 128, [128, 128, 44]],
    [128, 128, [128]],
    [5, 128, [5]],
    [3, 1, [1, 1, 1]],
  ])('%d spans in slices of %d: %o, in order, none during the call', async (n, slice, sizes) => {
    const r = recorder();
    const results: ExportResult[] = [];
    const all = spans(n);
    new SlicedExporter(r.exporter, slice).export(all, (res) => results.push(res));
    // The caller (the SDK's processor, inside a request's span.end()) never serializes anything itself.
    expect(r.batches).toHaveLength(0);
    await until('all slices', () => r.batches.length === sizes.length);
    expect(r.batches.map((b) => b.length)).toEqual(sizes);
    expect(r.batches.flat()).toEqual(all);
    expect(results).toHaveLength(0);
    r.release();
    expect(results).toEqual([{ code: ExportResultCode.SUCCESS }]);
  });

  it('one slice per event-loop turn', async () => {
    const r = recorder();
    new SlicedExporter(r.exporter, 10).export(spans(30), () => {});
    const seen: number[] = [];
    for (let i = 0; i < 4; i++) {
      await turn();
      seen.push(r.batches.length);
    }
    expect(seen).toEqual([1, 2, 3, 3]);
  });

  it('at most `inFlight` slices unanswered: the rest wait for answers', async () => {
    const r = recorder();
    const results: ExportResult[] = [];
    new SlicedExporter(r.exporter, 10, 2).export(spans(50), (res) => results.push(res));
    for (let i = 0; i < 5; i++) await turn();
    expect(r.batches).toHaveLength(2);
    r.release();
    await until('two more slices', () => r.batches.length === 4);
    for (let i = 0; i < 3; i++) await turn();
    expect(r.batches).toHaveLength(4);
    r.release();
    await until('the last slice', () => r.batches.length === 5);
    expect(results).toHaveLength(0);
    r.release();
    expect(results).toEqual([{ code: ExportResultCode.SUCCESS }]);
    expect(r.batches.flat()).toHaveLength(50);
  });

  it('reports the first failure once every slice has answered', async () => {
    const err = new Error('collector said 500');
    const r = recorder((i) =>
      i === 1 ? { code: ExportResultCode.FAILED, error: err } : { code: ExportResultCode.SUCCESS },
    );
    const results: ExportResult[] = [];
    new SlicedExporter(r.exporter, 2).export(spans(6), (res) => results.push(res));
    await until('all slices', () => r.batches.length === 3);
    r.release();
    expect(results).toEqual([{ code: ExportResultCode.FAILED, error: err }]);
  });

  it('an empty batch succeeds at once', () => {
    const r = recorder();
    const results: ExportResult[] = [];
    new SlicedExporter(r.exporter, 8).export([], (res) => results.push(res));
    expect(results).toEqual([{ code: ExportResultCode.SUCCESS }]);
    expect(r.batches).toHaveLength(0);
  });
});
