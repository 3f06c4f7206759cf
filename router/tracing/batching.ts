import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';

// How ended spans reach the collector. Traefik hands its exporter to the Go SDK's batch span processor
// with no options, so its users tune batching with the SDK's environment variables (OTEL_BSP_*); Wharf
// reads the same ones for the JavaScript SDK's BatchSpanProcessor, with the same defaults.

/** The BatchSpanProcessor options Wharf sets. */
export interface BatchOptions {
  /** Most spans handed to the exporter at once (OTEL_BSP_MAX_EXPORT_BATCH_SIZE, default 512). */
  readonly maxExportBatchSize: number;
  /** Most spans waiting for export; more are dropped (OTEL_BSP_MAX_QUEUE_SIZE, default 2048). */
  readonly maxQueueSize: number;
  /** Longest wait before a partial batch is exported, ms (OTEL_BSP_SCHEDULE_DELAY, default 5000). */
  readonly scheduledDelayMillis: number;
  /** Longest export, ms (OTEL_BSP_EXPORT_TIMEOUT, default 30000). */
  readonly exportTimeoutMillis: number;
}

/** The OpenTelemetry SDKs' defaults (Go's, which Traefik uses, and JavaScript's are the same). */
export const BATCH_DEFAULTS: BatchOptions = {
  maxExportBatchSize: 512,
  maxQueueSize: 2048,
  scheduledDelayMillis: 5000,
  exportTimeoutMillis: 30_000,
};

const ENV: Readonly<Record<keyof BatchOptions, string>> = {
  maxExportBatchSize: 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE',
  maxQueueSize: 'OTEL_BSP_MAX_QUEUE_SIZE',
  scheduledDelayMillis: 'OTEL_BSP_SCHEDULE_DELAY',
  exportTimeoutMillis: 'OTEL_BSP_EXPORT_TIMEOUT',
};

/**
 * The batch options the environment asks for: each OTEL_BSP_* variable that holds a positive integer
 * (the delay may be 0), else the default; `ignored` says which values were not used and why. As in the
 * SDKs, a batch larger than the queue is cut to the queue's size.
 */
export function batchOptions(env: Readonly<Record<string, string | undefined>> = process.env): {
  options: BatchOptions;
  ignored: string[];
} {
  const options: Record<string, number> = { ...BATCH_DEFAULTS };
  const ignored: string[] = [];
  for (const [key, name] of Object.entries(ENV) as [keyof BatchOptions, string][]) {
    const text = env[name]?.trim();
    if (text === undefined || text === '') continue;
    const n = /^\d+$/.test(text) ? Number(text) : Number.NaN;
    const min = key === 'scheduledDelayMillis' ? 0 : 1;
    if (Number.isSafeInteger(n) && n >= min) options[key] = n;
    else ignored.push(`${name}=${JSON.stringify(text)} is not an integer >= ${min}; using ${options[key]}`);
  }
  const o = options as unknown as BatchOptions;
  if (o.maxExportBatchSize > o.maxQueueSize) {
    ignored.push(
      `OTEL_BSP_MAX_EXPORT_BATCH_SIZE ${o.maxExportBatchSize} is above the queue size ${o.maxQueueSize}; using ${o.maxQueueSize}`,
    );
    options.maxExportBatchSize = o.maxQueueSize;
  }
  return { options: o, ignored };
}

/**
 * An exporter that sends what it is given in slices of at most `slice` spans, one slice per event-loop
 * turn (setImmediate), and reports once all are sent (the first failure, if any). Serializing a batch
 * is synchronous: 512 spans at once held every request on the loop for milliseconds (bench/README.md,
 * "Tracing"), and the SDK's processor starts that export inside the `span.end()` of the request that
 * filled the batch. Slices let requests run between them; the batch size keeps its meaning (spans per
 * export round, and the export throughput it allows). Slices go out concurrently, as separate OTLP
 * requests, at most `inFlight` unanswered at a time (the OTLP exporters refuse more than 30), so a
 * flush of a full queue waits for answers instead of being refused.
 */
export class SlicedExporter implements SpanExporter {
  readonly #inner: SpanExporter;
  readonly #slice: number;
  readonly #maxInFlight: number;
  /** Slices waiting for their turn, oldest first. */
  readonly #queue: { spans: ReadableSpan[]; settle: (result: ExportResult) => void }[] = [];
  #inFlight = 0;
  #scheduled = false;

  constructor(inner: SpanExporter, slice: number, inFlight = 8) {
    this.#inner = inner;
    this.#slice = Math.max(1, slice);
    this.#maxInFlight = Math.max(1, inFlight);
  }

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    const size = this.#slice;
    let pending = Math.ceil(spans.length / size);
    if (pending === 0) {
      done({ code: ExportResultCode.SUCCESS });
      return;
    }
    let failure: ExportResult | undefined;
    const settle = (result: ExportResult) => {
      if (result.code !== ExportResultCode.SUCCESS) failure ??= result;
      if (--pending === 0) done(failure ?? result);
    };
    for (let from = 0; from < spans.length; from += size)
      this.#queue.push({ spans: spans.length <= size ? spans : spans.slice(from, from + size), settle });
    this.#schedule();
  }

  #schedule(): void {
    if (this.#scheduled || this.#queue.length === 0 || this.#inFlight >= this.#maxInFlight) return;
    this.#scheduled = true;
    setImmediate(this.#sendOne);
  }

  readonly #sendOne = (): void => {
    this.#scheduled = false;
    const next = this.#queue.shift();
    if (next === undefined) return;
    this.#inFlight++;
    this.#schedule();
    this.#inner.export(next.spans, (result) => {
      this.#inFlight--;
      next.settle(result);
      this.#schedule();
    });
  };

  forceFlush(): Promise<void> {
    return this.#inner.forceFlush?.() ?? Promise.resolve();
  }

  shutdown(): Promise<void> {
    return this.#inner.shutdown();
  }
}
