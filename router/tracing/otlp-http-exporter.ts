import type { IncomingHttpHeaders } from 'node:http';
import type { ConnectionOptions } from 'node:tls';
import { constants, gzipSync } from 'node:zlib';
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import type { Dispatcher } from 'undici';
import { Pool } from '../../core/http-client.ts';
import { VERSION } from '../../core/version.ts';
import { gzipEngine } from '../../middleware/compress/fast-gzip.ts';
import { SpanEncoder } from './span-encoder.ts';

// OTLP/HTTP with protobuf bodies, gzip-compressed, as Traefik's exporter sends spans; the spans are the
// SDK's, and the bytes those the SDK's serializer would write (span-encoder.ts, tested byte for byte
// against it). The transport is Wharf's too: the SDK's goes through Node's http client and a zlib stream on the thread pool, and in a
// proxy whose hot path is Node's http server and undici, those classes meeting the same core functions
// (OutgoingMessage, IncomingMessage, Socket, Readable) made them polymorphic and slowed every request,
// sampled or not (bench/README.md, "Tracing"). Here: undici, as the proxy's upstream calls, with flat
// header lists as they have, and a one-call gzip (libdeflate when built, else zlib's synchronous one).

/** OTLP/HTTP answers worth retrying (the OTLP specification: 429, 502, 503, 504). */
export function retryable(status: number): boolean {
  return status === 429 || status === 502 || status === 503 || status === 504;
}

/** Attempts of one export, the first included (the JavaScript SDK's bound). */
export const MAX_ATTEMPTS = 5;

/**
 * How long to wait before retry number `retry` (1 = the first retry), ms: the collector's Retry-After
 * (seconds, or an HTTP date) when it gives a usable one, else the SDK's backoff (1 s, x1.5 per retry, at
 * most 5 s) with ±20% jitter from `random` (0..1).
 */
export function retryDelayMs(
  retry: number,
  retryAfter: string | undefined,
  now: number = Date.now(),
  random: number = Math.random(),
): number {
  if (retryAfter !== undefined && retryAfter.trim() !== '') {
    const text = retryAfter.trim();
    // Delay-seconds, or an HTTP date (it has a weekday and month name); anything else is not usable.
    const ms = /^\d+$/.test(text)
      ? Number(text) * 1000
      : /[a-z]/i.test(text)
        ? Date.parse(text) - now
        : Number.NaN;
    if (Number.isFinite(ms)) return Math.max(0, ms);
  }
  const base = Math.min(5000, 1000 * 1.5 ** (retry - 1));
  return Math.round(base * (1 + 0.4 * (random - 0.5)));
}

/** What the exporter needs: the collector's URL, extra headers, client TLS, and the time an export may take. */
export interface OtlpHttpExporterOptions {
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly tls?: ConnectionOptions;
  /** Longest export, retries included, ms (the SDK's default: 10 s). */
  readonly timeoutMs?: number;
}

/** gzip of a whole body: libdeflate level 1 when the addon is built, else zlib level 1 (same format). */
function gzipper(): (body: Buffer) => Buffer {
  const fast = gzipEngine().gzip;
  if (fast !== undefined) return fast;
  return (body) => gzipSync(body, { level: constants.Z_BEST_SPEED });
}

/** The answer of one POST: its status and Retry-After, or the transport error. */
type Answer = { status: number; retryAfter: string | undefined } | { error: Error };

/** A dispatch handler that keeps only the status (the body, an ExportTraceServiceResponse, is read and dropped). */
class AnswerHandler implements Dispatcher.DispatchHandler {
  readonly #done: (answer: Answer) => void;
  #answer: Answer | undefined;
  constructor(done: (answer: Answer) => void) {
    this.#done = done;
  }
  onRequestStart(): void {}
  onResponseStart(
    _controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: IncomingHttpHeaders,
  ): void {
    if (statusCode < 200) return;
    const after = headers['retry-after'];
    this.#answer = { status: statusCode, retryAfter: Array.isArray(after) ? after[0] : after };
  }
  onResponseData(): void {}
  onResponseEnd(): void {
    this.#done(this.#answer ?? { error: new Error('the collector answered no status') });
  }
  onResponseError(_controller: Dispatcher.DispatchController | null, err: Error): void {
    this.#done({ error: err });
  }
}

/**
 * An OTLP/HTTP span exporter: each export is one POST of the SDK's protobuf serialization, gzip'd, with
 * `Content-Type: application/x-protobuf`, `Content-Encoding: gzip` and the configured headers; retried on
 * 429, 502, 503 and 504 (Retry-After honoured) within the export's time.
 */
export class OtlpHttpExporter implements SpanExporter {
  readonly #pool: Pool;
  readonly #path: string;
  readonly #headers: string[];
  readonly #timeoutMs: number;
  readonly #gzip = gzipper();
  readonly #encoder = new SpanEncoder();
  readonly #pending = new Set<Promise<void>>();
  #shut = false;

  constructor(options: OtlpHttpExporterOptions) {
    const url = new URL(options.url);
    this.#path = `${url.pathname}${url.search}`;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#headers = [];
    for (const [name, value] of Object.entries(options.headers ?? {}))
      this.#headers.push(name.toLowerCase(), value);
    this.#headers.push(
      'content-type',
      'application/x-protobuf',
      'content-encoding',
      'gzip',
      'user-agent',
      `wharf/${VERSION} otlp-http`,
    );
    this.#pool = new Pool(url.origin, {
      connections: 8,
      ...(options.tls ? { connect: { ...options.tls, servername: url.hostname } } : {}),
    });
  }

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    if (this.#shut) {
      done({ code: ExportResultCode.FAILED, error: new Error('the exporter is shut down') });
      return;
    }
    let body: Buffer;
    try {
      // The encoder's scratch buffer: compressed (copied) before anything else can encode.
      body = this.#gzip(this.#encoder.encode(spans));
    } catch (err) {
      done({ code: ExportResultCode.FAILED, error: err as Error });
      return;
    }
    const sent = this.#send(body, Date.now() + this.#timeoutMs).then(done);
    const tracked = sent.finally(() => this.#pending.delete(tracked));
    this.#pending.add(tracked);
  }

  async #send(body: Buffer, deadline: number): Promise<ExportResult> {
    for (let attempt = 1; ; attempt++) {
      const left = deadline - Date.now();
      const answer = await this.#post(body, Math.max(1, left));
      if ('status' in answer && answer.status >= 200 && answer.status < 300)
        return { code: ExportResultCode.SUCCESS };
      const error = 'error' in answer ? answer.error : new Error(`the collector answered ${answer.status}`);
      // Transport errors are retried as the SDK does (a collector restarting); other answers only when retryable.
      const again = 'error' in answer || retryable(answer.status);
      const delay = retryDelayMs(attempt, 'status' in answer ? answer.retryAfter : undefined);
      if (!again || attempt >= MAX_ATTEMPTS || this.#shut || Date.now() + delay >= deadline)
        return { code: ExportResultCode.FAILED, error };
      await new Promise((resolve) => setTimeout(resolve, delay).unref());
    }
  }

  #post(body: Buffer, timeoutMs: number): Promise<Answer> {
    return new Promise((resolve) => {
      this.#pool.dispatch(
        {
          path: this.#path,
          method: 'POST',
          headers: this.#headers,
          body,
          headersTimeout: timeoutMs,
          bodyTimeout: timeoutMs,
        },
        new AnswerHandler(resolve),
      );
    });
  }

  /** Waits for the exports under way. */
  async forceFlush(): Promise<void> {
    await Promise.all(this.#pending);
  }

  /** Waits for the exports under way, then closes the connections. */
  async shutdown(): Promise<void> {
    await this.forceFlush();
    this.#shut = true;
    await this.#pool.close();
  }
}
