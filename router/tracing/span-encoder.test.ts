import { type Context, ROOT_CONTEXT, SpanKind, SpanStatusCode, type Tracer, trace } from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import { decodeTraceRequest } from '../../test/helpers/otlp-decode.ts';
import { SpanEncoder } from './span-encoder.ts';

/** Ended spans made by `make` with tracers of one provider per resource. */
async function spansOf(
  make: (tracer: (resource: number, scope?: string, version?: string) => Tracer) => void,
): Promise<ReadableSpan[]> {
  const memory = new InMemorySpanExporter();
  const providers = [0, 1].map(
    (i) =>
      new TracerProvider({
        resource: resourceFromAttributes({ 'service.name': `svc${i}`, 'host.name': 'h', pid: 42 + i }),
        spanProcessors: [new SimpleSpanProcessor({ exporter: memory })],
      }),
  );
  make((resource, scope = 'wharf', version = '1.0.0') =>
    (providers[resource] as TracerProvider).getTracer(scope, version, { schemaUrl: 'https://s/1.26.0' }),
  );
  for (const p of providers) await p.forceFlush();
  return memory.getFinishedSpans();
}

const remoteParent = (): Context =>
  trace.setSpanContext(ROOT_CONTEXT, {
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    traceFlags: 1,
    isRemote: true,
    traceState: new TraceState('vendor=x,other=y'),
  });

const long = (n: number) => 'é€x'.repeat(n);

const CASES: [string, Parameters<typeof spansOf>[0]][] = [
  ['no span', () => {}],
  [
    'a server span with string, int and float attributes',
    (t) => {
      const s = t(0).startSpan('GET', { kind: SpanKind.SERVER });
      s.setAttributes({
        'http.request.method': 'GET',
        'client.port': 51234,
        ratio: 0.25,
        ok: true,
        off: false,
      });
      s.end();
    },
  ],
  [
    'every kind of attribute value',
    (t) => {
      const s = t(0).startSpan('x');
      s.setAttributes({
        ascii: 'plain',
        utf8: 'héllo wörld ✓ 😀',
        empty: '',
        long: long(200),
        veryLong: long(7000),
        zero: 0,
        negative: -5,
        big: 2 ** 40 + 3,
        negativeBig: -(2 ** 45),
        max32: 2 ** 32 - 1,
        over32: 2 ** 32,
        huge: 2 ** 70,
        nan: Number.NaN,
        strings: ['a', 'b', 'é'],
        numbers: [1, 2.5, -3],
        bools: [true, false],
        holes: ['a', null, undefined, 'b'] as string[],
        emptyList: [],
      });
      s.end();
    },
  ],
  [
    'a remote parent with tracestate, events, links, an error status with message',
    (t) => {
      const s = t(0).startSpan('child', { kind: SpanKind.CLIENT, links: [] }, remoteParent());
      s.addEvent('first', { n: 1 });
      s.addEvent('second');
      s.addLink({ context: trace.getSpanContext(remoteParent())!, attributes: { why: 'because' } });
      s.setStatus({ code: SpanStatusCode.ERROR, message: 'Invalid HTTP status code 0' });
      s.end();
    },
  ],
  [
    'a local parent, ok status, internal and producer kinds',
    (t) => {
      const parent = t(0).startSpan('parent', { kind: SpanKind.INTERNAL });
      const ctx = trace.setSpan(ROOT_CONTEXT, parent);
      const c = t(0).startSpan('c', { kind: SpanKind.PRODUCER }, ctx);
      c.setStatus({ code: SpanStatusCode.OK });
      c.end();
      parent.end();
    },
  ],
  [
    'two resources, two scopes (one without version), spans interleaved',
    (t) => {
      for (let i = 0; i < 6; i++) {
        const s = t(i % 2, i % 3 === 0 ? 'wharf' : 'other', i % 3 === 0 ? '1.0.0' : '').startSpan(`s${i}`);
        s.setAttribute('i', i);
        s.end();
      }
    },
  ],
  [
    'more spans than the first buffer holds (it grows)',
    (t) => {
      for (let i = 0; i < 600; i++) {
        const s = t(0).startSpan('ReverseProxy', { kind: SpanKind.CLIENT });
        s.setAttributes({ 'url.full': `http://127.0.0.1:8080/some/path/${i}?q=REDACTED`, n: i });
        s.end();
      }
    },
  ],
];

describe('SpanEncoder: the same bytes as the SDK’s ProtobufTraceSerializer', () => {
  const encoder = new SpanEncoder();
  it.each(CASES)('%s', async (_name, make) => {
    const spans = await spansOf(make);
    const ours = Buffer.from(encoder.encode(spans));
    const sdk = Buffer.from(ProtobufTraceSerializer.serializeRequest(spans) as Uint8Array);
    expect(ours.equals(sdk)).toBe(true);
    // And a second time with the resource and scope from the cache.
    expect(Buffer.from(encoder.encode(spans)).equals(sdk)).toBe(true);
    expect(decodeTraceRequest(ours).map((s) => s.name)).toEqual(decodeTraceRequest(sdk).map((s) => s.name));
  });

  it.each([
    [[0, 0]],
    [[1, 1]],
    [[1_765_152_000, 123_456_789]],
    [[4_294_967_295, 999_999_999]],
    [[65_536, 0]],
    [[65_535, 999_999_999]],
  ] as [number, number][][])('start and end time %j', async (time) => {
    const spans = await spansOf((t) => t(0).startSpan('t', { startTime: time }).end(time));
    const sdk = Buffer.from(ProtobufTraceSerializer.serializeRequest(spans) as Uint8Array);
    expect(Buffer.from(encoder.encode(spans)).equals(sdk)).toBe(true);
  });
});
