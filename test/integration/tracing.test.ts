import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:http2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Backend, startServer } from '../helpers/backends.ts';
import { certFactory } from '../helpers/certs.ts';
import { type DecodedSpan, SPAN_KIND } from '../helpers/otlp-decode.ts';
import { type OtlpReceiver, startOtlpGrpcReceiver, startOtlpHttpReceiver } from '../helpers/otlp-receiver.ts';
import { get, startWharf, type TestWharf } from '../helpers/wharf.ts';

// Tracing end to end: Wharf exports to an OTLP receiver on loopback that decodes what arrives; the backend
// records the trace context it got. Spans are flushed (forceFlush) and then polled for: no fixed sleep.

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN = '00f067aa0ba902b7';

/** A backend that records each request's headers and answers 200 with `x-resp: b`. */
async function recordingBackend(): Promise<Backend & { seen: IncomingHttpHeaders[] }> {
  const seen: IncomingHttpHeaders[] = [];
  const backend = await startServer((req, res) => {
    seen.push(req.headers);
    res.writeHead(200, { 'x-resp': 'b', 'content-type': 'text/plain' });
    res.end('ok');
  });
  return Object.assign(backend, { seen });
}

function traceparentOf(h: IncomingHttpHeaders): { traceId: string; parent: string; flags: string } {
  const m = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/.exec(String(h.traceparent));
  if (!m) throw new Error(`no valid traceparent: ${String(h.traceparent)}`);
  return { traceId: m[1] as string, parent: m[2] as string, flags: m[3] as string };
}

const inTrace = (spans: readonly DecodedSpan[], traceId: string) =>
  spans.filter((s) => s.traceId === traceId);
const named = (spans: readonly DecodedSpan[], name: string) => {
  const s = spans.find((x) => x.name === name);
  if (!s) throw new Error(`no span ${name} in ${spans.map((x) => x.name).join(', ')}`);
  return s;
};

describe('tracing over OTLP/HTTP (protobuf, gzip)', () => {
  let receiver: OtlpReceiver;
  let backend: Awaited<ReturnType<typeof recordingBackend>>;
  let w: TestWharf;

  beforeAll(async () => {
    receiver = await startOtlpHttpReceiver();
    backend = await recordingBackend();
    w = await startWharf(
      {
        http: {
          routers: {
            detailed: {
              rule: 'Host(`detailed.test`)',
              service: 'backend',
              middlewares: ['strip', 'hdr'],
              observability: { traceVerbosity: 'detailed' },
            },
            minimal: { rule: 'Host(`minimal.test`)', service: 'backend' },
            off: { rule: 'Host(`off.test`)', service: 'backend', observability: { tracing: false } },
            dead: {
              rule: 'Host(`dead.test`)',
              service: 'dead',
              middlewares: ['retry'],
              observability: { traceVerbosity: 'detailed' },
            },
          },
          middlewares: {
            strip: { stripPrefix: { prefixes: ['/api'] } },
            hdr: { headers: { customRequestHeaders: { 'X-Added': '1' } } },
            retry: { retry: { attempts: 2 } },
          },
          services: {
            backend: { loadBalancer: { servers: [{ url: backend.url }] } },
            // A port nobody listens on: connection refused, 502.
            dead: { loadBalancer: { servers: [{ url: 'http://127.0.0.1:1' }] } },
          },
        },
      },
      {
        tracing: {
          serviceName: 'edge-test',
          resourceAttributes: { 'deployment.environment': 'test' },
          capturedRequestHeaders: ['X-Req', 'User-Agent'],
          capturedResponseHeaders: ['X-Resp'],
          safeQueryParams: ['page'],
          otlp: { http: { endpoint: `${receiver.endpoint}/v1/traces`, headers: { 'x-api-key': 'k1' } } },
        },
      },
    );
  });
  afterAll(async () => {
    await w?.stop();
    await backend?.close();
    await receiver?.close();
  });

  /** Flushes Wharf's spans and waits until `count` spans of `traceId` arrived. */
  async function spansOf(traceId: string, count: number): Promise<DecodedSpan[]> {
    await w.wharf.tracing?.forceFlush();
    await receiver.waitFor((s) => inTrace(s, traceId).length >= count, `${count} spans of ${traceId}`);
    return inTrace(receiver.spans, traceId);
  }

  it('detailed: entryPoint, Router, one span per middleware, Service and ReverseProxy, linked parent to child', async () => {
    const before = backend.seen.length;
    const res = await get(w.web, '/api/x?token=secret&page=2&page=3', 'detailed.test', {
      'x-req': 'a',
      'user-agent': 'ua-test',
    });
    expect(res.status).toBe(200);
    const sent = traceparentOf(backend.seen[before] as IncomingHttpHeaders);
    const spans = await spansOf(sent.traceId, 6);
    expect(spans.map((s) => s.name).sort()).toEqual(
      ['GET', 'Headers', 'ReverseProxy', 'Router', 'Service', 'StripPrefix'].sort(),
    );
    const server = named(spans, 'GET');
    const router = named(spans, 'Router');
    const strip = named(spans, 'StripPrefix');
    const hdr = named(spans, 'Headers');
    const service = named(spans, 'Service');
    const client = named(spans, 'ReverseProxy');
    // The chain of parents, and the backend's traceparent naming the client span.
    expect(server.parentSpanId).toBe('');
    expect(router.parentSpanId).toBe(server.spanId);
    expect(strip.parentSpanId).toBe(router.spanId);
    expect(hdr.parentSpanId).toBe(strip.spanId);
    expect(service.parentSpanId).toBe(hdr.spanId);
    expect(client.parentSpanId).toBe(service.spanId);
    expect(sent).toEqual({ traceId: server.traceId, parent: client.spanId, flags: '01' });
    expect([server.kind, router.kind, strip.kind, client.kind]).toEqual([
      SPAN_KIND.server,
      SPAN_KIND.internal,
      SPAN_KIND.internal,
      SPAN_KIND.client,
    ]);
    const port = Number(new URL(w.web).port);
    expect(server.attributes).toMatchObject({
      entry_point: 'web',
      'http.request.method': 'GET',
      'network.protocol.version': '1.1',
      'http.request.body.size': 0,
      'url.path': '/api/x',
      'url.query': 'page=2&page=3&token=REDACTED',
      'url.scheme': 'http',
      'user_agent.original': 'ua-test',
      'server.address': 'detailed.test',
      'client.address': '127.0.0.1',
      'network.peer.address': '127.0.0.1',
      'http.response.status_code': 200,
      'http.request.header.x-req': ['a'],
      'http.response.header.x-resp': ['b'],
    });
    expect(server.attributes['http.request.header.user-agent']).toBeUndefined();
    expect(server.attributes['client.port']).toBeTypeOf('number');
    expect(server.status.code).toBe(0);
    expect(router.attributes).toEqual({
      'wharf.router.name': 'detailed@file',
      'wharf.service.name': 'backend@file',
      'http.route': 'Host(`detailed.test`)',
    });
    expect(strip.attributes).toEqual({ 'wharf.middleware.name': 'strip@file' });
    expect(hdr.attributes).toEqual({ 'wharf.middleware.name': 'hdr@file' });
    expect(service.attributes).toEqual({ 'wharf.service.name': 'backend@file' });
    const backendUrl = new URL(backend.url);
    expect(client.attributes).toMatchObject({
      'http.request.method': 'GET',
      'url.full': `${backendUrl.origin}/x?page=2&page=3&token=REDACTED`,
      'url.scheme': 'http',
      'server.address': '127.0.0.1',
      'server.port': Number(backendUrl.port),
      'network.peer.port': Number(backendUrl.port),
      'user_agent.original': 'ua-test',
      'http.request.header.x-req': ['a'],
      'http.response.status_code': 200,
      'http.response.header.x-resp': ['b'],
    });
    expect(port).toBeGreaterThan(0);
    // Resource and scope, as Traefik sets them (service.name configurable), and the export request.
    expect(server.resource).toMatchObject({ 'service.name': 'edge-test', 'deployment.environment': 'test' });
    expect(server.resource['service.version']).toBeTypeOf('string');
    expect(server.scope).toBe('wharf');
    const exported = receiver.exports.at(-1);
    expect(exported?.path).toBe('/v1/traces');
    expect(exported?.headers).toMatchObject({
      'x-api-key': 'k1',
      'content-encoding': 'gzip',
      'content-type': 'application/x-protobuf',
    });
  });

  it('HTTP/2 (h2c): protocol version 2 and captured request headers', async () => {
    const before = backend.seen.length;
    const session = connect(w.web);
    try {
      const stream = session.request({ ':path': '/api/h2', ':authority': 'detailed.test', 'x-req': 'h2' });
      stream.resume();
      const [headers] = (await once(stream, 'response')) as [Record<string, unknown>];
      expect(headers[':status']).toBe(200);
      await once(stream, 'end');
    } finally {
      session.close();
    }
    const sent = traceparentOf(backend.seen[before] as IncomingHttpHeaders);
    const server = named(await spansOf(sent.traceId, 6), 'GET');
    expect(server.attributes).toMatchObject({
      'network.protocol.version': '2',
      'http.request.header.x-req': ['h2'],
      'server.address': 'detailed.test',
      'url.path': '/api/h2',
    });
  });

  it("minimal (the default): continues the caller's trace with only the server and client spans", async () => {
    const before = backend.seen.length;
    const res = await get(w.web, '/', 'minimal.test', {
      traceparent: `00-${TRACE_ID}-${CALLER_SPAN}-01`,
      tracestate: 'vendor=x',
    });
    expect(res.status).toBe(200);
    const spans = await spansOf(TRACE_ID, 2);
    expect(spans.map((s) => s.name).sort()).toEqual(['GET', 'ReverseProxy']);
    const server = named(spans, 'GET');
    const client = named(spans, 'ReverseProxy');
    expect(server.parentSpanId).toBe(CALLER_SPAN);
    expect(server.traceState).toBe('vendor=x');
    expect(client.parentSpanId).toBe(server.spanId);
    const got = backend.seen[before] as IncomingHttpHeaders;
    expect(traceparentOf(got)).toEqual({ traceId: TRACE_ID, parent: client.spanId, flags: '01' });
    expect(got.tracestate).toBe('vendor=x');
  });

  it("an unsampled caller: no span, the backend still gets the trace with the caller's decision", async () => {
    const unsampled = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
    const before = backend.seen.length;
    await get(w.web, '/', 'minimal.test', { traceparent: `00-${unsampled}-${CALLER_SPAN}-00` });
    const got = traceparentOf(backend.seen[before] as IncomingHttpHeaders);
    expect(got.traceId).toBe(unsampled);
    expect(got.flags).toBe('00');
    expect(got.parent).not.toBe(CALLER_SPAN);
    // A sampled request after it: once its spans are in, the unsampled one would be too.
    const marker = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';
    await get(w.web, '/', 'minimal.test', { traceparent: `00-${marker}-${CALLER_SPAN}-01` });
    await spansOf(marker, 2);
    expect(inTrace(receiver.spans, unsampled)).toEqual([]);
  });

  it('observability.tracing false: no span, and the caller’s trace context reaches the backend untouched', async () => {
    const before = backend.seen.length;
    const caller = `00-${'c'.repeat(32)}-${CALLER_SPAN}-01`;
    await get(w.web, '/', 'off.test', { traceparent: caller });
    expect(backend.seen[before]?.traceparent).toBe(caller);
    const none = backend.seen.length;
    await get(w.web, '/', 'off.test');
    expect(backend.seen[none]?.traceparent).toBeUndefined();
    const marker = 'dddddddddddddddddddddddddddddddd';
    await get(w.web, '/', 'minimal.test', { traceparent: `00-${marker}-${CALLER_SPAN}-01` });
    await spansOf(marker, 2);
    expect(inTrace(receiver.spans, 'c'.repeat(32))).toEqual([]);
  });

  it('no router: the 404 has a server span; a failing upstream marks the client and server spans as errors', async () => {
    const missing = 'eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee';
    expect(
      (await get(w.web, '/', 'nobody.test', { traceparent: `00-${missing}-${CALLER_SPAN}-01` })).status,
    ).toBe(404);
    const [notFound] = await spansOf(missing, 1);
    expect(notFound?.name).toBe('GET');
    expect(notFound?.attributes['http.response.status_code']).toBe(404);
    expect(notFound?.status.code).toBe(0);

    const failing = 'ffffffffffffffffffffffffffffffff';
    expect(
      (await get(w.web, '/', 'dead.test', { traceparent: `00-${failing}-${CALLER_SPAN}-01` })).status,
    ).toBe(502);
    // Detailed, behind retry (2 attempts): GET, Router, Retry x2, and Service + ReverseProxy per attempt.
    const spans = await spansOf(failing, 8);
    const server = named(spans, 'GET');
    expect(server.attributes['http.response.status_code']).toBe(502);
    expect(server.status.code).toBe(2);
    const retries = spans.filter((s) => s.name === 'Retry');
    expect(retries.map((s) => s.attributes['http.resend_count'])).toEqual(
      expect.arrayContaining([undefined, 1]),
    );
    const router = named(spans, 'Router');
    for (const r of retries) expect(r.parentSpanId).toBe(router.spanId);
    const clients = spans.filter((s) => s.name === 'ReverseProxy');
    expect(clients).toHaveLength(2);
    for (const c of clients) {
      expect(c.attributes['http.response.status_code']).toBe(502);
      expect(c.status.code).toBe(2);
      const service = spans.find((s) => s.spanId === c.parentSpanId);
      expect(service?.name).toBe('Service');
      expect(retries.map((r) => r.spanId)).toContain(service?.parentSpanId);
    }
  });

  it('requests Wharf answers itself are not traced without addInternals', async () => {
    const ping = '12121212121212121212121212121212';
    const res = await get(w.api, '/ping', 'x', { traceparent: `00-${ping}-${CALLER_SPAN}-01` });
    expect(res.status).toBe(200);
    const marker = '34343434343434343434343434343434';
    await get(w.web, '/', 'minimal.test', { traceparent: `00-${marker}-${CALLER_SPAN}-01` });
    await spansOf(marker, 2);
    expect(inTrace(receiver.spans, ping)).toEqual([]);
  });
});

describe('tracing over OTLP/gRPC, sampleRate 0, addInternals', () => {
  let receiver: OtlpReceiver;
  let backend: Awaited<ReturnType<typeof recordingBackend>>;
  let w: TestWharf;

  beforeAll(async () => {
    receiver = await startOtlpGrpcReceiver();
    backend = await recordingBackend();
    w = await startWharf(
      {
        http: {
          routers: { r: { rule: 'Host(`r.test`)', service: 'backend' } },
          services: { backend: { loadBalancer: { servers: [{ url: backend.url }] } } },
        },
      },
      {
        tracing: {
          sampleRate: 0,
          addInternals: true,
          otlp: { grpc: { endpoint: receiver.endpoint, insecure: true, headers: { 'x-api-key': 'k2' } } },
        },
      },
    );
  });
  afterAll(async () => {
    await w?.stop();
    await backend?.close();
    await receiver?.close();
  });

  it('a new trace is not recorded at rate 0, but the backend gets its traceparent (flags 00)', async () => {
    const before = backend.seen.length;
    await get(w.web, '/', 'r.test');
    const got = traceparentOf(backend.seen[before] as IncomingHttpHeaders);
    expect(got.flags).toBe('00');
    // A sampled caller is followed whatever the rate (ParentBased), and its spans arrive over gRPC.
    await get(w.web, '/', 'r.test', { traceparent: `00-${TRACE_ID}-${CALLER_SPAN}-01` });
    await w.wharf.tracing?.forceFlush();
    await receiver.waitFor((s) => inTrace(s, TRACE_ID).length >= 2, 'the sampled trace over gRPC');
    expect(inTrace(receiver.spans, got.traceId)).toEqual([]);
    const server = named(inTrace(receiver.spans, TRACE_ID), 'GET');
    expect(server.parentSpanId).toBe(CALLER_SPAN);
    expect(server.resource['service.name']).toBe('wharf');
    expect(receiver.exports.at(-1)?.headers).toMatchObject({ 'x-api-key': 'k2' });
  });

  it('addInternals: ping is traced on the internal entryPoint', async () => {
    const ping = '56565656565656565656565656565656';
    expect((await get(w.api, '/ping', 'x', { traceparent: `00-${ping}-${CALLER_SPAN}-01` })).status).toBe(
      200,
    );
    await w.wharf.tracing?.forceFlush();
    await receiver.waitFor((s) => inTrace(s, ping).length >= 1, 'the ping span');
    const [span] = inTrace(receiver.spans, ping);
    expect(span?.attributes).toMatchObject({
      entry_point: 'wharf',
      'url.path': '/ping',
      'http.response.status_code': 200,
    });
  });
});

describe('tracing over OTLP/HTTPS with tls.ca', () => {
  it('exports to a collector whose certificate the configured CA signs', async () => {
    const certs = certFactory();
    const cert = certs.make('collector', ['127.0.0.1']);
    const receiver = await startOtlpHttpReceiver({
      cert: readFileSync(cert.certFile, 'utf8'),
      key: readFileSync(cert.keyFile, 'utf8'),
    });
    const backend = await recordingBackend();
    const w = await startWharf(
      {
        http: {
          routers: { r: { rule: 'Host(`r.test`)', service: 'backend' } },
          services: { backend: { loadBalancer: { servers: [{ url: backend.url }] } } },
        },
      },
      { tracing: { otlp: { http: { endpoint: receiver.endpoint, tls: { ca: cert.certFile } } } } },
    );
    try {
      await get(w.web, '/', 'r.test', { traceparent: `00-${TRACE_ID}-${CALLER_SPAN}-01` });
      await w.wharf.tracing?.forceFlush();
      await receiver.waitFor((s) => inTrace(s, TRACE_ID).length >= 2, 'spans over HTTPS');
      // No path in the endpoint: /v1/traces, as Traefik's exporter adds it.
      expect(receiver.exports.at(-1)?.path).toBe('/v1/traces');
    } finally {
      await w.stop();
      await backend.close();
      await receiver.close();
      certs.remove();
    }
  });
});

describe("tracing: an entryPoint's observability is the default of its routers", () => {
  let receiver: OtlpReceiver;
  let backend: Awaited<ReturnType<typeof recordingBackend>>;
  let w: TestWharf;
  let quiet: string;
  let detail: string;

  beforeAll(async () => {
    receiver = await startOtlpHttpReceiver();
    backend = await recordingBackend();
    w = await startWharf(
      {
        http: {
          routers: {
            app: { rule: 'Host(`app.test`)', service: 'backend', entryPoints: ['quiet', 'detail'] },
            loud: {
              rule: 'Host(`loud.test`)',
              service: 'backend',
              entryPoints: ['quiet'],
              observability: { tracing: true },
            },
          },
          services: { backend: { loadBalancer: { servers: [{ url: backend.url }] } } },
        },
      },
      {
        entryPoints: {
          web: { address: '127.0.0.1:0' },
          quiet: { address: '127.0.0.1:0', observability: { tracing: false } },
          detail: { address: '127.0.0.1:0', observability: { traceVerbosity: 'detailed' } },
          wharf: { address: '127.0.0.1:0' },
        },
        tracing: { otlp: { http: { endpoint: `${receiver.endpoint}/v1/traces` } } },
      },
    );
    quiet = `http://127.0.0.1:${w.wharf.port('quiet')}`;
    detail = `http://127.0.0.1:${w.wharf.port('detail')}`;
  });
  afterAll(async () => {
    await w?.stop();
    await backend?.close();
    await receiver?.close();
  });

  it('tracing: false on the entryPoint: no trace unless the router sets its own key', async () => {
    const before = backend.seen.length;
    expect((await get(quiet, '/', 'app.test')).status).toBe(200);
    expect(backend.seen[before]?.traceparent).toBeUndefined();
    expect((await get(quiet, '/', 'loud.test')).status).toBe(200);
    const sent = traceparentOf(backend.seen[before + 1] as IncomingHttpHeaders);
    await w.wharf.tracing?.forceFlush();
    await receiver.waitFor((s) => inTrace(s, sent.traceId).length >= 2, 'the spans of loud.test');
  });

  it('traceVerbosity: detailed on the entryPoint: its routers get Router and Service spans', async () => {
    const before = backend.seen.length;
    expect((await get(detail, '/', 'app.test')).status).toBe(200);
    const sent = traceparentOf(backend.seen[before] as IncomingHttpHeaders);
    await w.wharf.tracing?.forceFlush();
    await receiver.waitFor((s) => inTrace(s, sent.traceId).length >= 4, 'the detailed spans of app.test');
    expect(
      inTrace(receiver.spans, sent.traceId)
        .map((s) => s.name)
        .sort(),
    ).toEqual(['GET', 'ReverseProxy', 'Router', 'Service']);
  });
});

describe('tracing: forwardAuth calls the auth server in an AuthRequest client span', () => {
  let receiver: OtlpReceiver;
  let backend: Awaited<ReturnType<typeof recordingBackend>>;
  let auth: Backend & { seen: IncomingHttpHeaders[] };
  let w: TestWharf;

  beforeAll(async () => {
    receiver = await startOtlpHttpReceiver();
    backend = await recordingBackend();
    const seen: IncomingHttpHeaders[] = [];
    auth = Object.assign(
      await startServer((req, res) => {
        seen.push(req.headers);
        res.writeHead(req.headers['x-deny'] ? 403 : 200).end();
      }),
      { seen },
    );
    w = await startWharf(
      {
        http: {
          routers: {
            app: { rule: 'Host(`app.test`)', service: 'backend', middlewares: ['auth'] },
            off: {
              rule: 'Host(`off.test`)',
              service: 'backend',
              middlewares: ['auth'],
              observability: { tracing: false },
            },
          },
          middlewares: { auth: { forwardAuth: { address: `${auth.url}/check?token=s3cret` } } },
          services: { backend: { loadBalancer: { servers: [{ url: backend.url }] } } },
        },
      },
      { tracing: { otlp: { http: { endpoint: `${receiver.endpoint}/v1/traces` } } } },
    );
  });
  afterAll(async () => {
    await w?.stop();
    await backend?.close();
    await auth?.close();
    await receiver?.close();
  });

  it('the auth server gets the AuthRequest span as parent; the span is a client span of the trace', async () => {
    const before = auth.seen.length;
    expect((await get(w.web, '/x', 'app.test')).status).toBe(200);
    const sent = traceparentOf(auth.seen[before] as IncomingHttpHeaders);
    await w.wharf.tracing?.forceFlush();
    await receiver.waitFor((s) => inTrace(s, sent.traceId).length >= 3, 'the spans of the request');
    const spans = inTrace(receiver.spans, sent.traceId);
    const call = named(spans, 'AuthRequest');
    expect(call.kind).toBe(SPAN_KIND.client);
    expect(call.spanId).toBe(sent.parent);
    expect(call.parentSpanId).toBe(named(spans, 'GET').spanId);
    expect(call.attributes).toMatchObject({
      'http.request.method': 'GET',
      'http.response.status_code': 200,
      'url.full': `${auth.url}/check?token=REDACTED`,
    });
    // The backend's call is another client span of the same trace.
    expect(traceparentOf(backend.seen.at(-1) as IncomingHttpHeaders).traceId).toBe(sent.traceId);
  });

  it('a refusal ends the span with the status; an untraced router sends no traceparent', async () => {
    const before = auth.seen.length;
    expect((await get(w.web, '/x', 'app.test', { 'x-deny': '1' })).status).toBe(403);
    const sent = traceparentOf(auth.seen[before] as IncomingHttpHeaders);
    await w.wharf.tracing?.forceFlush();
    await receiver.waitFor((s) => inTrace(s, sent.traceId).length >= 2, 'the spans of the refusal');
    const call = named(inTrace(receiver.spans, sent.traceId), 'AuthRequest');
    expect(call.attributes['http.response.status_code']).toBe(403);
    expect((await get(w.web, '/x', 'off.test')).status).toBe(200);
    expect(auth.seen.at(-1)?.traceparent).toBeUndefined();
  });
});
