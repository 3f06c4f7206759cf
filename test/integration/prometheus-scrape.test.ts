import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Backend, startServer } from '../helpers/backends.ts';
import { ensurePrometheus, startPrometheus, type TestPrometheus } from '../helpers/prometheus.ts';
import { get, startWharf, type TestWharf } from '../helpers/wharf.ts';

// A real Prometheus scrapes Wharf's /metrics: the target is up, and PromQL over the request counter sees
// exactly the requests the test sent (polled through Prometheus's HTTP API until it does, with a deadline).

const skip = await ensurePrometheus();
if (skip) console.log(`[prometheus] scrape test will be SKIPPED: ${skip}`);

/** Polls `check` every 250 ms until it returns true; fails with the last value seen after `ms`. */
async function eventually(what: string, check: () => Promise<boolean | string>, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  let last: boolean | string = false;
  for (;;) {
    last = await check();
    if (last === true) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (last: ${String(last)})`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe.skipIf(skip !== undefined)('a real Prometheus scraping Wharf', () => {
  let backend: Backend;
  let w: TestWharf;
  let prom: TestPrometheus;

  beforeAll(async () => {
    backend = await startServer((_req, res) => res.end('ok'));
    w = await startWharf(
      {
        http: {
          routers: { r: { rule: 'Host(`scrape.test`)', service: 'svc', entryPoints: ['web'] } },
          services: { svc: { loadBalancer: { servers: [{ url: backend.url }] } } },
        },
      },
      { metrics: { prometheus: { addRoutersLabels: true } } },
    );
    prom = await startPrometheus(new URL(w.api).host);
  }, 180_000);
  afterAll(async () => {
    await prom?.stop();
    await w?.stop();
    await backend?.close();
  });

  it('the target is up and PromQL over the request counter matches the requests sent', async () => {
    await eventually('the target to be up', async () => {
      const t = (await prom.targets())[0];
      return t?.health === 'up' || `${t?.health}: ${t?.lastError}`;
    });
    const series = 'wharf_router_requests_total{router="r@file",code="200"}';
    // One request first, so the series exists and Prometheus holds a sample of it before the burst.
    expect((await get(w.web, '/', 'scrape.test')).status).toBe(200);
    await eventually('the first request in Prometheus', async () => {
      const r = await prom.query(`sum(${series})`);
      return r[0]?.value[1] === '1' || String(r[0]?.value[1]);
    });
    const sent = 25;
    for (let i = 0; i < sent; i++) expect((await get(w.web, '/', 'scrape.test')).status).toBe(200);
    // The counter's increase over the window, from the sample before the burst to the last one: exact.
    await eventually('the increase to match the requests sent', async () => {
      const r = await prom.query(`sum(max_over_time(${series}[5m]) - min_over_time(${series}[5m]))`);
      return r[0]?.value[1] === String(sent) || String(r[0]?.value[1]);
    });
    // increase() extrapolates to the window's edges, so it is at least what was sent, and rate() is positive.
    const inc = Number((await prom.query(`sum(increase(${series}[5m]))`))[0]?.value[1]);
    expect(inc).toBeGreaterThanOrEqual(sent);
    const rate = Number((await prom.query(`sum(rate(${series}[5m]))`))[0]?.value[1]);
    expect(rate).toBeGreaterThan(0);
    // The entryPoint and service counters agree.
    const ep = await prom.query('sum(wharf_entrypoint_requests_total{entrypoint="web",code="200"})');
    expect(ep[0]?.value[1]).toBe(String(sent + 1));
    const svc = await prom.query('sum(wharf_service_requests_total{service="svc@file",code="200"})');
    expect(svc[0]?.value[1]).toBe(String(sent + 1));
  }, 180_000);
});
