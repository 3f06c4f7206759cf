import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { SpanKind } from '@opentelemetry/api';
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeTraceRequest } from '../../test/helpers/otlp-decode.ts';
import { type OtlpReceiver, startOtlpHttpReceiver } from '../../test/helpers/otlp-receiver.ts';
import { OtlpHttpExporter, retryable, retryDelayMs } from './otlp-http-exporter.ts';

describe('retryable: the OTLP specification’s retryable answers', () => {
  it.each([
    [200, false],
    [400, false],
    [404, false],
    [429, true],
    [500, false],
    [502, true],
    [503, true],
    [504, true],
  ])('%i -> %s', (status, expected) => {
    expect(retryable(status)).toBe(expected);
  });
});

describe('retryDelayMs: Retry-After, else backoff 1 s x1.5 up to 5 s with ±20% jitter', () => {
  const now = Date.parse('2026-12-08T00:00:00Z');
  it.each([
    [1, undefined, 0.5, 1000],
    [2, undefined, 0.5, 1500],
    [3, undefined, 0.5, 2250],
    [5, undefined, 0.5, 5000],
    [9, undefined, 0.5, 5000],
    [1, undefined, 0, 800],
    [1, undefined, 1, 1200],
    [1, '3', 0.5, 3000],
    [1, '0', 0.5, 0],
    [1, ' 2 ', 0.5, 2000],
    [1, 'Tue, 08 Dec 2026 00:00:04 GMT', 0.5, 4000],
    // A date in the past: no wait.
    [1, 'Mon, 07 Dec 2026 23:00:00 GMT', 0.5, 0],
    // Unusable values fall back to the backoff.
    [2, 'soon', 0.5, 1500],
    [2, '', 0.5, 1500],
    [2, '-1', 0.5, 1500],
  ])('retry %i, Retry-After %j, random %d -> %i ms', (retry, after, random, expected) => {
    expect(retryDelayMs(retry, after, now, random)).toBe(expected);
  });
});

/** Two ended SDK spans (a server span and its client child), as the batch processor hands them over. */
async function sdkSpans() {
  const memory = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: memory })] });
  const tracer = provider.getTracer('wharf', '1.2.3');
  const server = tracer.startSpan('GET', { kind: SpanKind.SERVER });
  server.setAttributes({ 'http.request.method': 'GET', 'url.path': '/a' });
  server.end();
  const client = tracer.startSpan('ReverseProxy', { kind: SpanKind.CLIENT });
  client.setAttribute('http.response.status_code', 200);
  client.end();
  await provider.forceFlush();
  return memory.getFinishedSpans();
}

async function exportOnce(exporter: OtlpHttpExporter): Promise<ExportResult> {
  const spans = await sdkSpans();
  expect(spans).toHaveLength(2);
  return new Promise<ExportResult>((resolve) => exporter.export(spans, resolve));
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

describe('OtlpHttpExporter against a loopback OTLP/HTTP receiver', () => {
  let receiver: OtlpReceiver;

  it('POSTs the SDK’s protobuf, gzip’d, with the configured headers; the receiver decodes the spans', async () => {
    receiver = await startOtlpHttpReceiver();
    cleanups.push(() => receiver.close());
    const exporter = new OtlpHttpExporter({
      url: `${receiver.endpoint}/v1/traces`,
      headers: { 'X-Api-Key': 'k1' },
    });
    cleanups.push(() => exporter.shutdown());
    expect(await exportOnce(exporter)).toEqual({ code: ExportResultCode.SUCCESS });
    expect(receiver.spans.map((s) => [s.name, s.kind, s.scope])).toEqual([
      ['GET', 2, 'wharf'],
      ['ReverseProxy', 3, 'wharf'],
    ]);
    expect(receiver.spans[0]?.attributes).toEqual({ 'http.request.method': 'GET', 'url.path': '/a' });
    expect(receiver.spans[1]?.attributes).toEqual({ 'http.response.status_code': 200 });
    const [sent] = receiver.exports;
    expect(sent?.path).toBe('/v1/traces');
    const headers = sent?.headers as IncomingHttpHeaders;
    expect(headers['content-type']).toBe('application/x-protobuf');
    expect(headers['content-encoding']).toBe('gzip');
    expect(headers['x-api-key']).toBe('k1');
    // Several exports reuse the pool's connection.
    expect(await exportOnce(exporter)).toEqual({ code: ExportResultCode.SUCCESS });
    expect(receiver.spans).toHaveLength(4);
  });
});

/** A collector answering the statuses of `answers` in turn (then 200), recording each request. */
async function scriptedCollector(answers: { status: number; retryAfter?: string }[]) {
  const seen: { body: Buffer; headers: IncomingHttpHeaders }[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ body: Buffer.concat(chunks), headers: req.headers });
      const next = answers.shift() ?? { status: 200 };
      res.writeHead(next.status, next.retryAfter === undefined ? {} : { 'retry-after': next.retryAfter });
      res.end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  cleanups.push(async () => {
    server.closeAllConnections();
    server.close();
    await once(server, 'close');
  });
  return { url: `http://127.0.0.1:${port}/v1/traces`, seen };
}

describe('OtlpHttpExporter: failures', () => {
  it('retries a 503 after its Retry-After and a 429, then succeeds with the same spans', async () => {
    const collector = await scriptedCollector([
      { status: 503, retryAfter: '0' },
      { status: 429, retryAfter: '0' },
    ]);
    const exporter = new OtlpHttpExporter({ url: collector.url });
    cleanups.push(() => exporter.shutdown());
    expect(await exportOnce(exporter)).toEqual({ code: ExportResultCode.SUCCESS });
    expect(collector.seen).toHaveLength(3);
    const names = collector.seen.map((r) => decodeTraceRequest(gunzipSync(r.body)).map((s) => s.name));
    expect(names).toEqual([
      ['GET', 'ReverseProxy'],
      ['GET', 'ReverseProxy'],
      ['GET', 'ReverseProxy'],
    ]);
  });

  it('fails at once on an answer that is not retryable (400)', async () => {
    const collector = await scriptedCollector([{ status: 400 }]);
    const exporter = new OtlpHttpExporter({ url: collector.url });
    cleanups.push(() => exporter.shutdown());
    const result = await exportOnce(exporter);
    expect(result.code).toBe(ExportResultCode.FAILED);
    expect(result.error?.message).toBe('the collector answered 400');
    expect(collector.seen).toHaveLength(1);
  });

  it('gives up when the next retry would pass the export timeout', async () => {
    const collector = await scriptedCollector([{ status: 503, retryAfter: '60' }]);
    const exporter = new OtlpHttpExporter({ url: collector.url, timeoutMs: 5_000 });
    cleanups.push(() => exporter.shutdown());
    const result = await exportOnce(exporter);
    expect(result.code).toBe(ExportResultCode.FAILED);
    expect(result.error?.message).toBe('the collector answered 503');
    expect(collector.seen).toHaveLength(1);
  });

  it('reports a collector that refuses connections as a failed export', async () => {
    const collector = await scriptedCollector([]);
    // Closed: the port now refuses connections.
    await cleanups.pop()?.();
    const exporter = new OtlpHttpExporter({ url: collector.url, timeoutMs: 500 });
    cleanups.push(() => exporter.shutdown());
    const result = await exportOnce(exporter);
    expect(result.code).toBe(ExportResultCode.FAILED);
    expect(result.error?.message).toMatch(/ECONNREFUSED/);
  });

  it('refuses exports after shutdown', async () => {
    const collector = await scriptedCollector([]);
    const exporter = new OtlpHttpExporter({ url: collector.url });
    await exporter.shutdown();
    const result = await exportOnce(exporter);
    expect(result.code).toBe(ExportResultCode.FAILED);
    expect(collector.seen).toHaveLength(0);
  });
});
