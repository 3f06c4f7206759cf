import { createServer } from 'node:net';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Backend, startServer, until } from '../helpers/backends.ts';
import { parseExposition, type Sample, sampleValue } from '../helpers/exposition.ts';
import { get, startWharf, type TestWharf } from '../helpers/wharf.ts';

// The Prometheus exporter through a running router: Traefik's request metrics per entryPoint, router and
// service with Traefik's labels, the router-level observability.metrics option, headerLabels, retries,
// /metrics on the internal entryPoint (and not with manualRouting), Wharf's own metrics, and series of
// removed routers dropped after one more scrape.

let backend: Backend;
let closedUrl: string;
const BODY = 'hello metrics';

async function closedPort(): Promise<string> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as { port: number };
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

function dynamic(extraRouters: Record<string, unknown> = {}) {
  return {
    http: {
      routers: {
        r: { rule: 'Host(`a.test`)', service: 'svc', entryPoints: ['web'] },
        quiet: {
          rule: 'Host(`quiet.test`)',
          service: 'svc',
          entryPoints: ['web'],
          observability: { metrics: false },
        },
        retried: {
          rule: 'Host(`retry.test`)',
          service: 'flaky',
          entryPoints: ['web'],
          middlewares: ['retry'],
        },
        broken: { rule: 'Host(`broken.test`)', service: 'missing', entryPoints: ['web'] },
        ...extraRouters,
      },
      middlewares: { retry: { retry: { attempts: 2 } } },
      services: {
        svc: { loadBalancer: { servers: [{ url: backend.url }] } },
        // Round robin starts with the closed port: the first request is retried on the live server.
        flaky: { loadBalancer: { servers: [{ url: closedUrl }, { url: backend.url }] } },
        // Never routed: only its server URL, whose password the metrics must not show.
        secret: { loadBalancer: { servers: [{ url: 'http://user:hunter2@127.0.0.1:9' }] } },
      },
    },
  };
}

async function scrape(
  base: string,
  path = '/metrics',
): Promise<{ status: number; samples: Sample[]; type: string }> {
  const res = await request(base + path);
  const text = await res.body.text();
  return {
    status: res.statusCode,
    samples: res.statusCode === 200 ? parseExposition(text) : [],
    type: String(res.headers['content-type']),
  };
}

beforeAll(async () => {
  closedUrl = await closedPort();
  backend = await startServer((_req, res) => {
    res.writeHead(200, { 'content-length': Buffer.byteLength(BODY) });
    res.end(BODY);
  });
});
afterAll(async () => {
  await backend.close();
});

describe('metrics.prometheus with every level and a header label', () => {
  let w: TestWharf;
  beforeAll(async () => {
    w = await startWharf(dynamic(), {
      metrics: {
        prometheus: {
          addRoutersLabels: true,
          buckets: [0.5, 0.05],
          headerLabels: { useragent: 'User-Agent' },
        },
      },
    });
  });
  afterAll(async () => {
    await w.stop();
  });

  it('counts requests per entryPoint, router and service with Traefik labels', async () => {
    for (let i = 0; i < 3; i++)
      expect((await get(w.web, '/x', 'a.test', { 'user-agent': 'tester' })).status).toBe(200);
    expect((await get(w.web, '/', 'nowhere.test', { 'user-agent': 'tester' })).status).toBe(404);
    const m = await scrape(w.api);
    expect(m.status).toBe(200);
    expect(m.type).toContain('text/plain');
    const common = { code: '200', method: 'GET', protocol: 'http', useragent: 'tester' };
    expect(sampleValue(m.samples, 'wharf_entrypoint_requests_total', { ...common, entrypoint: 'web' })).toBe(
      3,
    );
    expect(
      sampleValue(m.samples, 'wharf_router_requests_total', {
        ...common,
        router: 'r@file',
        service: 'svc@file',
      }),
    ).toBe(3);
    expect(sampleValue(m.samples, 'wharf_service_requests_total', { ...common, service: 'svc@file' })).toBe(
      3,
    );
    // The unmatched request counts on its entryPoint only.
    expect(
      sampleValue(m.samples, 'wharf_entrypoint_requests_total', {
        entrypoint: 'web',
        code: '404',
        useragent: 'tester',
      }),
    ).toBe(1);
    const svc = { code: '200', method: 'GET', protocol: 'http', service: 'svc@file' };
    expect(sampleValue(m.samples, 'wharf_service_request_duration_seconds_count', svc)).toBe(3);
    // Buckets sorted and cumulative, +Inf holding every request.
    const buckets = m.samples.filter(
      (s) => s.name === 'wharf_service_request_duration_seconds_bucket' && s.labels.service === 'svc@file',
    );
    expect(buckets.map((b) => b.labels.le)).toEqual(['0.05', '0.5', '+Inf']);
    expect(buckets.at(-1)?.value).toBe(3);
    expect(sampleValue(m.samples, 'wharf_service_responses_bytes_total', svc)).toBe(
      3 * Buffer.byteLength(BODY),
    );
    expect(sampleValue(m.samples, 'wharf_service_requests_bytes_total', svc)).toBe(0);
    // The scrape itself (an internal request) is not counted: addInternals is false.
    expect(
      m.samples.some((s) => s.labels.entrypoint === 'wharf' && s.name.startsWith('wharf_entrypoint_')),
    ).toBe(false);
  });

  it("leaves out what Traefik's internal routers answer themselves (the dashboard's redirect)", async () => {
    const root = await request(`${w.api}/`);
    await root.body.dump();
    expect(root.statusCode).toBe(301);
    const m = await scrape(w.api);
    expect(m.samples.filter((s) => s.labels.router?.endsWith('@internal'))).toEqual([]);
    expect(
      m.samples.some((s) => s.labels.entrypoint === 'wharf' && s.name.startsWith('wharf_entrypoint_')),
    ).toBe(false);
  });

  it('leaves out routers with observability.metrics false, on every level', async () => {
    const before = await scrape(w.api);
    const ep = (s: Sample[]) =>
      sampleValue(s, 'wharf_entrypoint_requests_total', { entrypoint: 'web', code: '200', useragent: '' }) ??
      0;
    for (let i = 0; i < 2; i++) expect((await get(w.web, '/', 'quiet.test')).status).toBe(200);
    const after = await scrape(w.api);
    expect(ep(after.samples)).toBe(ep(before.samples));
    expect(after.samples.some((s) => s.labels.router === 'quiet@file')).toBe(false);
    const svcTotal = (s: Sample[]) =>
      s
        .filter((x) => x.name === 'wharf_service_requests_total' && x.labels.service === 'svc@file')
        .reduce((n, x) => n + x.value, 0);
    expect(svcTotal(after.samples)).toBe(svcTotal(before.samples));
  });

  it('counts retries on the service', async () => {
    expect((await get(w.web, '/', 'retry.test')).status).toBe(200);
    const m = await scrape(w.api);
    expect(sampleValue(m.samples, 'wharf_service_retries_total', { service: 'flaky@file' })).toBe(1);
  });

  it("exports Traefik's global metrics and Wharf's own", async () => {
    const m = await scrape(w.api);
    expect(sampleValue(m.samples, 'wharf_config_reloads_total')).toBeGreaterThanOrEqual(1);
    const last = sampleValue(m.samples, 'wharf_config_last_reload_success') ?? 0;
    expect(Math.abs(last - Date.now() / 1000)).toBeLessThan(3600);
    expect(sampleValue(m.samples, 'wharf_service_server_up', { service: 'svc@file', url: backend.url })).toBe(
      1,
    );
    const secret = m.samples.filter((s) => s.labels.service === 'secret@file');
    expect(secret.map((s) => s.labels.url)).toEqual(['http://user:xxxxx@127.0.0.1:9']);
    expect(
      sampleValue(m.samples, 'wharf_open_connections', { entrypoint: 'wharf', protocol: 'TCP' }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      sampleValue(m.samples, 'wharf_diagnostics', {
        code: 'ROUTER_SERVICE_MISSING',
        provider: 'compile',
        severity: 'error',
      }),
    ).toBe(1);
    expect(
      sampleValue(m.samples, 'wharf_provider_snapshots_total', { provider: 'file' }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      sampleValue(m.samples, 'wharf_provider_last_snapshot_timestamp_seconds', { provider: 'file' }),
    ).toBeGreaterThan(0);
    expect(sampleValue(m.samples, 'wharf_provider_failures_total', { provider: 'file' })).toBe(0);
    const gen = sampleValue(m.samples, 'wharf_generations_swapped_total') ?? 0;
    expect(gen).toBeGreaterThanOrEqual(1);
    // The scrape itself is the one request in flight: /metrics is routed (prometheus@internal) like any request.
    expect(
      sampleValue(m.samples, 'wharf_generation_inflight_requests', {
        generation: String(gen),
        state: 'serving',
      }),
    ).toBe(1);
    expect(m.samples.some((s) => s.name === 'process_cpu_user_seconds_total')).toBe(true);
  });

  it('drops the series of a removed router after one more scrape', async () => {
    await w.reload(dynamic({ extra: { rule: 'Host(`extra.test`)', service: 'svc', entryPoints: ['web'] } }));
    expect((await get(w.web, '/', 'extra.test')).status).toBe(200);
    const has = (s: Sample[]) => s.some((x) => x.labels.router === 'extra@file');
    expect(has((await scrape(w.api)).samples)).toBe(true);
    await w.reload(dynamic());
    expect(has((await scrape(w.api)).samples)).toBe(true);
    expect(has((await scrape(w.api)).samples)).toBe(false);
  });
});

describe('metrics.prometheus defaults, addInternals and manualRouting', () => {
  it('has no router series by default and counts internal requests with addInternals', async () => {
    const w = await startWharf(dynamic(), { metrics: { addInternals: true, prometheus: {} } });
    try {
      expect((await get(w.web, '/', 'a.test')).status).toBe(200);
      await scrape(w.api);
      const m = await scrape(w.api);
      expect(m.samples.some((s) => s.name.startsWith('wharf_router_'))).toBe(false);
      expect(sampleValue(m.samples, 'wharf_service_requests_total', { service: 'svc@file' })).toBe(1);
      expect(
        sampleValue(m.samples, 'wharf_entrypoint_requests_total', { entrypoint: 'wharf', code: '200' }),
      ).toBeGreaterThanOrEqual(1);
    } finally {
      await w.stop();
    }
  });

  it('manualRouting: /metrics is not served on the entryPoint; a router of ours sends it to prometheus@internal', async () => {
    const routed = dynamic({
      metrics: { rule: 'Host(`metrics.test`)', service: 'prometheus@internal', entryPoints: ['web'] },
    });
    const w = await startWharf(routed, { metrics: { prometheus: { manualRouting: true } } });
    try {
      expect((await get(w.web, '/', 'a.test')).status).toBe(200);
      expect((await scrape(w.api)).status).toBe(404);
      const r = await request(`${w.web}/anything`, { headers: { host: 'metrics.test' } });
      expect(r.statusCode).toBe(200);
      const samples = parseExposition(await r.body.text());
      expect(
        sampleValue(samples, 'wharf_entrypoint_requests_total', { entrypoint: 'web', code: '200' }),
      ).toBe(1);
    } finally {
      await w.stop();
    }
  });

  it('is off without metrics.prometheus: /metrics answers 404', async () => {
    const w = await startWharf(dynamic());
    try {
      expect(w.wharf.metrics).toBeUndefined();
      expect((await scrape(w.api)).status).toBe(404);
    } finally {
      await w.stop();
    }
  });
});

describe('metrics.prometheus.entryPoint', () => {
  it('serves /metrics on the named entryPoint', async () => {
    const w = await startWharf(dynamic(), { metrics: { prometheus: { entryPoint: 'web' } } });
    try {
      await until(() => w.wharf.reloader.reloads > 0, 'the first reload');
      const m = await scrape(w.web);
      expect(m.status).toBe(200);
      expect((await scrape(w.api)).status).toBe(404);
    } finally {
      await w.stop();
    }
  });
});
