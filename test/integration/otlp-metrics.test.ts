import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Backend, startServer } from '../helpers/backends.ts';
import { parseExposition, sampleValue } from '../helpers/exposition.ts';
import type { DecodedMetric, DecodedPoint } from '../helpers/otlp-metrics-decode.ts';
import { type OtlpReceiver, startOtlpGrpcReceiver, startOtlpHttpReceiver } from '../helpers/otlp-receiver.ts';
import { get, startWharf, type TestWharf } from '../helpers/wharf.ts';

// metrics.otlp end to end: Wharf pushes to an OTLP receiver on loopback that decodes the protobuf it gets;
// the tests poll the received pushes (no fixed sleep) for the counts of the requests they sent.

/** The point of `name` with these attributes in the LAST push that has one (pushes are cumulative). */
function lastPoint(
  metrics: readonly DecodedMetric[],
  name: string,
  attrs: Record<string, string>,
): { metric: DecodedMetric; point: DecodedPoint } | undefined {
  for (let i = metrics.length - 1; i >= 0; i--) {
    const metric = metrics[i] as DecodedMetric;
    if (metric.name !== name) continue;
    const point = metric.points.find((p) => Object.entries(attrs).every(([k, v]) => p.attributes[k] === v));
    if (point) return { metric, point };
  }
  return undefined;
}

const ok = { code: '200', method: 'GET', protocol: 'http' };

async function okBackend(): Promise<Backend> {
  return startServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('ok');
  });
}

describe('metrics.otlp over HTTP (protobuf, gzip), with entryPoint observability', () => {
  let receiver: OtlpReceiver;
  let backend: Backend;
  let w: TestWharf;

  beforeAll(async () => {
    receiver = await startOtlpHttpReceiver();
    backend = await okBackend();
    w = await startWharf(
      {
        http: {
          routers: {
            app: { rule: 'Host(`app.test`)', service: 'backend', entryPoints: ['web', 'quiet'] },
            loud: {
              rule: 'Host(`loud.test`)',
              service: 'backend',
              entryPoints: ['quiet'],
              observability: { metrics: true },
            },
          },
          services: { backend: { loadBalancer: { servers: [{ url: backend.url }] } } },
        },
      },
      {
        entryPoints: {
          web: { address: '127.0.0.1:0' },
          // Its routers are not counted unless they say so (Traefik copies the key into its routers).
          quiet: { address: '127.0.0.1:0', observability: { metrics: false } },
          wharf: { address: '127.0.0.1:0' },
        },
        metrics: {
          otlp: {
            http: { endpoint: receiver.endpoint, headers: { 'x-api-key': 'k1' } },
            addRoutersLabels: true,
            pushInterval: '100ms',
            resourceAttributes: { 'deployment.environment': 'test' },
          },
        },
      },
    );
  });
  afterAll(async () => {
    await w?.stop();
    await backend?.close();
    await receiver?.close();
  });

  it('pushes Traefik-named counters and histograms for the requests sent, not those of a quiet entryPoint', async () => {
    const quiet = `http://127.0.0.1:${w.wharf.port('quiet')}`;
    for (let i = 0; i < 3; i++) expect((await get(w.web, '/', 'app.test')).status).toBe(200);
    for (let i = 0; i < 2; i++) expect((await get(quiet, '/', 'app.test')).status).toBe(200);
    expect((await get(quiet, '/', 'loud.test')).status).toBe(200);
    await receiver.waitForMetrics(
      (m) =>
        lastPoint(m, 'wharf_entrypoint_requests_total', { ...ok, entrypoint: 'web' })?.point.value === 3 &&
        lastPoint(m, 'wharf_router_requests_total', { ...ok, router: 'loud@file' })?.point.value === 1,
      'the pushed counts of the requests sent',
    );
    const m = receiver.metrics;
    const web = lastPoint(m, 'wharf_entrypoint_requests_total', { ...ok, entrypoint: 'web' });
    expect(web?.metric).toMatchObject({ kind: 'sum', monotonic: true, temporality: 2 });
    expect(web?.metric.resource).toMatchObject({
      'service.name': 'wharf',
      'deployment.environment': 'test',
    });
    // The router on both entryPoints is counted for web only; the one that opts in is counted on quiet.
    expect(lastPoint(m, 'wharf_router_requests_total', { ...ok, router: 'app@file' })?.point.value).toBe(3);
    expect(lastPoint(m, 'wharf_entrypoint_requests_total', { entrypoint: 'quiet' })?.point.value).toBe(1);
    const hist = lastPoint(m, 'wharf_entrypoint_request_duration_seconds', { ...ok, entrypoint: 'web' });
    expect(hist?.metric).toMatchObject({ kind: 'histogram', unit: 's', temporality: 2 });
    // Traefik's default explicitBoundaries: 14 bounds, 15 buckets, holding the 3 requests.
    expect(hist?.point.bounds).toEqual([
      0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
    ]);
    expect(hist?.point.bucketCounts).toHaveLength(15);
    expect(hist?.point.bucketCounts?.reduce((a, b) => a + b, 0)).toBe(3);
    expect(hist?.point.count).toBe(3);
    // Traefik's global metrics are pushed; Node's process metrics are for Prometheus only.
    expect(m.some((x) => x.name === 'wharf_config_reloads_total')).toBe(true);
    expect(m.some((x) => x.name.startsWith('process_') || x.name.startsWith('nodejs_'))).toBe(false);
    expect(receiver.exports.every((e) => e.path === '/v1/metrics')).toBe(true);
    expect(receiver.exports[0]?.headers).toMatchObject({ 'x-api-key': 'k1', 'content-encoding': 'gzip' });
  });
});

describe('metrics.otlp over gRPC beside Prometheus, each with its own buckets', () => {
  let receiver: OtlpReceiver;
  let backend: Backend;
  let w: TestWharf;

  beforeAll(async () => {
    receiver = await startOtlpGrpcReceiver();
    backend = await okBackend();
    w = await startWharf(
      {
        http: {
          routers: { app: { rule: 'Host(`app.test`)', service: 'backend' } },
          services: { backend: { loadBalancer: { servers: [{ url: backend.url }] } } },
        },
      },
      {
        metrics: {
          prometheus: { buckets: [0.1, 5] },
          otlp: {
            grpc: { endpoint: receiver.endpoint, insecure: true, headers: { 'x-tenant': 't1' } },
            explicitBoundaries: [0.05, 0.1, 1],
            pushInterval: '100ms',
          },
        },
      },
    );
  });
  afterAll(async () => {
    await w?.stop();
    await backend?.close();
    await receiver?.close();
  });

  it('both count the same requests; each shows the bounds it was configured with', async () => {
    for (let i = 0; i < 4; i++) expect((await get(w.web, '/', 'app.test')).status).toBe(200);
    await receiver.waitForMetrics(
      (m) =>
        lastPoint(m, 'wharf_service_requests_total', { ...ok, service: 'backend@file' })?.point.value === 4,
      'the pushed count of the 4 requests',
    );
    const hist = lastPoint(receiver.metrics, 'wharf_service_request_duration_seconds', {
      ...ok,
      service: 'backend@file',
    });
    expect(hist?.point.bounds).toEqual([0.05, 0.1, 1]);
    expect(hist?.point.count).toBe(4);
    expect(receiver.exports[0]?.headers).toMatchObject({ 'x-tenant': 't1' });
    const samples = parseExposition(await (await fetch(`${w.api}/metrics`)).text());
    const labels = { ...ok, service: 'backend@file' };
    expect(sampleValue(samples, 'wharf_service_requests_total', labels)).toBe(4);
    const les = samples
      .filter(
        (s) =>
          s.name === 'wharf_service_request_duration_seconds_bucket' && s.labels.service === 'backend@file',
      )
      .map((s) => s.labels.le);
    expect(les).toEqual(['0.1', '5', '+Inf']);
  });

  it('pushes what was counted since the last push when Wharf stops', async () => {
    const before = receiver.exports.length;
    for (let i = 0; i < 2; i++) expect((await get(w.web, '/', 'app.test')).status).toBe(200);
    await w.stop();
    expect(receiver.exports.length).toBeGreaterThan(before);
    expect(
      lastPoint(receiver.metrics, 'wharf_service_requests_total', { ...ok, service: 'backend@file' })?.point
        .value,
    ).toBe(6);
  });
});
