import type { Attributes, AttributeValue, HrTime } from '@opentelemetry/api';
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace';

// OTLP's ExportTraceServiceRequest in protobuf, written straight from the SDK's ended spans, byte for byte
// what the SDK's own serializer (@opentelemetry/otlp-transformer's ProtobufTraceSerializer) writes:
// span-encoder.test.ts compares the two on spans of every kind of content. Why not the SDK's: it runs its
// writer twice (once to size the buffer), zero-fills a new buffer per export, copies each id through a new
// Uint8Array and each ASCII string one character at a time; in Wharf at sampleRate 1 that was ~15 µs of CPU
// per request (bench/README.md, "Tracing"). Here: one pass into a scratch buffer that is reused, strings and
// hex ids written by Buffer's native writers, the resource and scope encoded once.

type Resource = ReadableSpan['resource'];
type Scope = ReadableSpan['instrumentationScope'];
type Link = ReadableSpan['links'][number];

/** Wire types. */
const VARINT = 0;
const FIXED64 = 1;
const LEN = 2;
const FIXED32 = 5;

const TWO_32 = 2 ** 32;
const MIN_INT64 = -(2 ** 63);
const MAX_INT64 = 2 ** 63;
/** SpanFlags: the context's isRemote is known (always), and it is remote. */
const HAS_IS_REMOTE = 0x100;
const IS_REMOTE = 0x200;

/** Bytes of a varint holding the unsigned 32-bit `v`. */
function varintSize(v: number): number {
  return v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5;
}

/**
 * Encodes spans as one ExportTraceServiceRequest. Not reentrant: the buffer `encode` returns is the
 * encoder's scratch, valid until its next call (the exporter gzips it at once).
 */
export class SpanEncoder {
  #buf: Buffer = Buffer.allocUnsafe(64 * 1024);
  #pos = 0;
  /** Encoded Resource and InstrumentationScope messages (tag included), by object: they never change. */
  readonly #resources = new WeakMap<Resource, Buffer>();
  readonly #scopes = new WeakMap<Scope, Buffer>();

  /** The request carrying `spans`, grouped by resource then scope in order of first appearance (as the SDK). */
  encode(spans: readonly ReadableSpan[]): Buffer {
    this.#pos = 0;
    const byResource = new Map<Resource, Map<Scope, ReadableSpan[]>>();
    for (const span of spans) {
      let byScope = byResource.get(span.resource);
      if (byScope === undefined) {
        byScope = new Map();
        byResource.set(span.resource, byScope);
      }
      const list = byScope.get(span.instrumentationScope);
      if (list === undefined) byScope.set(span.instrumentationScope, [span]);
      else list.push(span);
    }
    for (const [resource, byScope] of byResource) {
      this.#tag(1, LEN);
      const rs = this.#start();
      this.#raw(this.#resource(resource));
      for (const [scope, list] of byScope) {
        this.#tag(2, LEN);
        const ss = this.#start();
        this.#raw(this.#scope(scope));
        for (const span of list) this.#span(span);
        if (scope.schemaUrl) this.#string(3, scope.schemaUrl);
        this.#end(ss);
      }
      if (resource.schemaUrl) this.#string(3, resource.schemaUrl);
      this.#end(rs);
    }
    return this.#buf.subarray(0, this.#pos);
  }

  #resource(resource: Resource): Buffer {
    const known = this.#resources.get(resource);
    if (known !== undefined) return known;
    const bytes = this.#apart(() => {
      this.#tag(1, LEN);
      const at = this.#start();
      if (resource.attributes) this.#attributes(1, resource.attributes);
      this.#tag(2, VARINT);
      this.#varint(0);
      this.#end(at);
    });
    // A resource whose detectors are still running may gain attributes: encoded again next time.
    if (!resource.asyncAttributesPending) this.#resources.set(resource, bytes);
    return bytes;
  }

  #scope(scope: Scope): Buffer {
    const known = this.#scopes.get(scope);
    if (known !== undefined) return known;
    const bytes = this.#apart(() => {
      this.#tag(1, LEN);
      const at = this.#start();
      this.#string(1, scope.name);
      if (scope.version) this.#string(2, scope.version);
      const s = scope as Scope & { attributes?: Attributes; droppedAttributesCount?: number };
      if (s.attributes) this.#attributes(3, s.attributes);
      if (s.droppedAttributesCount) {
        this.#tag(4, VARINT);
        this.#varint(s.droppedAttributesCount);
      }
      this.#end(at);
    });
    this.#scopes.set(scope, bytes);
    return bytes;
  }

  /** Runs `write` at the end of the buffer and takes what it wrote out as a Buffer of its own. */
  #apart(write: () => void): Buffer {
    const from = this.#pos;
    write();
    const bytes = Buffer.from(this.#buf.subarray(from, this.#pos));
    this.#pos = from;
    return bytes;
  }

  #span(span: ReadableSpan): void {
    this.#tag(2, LEN);
    const at = this.#start();
    const ctx = span.spanContext();
    this.#hex(1, ctx.traceId);
    this.#hex(2, ctx.spanId);
    const state = ctx.traceState?.serialize();
    if (state) this.#string(3, state);
    const parent = span.parentSpanContext;
    if (parent?.spanId) this.#hex(4, parent.spanId);
    this.#string(5, span.name);
    if (span.kind != null) {
      this.#tag(6, VARINT);
      this.#varint(span.kind + 1);
    }
    this.#tag(7, FIXED64);
    this.#time(span.startTime);
    this.#tag(8, FIXED64);
    this.#time(span.endTime);
    if (span.attributes) this.#attributes(9, span.attributes);
    this.#tag(10, VARINT);
    this.#varint(span.droppedAttributesCount);
    for (const event of span.events) this.#event(event);
    this.#tag(12, VARINT);
    this.#varint(span.droppedEventsCount);
    for (const link of span.links) this.#link(link);
    this.#tag(14, VARINT);
    this.#varint(span.droppedLinksCount);
    this.#tag(15, LEN);
    const st = this.#start();
    if (span.status.message) this.#string(2, span.status.message);
    this.#tag(3, VARINT);
    this.#varint(span.status.code);
    this.#end(st);
    this.#tag(16, FIXED32);
    this.#fixed32(((ctx.traceFlags & 0xff) | HAS_IS_REMOTE | (parent?.isRemote ? IS_REMOTE : 0)) >>> 0);
    this.#end(at);
  }

  #event(event: TimedEvent): void {
    this.#tag(11, LEN);
    const at = this.#start();
    this.#tag(1, FIXED64);
    this.#time(event.time);
    this.#string(2, event.name);
    if (event.attributes) this.#attributes(3, event.attributes);
    this.#tag(4, VARINT);
    this.#varint(event.droppedAttributesCount || 0);
    this.#end(at);
  }

  #link(link: Link): void {
    this.#tag(13, LEN);
    const at = this.#start();
    const ctx = link.context;
    this.#hex(1, ctx.traceId);
    this.#hex(2, ctx.spanId);
    const state = ctx.traceState?.serialize();
    if (state) this.#string(3, state);
    if (link.attributes) this.#attributes(4, link.attributes);
    this.#tag(5, VARINT);
    this.#varint(link.droppedAttributesCount || 0);
    this.#tag(6, FIXED32);
    this.#fixed32(((ctx.traceFlags & 0xff) | HAS_IS_REMOTE | (ctx.isRemote ? IS_REMOTE : 0)) >>> 0);
    this.#end(at);
  }

  /** KeyValue messages, one per own key, in the object's order. */
  #attributes(field: number, attributes: Attributes): void {
    for (const key in attributes) {
      if (!Object.hasOwn(attributes, key)) continue;
      this.#tag(field, LEN);
      const at = this.#start();
      this.#string(1, key);
      this.#tag(2, LEN);
      const value = this.#start();
      this.#anyValue(attributes[key]);
      this.#end(value);
      this.#end(at);
    }
  }

  /** An AnyValue's content (its own length written by the caller); nothing for null and undefined. */
  #anyValue(value: AttributeValue | Uint8Array | Record<string, unknown> | null | undefined): void {
    if (typeof value === 'string') {
      this.#string(1, value);
    } else if (typeof value === 'boolean') {
      this.#tag(2, VARINT);
      this.#varint(value ? 1 : 0);
    } else if (typeof value === 'number') {
      if (Number.isInteger(value) && value >= MIN_INT64 && value < MAX_INT64) {
        this.#tag(3, VARINT);
        this.#varint(value);
      } else {
        this.#tag(4, FIXED64);
        this.#ensure(8);
        this.#pos = this.#buf.writeDoubleLE(value, this.#pos);
      }
    } else if (value instanceof Uint8Array) {
      this.#tag(7, LEN);
      this.#varint(value.length);
      this.#ensure(value.length);
      this.#buf.set(value, this.#pos);
      this.#pos += value.length;
    } else if (Array.isArray(value)) {
      this.#tag(5, LEN);
      const at = this.#start();
      for (const item of value) {
        this.#tag(1, LEN);
        const it = this.#start();
        this.#anyValue(item);
        this.#end(it);
      }
      this.#end(at);
    } else if (typeof value === 'object' && value !== null) {
      this.#tag(6, LEN);
      const at = this.#start();
      this.#attributes(1, value as Attributes);
      this.#end(at);
    }
  }

  /** Bytes encoded before (a resource or scope), copied in. */
  #raw(bytes: Buffer): void {
    this.#ensure(bytes.length);
    this.#pos += bytes.copy(this.#buf, this.#pos);
  }

  #ensure(n: number): void {
    if (this.#pos + n <= this.#buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.#buf.length * 2, this.#pos + n));
    this.#buf.copy(grown, 0, 0, this.#pos);
    this.#buf = grown;
  }

  #tag(field: number, wire: number): void {
    this.#varint((field << 3) | wire);
  }

  /** A varint: unsigned 32-bit values directly, anything else as a two's complement int64 (10 bytes if negative). */
  #varint(value: number): void {
    this.#ensure(10);
    const b = this.#buf;
    let p = this.#pos;
    if (value >= 0 && value < TWO_32) {
      let v = value >>> 0;
      while (v > 0x7f) {
        b[p++] = (v & 0x7f) | 0x80;
        v >>>= 7;
      }
      b[p++] = v;
    } else {
      const abs = Math.abs(value);
      let low = abs >>> 0;
      let high = Math.floor(abs / TWO_32) >>> 0;
      if (value < 0) {
        low = ~low >>> 0;
        high = ~high >>> 0;
        low = (low + 1) >>> 0;
        if (low === 0) high = (high + 1) >>> 0;
      }
      while (high > 0 || low > 0x7f) {
        b[p++] = (low & 0x7f) | 0x80;
        low = ((low >>> 7) | (high << 25)) >>> 0;
        high >>>= 7;
      }
      b[p++] = low;
    }
    this.#pos = p;
  }

  #fixed32(v: number): void {
    this.#ensure(4);
    this.#pos = this.#buf.writeUInt32LE(v, this.#pos);
  }

  /** An HrTime as unsigned nanoseconds since the epoch, fixed64 (seconds * 1e9 passes 2^53: done in parts). */
  #time(t: HrTime): void {
    const seconds = t[0];
    const lowSeconds = seconds % 0x10000;
    const highNanos = ((seconds - lowSeconds) / 0x10000) * 1e9; // x 2^16, below 2^53
    const highPart = highNanos % 0x10000;
    const sum = lowSeconds * 1e9 + highPart * 0x10000 + t[1];
    const low = sum % TWO_32;
    const high = ((highNanos - highPart) / 0x10000 + (sum - low) / TWO_32) >>> 0;
    this.#ensure(8);
    this.#buf.writeUInt32LE(low >>> 0, this.#pos);
    this.#pos = this.#buf.writeUInt32LE(high, this.#pos + 4);
  }

  /** Reserves one byte for the length of the message that starts here; returns where. */
  #start(): number {
    this.#ensure(1);
    return this.#pos++;
  }

  /** Writes the length of the message started at `at`, moving its content when the length needs more bytes. */
  #end(at: number): void {
    const length = this.#pos - at - 1;
    const size = varintSize(length);
    if (size > 1) {
      this.#ensure(size - 1);
      this.#buf.copy(this.#buf, at + size, at + 1, this.#pos);
      this.#pos += size - 1;
    }
    const end = this.#pos;
    this.#pos = at;
    this.#varint(length);
    this.#pos = end;
  }

  #string(field: number, s: string): void {
    this.#tag(field, LEN);
    const n = s.length;
    // Short ASCII strings (attribute keys, most values) byte by byte: cheaper than a call into Buffer.write.
    if (n < 0x80) {
      this.#ensure(n + 1);
      const b = this.#buf;
      const from = this.#pos + 1;
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        b[from + i] = c;
      }
      if (i === n) {
        b[from - 1] = n;
        this.#pos = from + n;
        return;
      }
    }
    const at = this.#start();
    this.#ensure(n * 3);
    this.#pos += this.#buf.write(s, this.#pos, 'utf8');
    this.#end(at);
  }

  /** A hex id (lower or upper case) as bytes (length-delimited). */
  #hex(field: number, hex: string): void {
    this.#tag(field, LEN);
    const n = hex.length >>> 1;
    this.#varint(n);
    this.#ensure(n);
    const b = this.#buf;
    let p = this.#pos;
    for (let i = 0; i < 2 * n; i += 2)
      b[p++] = (nibble(hex.charCodeAt(i)) << 4) | nibble(hex.charCodeAt(i + 1));
    this.#pos = p;
  }
}

/** A hex digit's value. */
function nibble(c: number): number {
  return c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x57;
}
