import { randomFillSync } from 'node:crypto';
import type { IdGenerator } from '@opentelemetry/sdk-trace';

/** Bytes of one draw: a trace id (16) and a span id (8). */
const DRAW = 24;
/** Pool size, a multiple of DRAW: 170 draws per refill. */
const POOL = 170 * DRAW;

/**
 * `TraceIdRatioBased`'s bound for `rate` (OpenTelemetry JS SDK): a trace is sampled when its ratio key
 * is below it. Rates outside 0..1 are clamped, NaN is 0; 1 samples every trace.
 */
export function ratioUpperBound(rate: number): number {
  const r = Number.isNaN(rate) ? 0 : Math.min(1, Math.max(0, rate));
  return r === 1 ? 2 ** 32 : Math.floor(r * 0xffffffff);
}

/**
 * The number `TraceIdRatioBased` compares with its bound, for a trace id given as lower-case hex: the XOR
 * of its four 32-bit big-endian words. (Go's sampler reads the id's last 8 bytes instead; a ratio is a
 * ratio, but Wharf keeps the SDK it ships with as the reference.)
 */
export function ratioKey(traceId: string): number {
  let key = 0;
  for (let i = 0; i < 32; i += 8) key ^= Number.parseInt(traceId.slice(i, i + 8), 16);
  return key >>> 0;
}

/**
 * Random trace and span ids for every request, sampled or not, at the cost of a few slices: the pool of
 * cryptographically random bytes is refilled and hex-encoded 4 KiB at a time, so a draw reads its ids as
 * substrings of that text (V8 shares the characters) and its ratio key as four 32-bit words of the
 * bytes, with no per-id conversion, allocation of a buffer or parse of the hex. All-zero ids (invalid,
 * W3C) are skipped.
 *
 * It is also the SDK's IdGenerator: the server span of a sampled new trace takes the drawn ids (preset),
 * and its child spans new span ids.
 */
export class TraceIds implements IdGenerator {
  readonly #bytes = Buffer.allocUnsafe(POOL);
  readonly #fill: (bytes: Buffer) => void;
  #hex = '';
  /** Next unused byte of the pool. */
  #at = POOL;
  /** Trace id of the last draw, 32 lower-case hex digits. */
  traceId = '';
  /** Span id of the last draw, 16 lower-case hex digits. */
  spanId = '';
  /** The last draw's trace id as `TraceIdRatioBased` reads it (see ratioKey). */
  key = 0;
  /** Ids the SDK gets from its next generateTraceId and generateSpanId calls (a sampled draw's). */
  #presetTrace: string | undefined;
  #presetSpan: string | undefined;

  /** `fill` overwrites the pool with random bytes (tests pass chosen bytes). */
  constructor(fill: (bytes: Buffer) => void = randomFillSync) {
    this.#fill = fill;
  }

  #refill(): void {
    this.#fill(this.#bytes);
    this.#hex = this.#bytes.toString('hex');
    this.#at = 0;
  }

  /** Draws a new trace id and span id (the fields `traceId`, `spanId` and `key`). */
  draw(): void {
    const b = this.#bytes;
    for (;;) {
      if (this.#at > POOL - DRAW) this.#refill();
      const o = this.#at;
      this.#at = o + DRAW;
      const w0 = b.readUInt32BE(o);
      const w1 = b.readUInt32BE(o + 4);
      const w2 = b.readUInt32BE(o + 8);
      const w3 = b.readUInt32BE(o + 12);
      if ((w0 | w1 | w2 | w3) === 0 || (b.readUInt32BE(o + 16) | b.readUInt32BE(o + 20)) === 0) continue;
      this.key = (w0 ^ w1 ^ w2 ^ w3) >>> 0;
      this.traceId = this.#hex.slice(2 * o, 2 * o + 32);
      this.spanId = this.#hex.slice(2 * o + 32, 2 * o + 48);
      return;
    }
  }

  /**
   * The SDK's next span gets the last draw's span id, and its trace id too when `newTrace` (a root span;
   * a span continuing a caller's trace asks for no trace id).
   */
  presetDraw(newTrace: boolean): void {
    if (newTrace) this.#presetTrace = this.traceId;
    this.#presetSpan = this.spanId;
  }

  /** Forgets a preset the SDK did not take. */
  clearPreset(): void {
    this.#presetTrace = undefined;
    this.#presetSpan = undefined;
  }

  /** SDK: the preset trace id, else a new one. */
  generateTraceId(): string {
    const preset = this.#presetTrace;
    if (preset === undefined) {
      this.draw();
      return this.traceId;
    }
    this.#presetTrace = undefined;
    return preset;
  }

  /** SDK: the preset span id, else a new one. */
  generateSpanId(): string {
    const preset = this.#presetSpan;
    if (preset === undefined) {
      this.draw();
      return this.spanId;
    }
    this.#presetSpan = undefined;
    return preset;
  }
}
