import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Clock } from '../../middleware/clock.ts';
import { type Backend, startServer } from '../helpers/backends.ts';
import { get, startWharf, type TestWharf } from '../helpers/wharf.ts';

// circuitBreaker through a running router, with a loopback backend that fails on demand (it resets the
// connection: the proxy answers 502, which the breaker counts as a network error, as Traefik's does) and a
// clock the test advances by hand: trips, answers responseCode, keeps its state across a reload that does
// not change it, recovers.

let now = 1_700_000_000_000;
const clock: Clock = { now: () => now, setTimeout: () => ({ cancel: () => {} }) };

let failing = false;
let hits = 0;
let backend: Backend;
let w: TestWharf;

const config = (extraRouter = false) => ({
  http: {
    routers: {
      a: { rule: 'Host(`a.test`)', service: 'app', middlewares: ['cb'] },
      b: { rule: 'Host(`b.test`)', service: 'app', middlewares: ['cb'] },
      ...(extraRouter && { c: { rule: 'Host(`c.test`)', service: 'app' } }),
    },
    middlewares: {
      cb: { circuitBreaker: { expression: 'NetworkErrorRatio() > 0.5', responseCode: 418 } },
      bad: { circuitBreaker: { expression: 'NetworkErrorRatio() > 0.5 && LatencyAtQuantileMS(50) > 100' } },
    },
    services: { app: { loadBalancer: { servers: [{ url: backend.url }] } } },
  },
});

beforeAll(async () => {
  backend = await startServer((req, res) => {
    hits++;
    if (failing) (req.socket as Socket).resetAndDestroy();
    else res.end('ok');
  });
  w = await startWharf({}, {}, { clock });
  await w.reload(config());
});

afterAll(async () => {
  await w?.stop();
  await backend?.close();
});

describe('circuitBreaker through the router', () => {
  it('trips on network errors, answers responseCode without calling the service, per router', async () => {
    failing = true;
    expect((await get(w.web, '/', 'a.test')).status).toBe(502);
    const before = hits;
    const refused = await get(w.web, '/', 'a.test');
    expect(refused.status).toBe(418);
    expect(refused.text).toBe("I'm a teapot");
    expect(hits).toBe(before);
    // Router b has its own breaker, still in standby.
    failing = false;
    expect((await get(w.web, '/', 'b.test')).status).toBe(200);
  });

  it('keeps its state across a reload that leaves it unchanged', async () => {
    await w.reload(config(true));
    expect((await get(w.web, '/', 'c.test')).status).toBe(200);
    expect((await get(w.web, '/', 'a.test')).status).toBe(418);
  });

  it('shows the state per router in the API', async () => {
    const { body } = await w.getJson<Record<string, unknown>>('/api/http/middlewares/cb@file');
    expect(body.state).toEqual({
      'a@file': { state: 'tripped', until: new Date(now + 10_000).toISOString() },
      'b@file': { state: 'standby' },
    });
  });

  it('recovers after fallbackDuration: traffic ramps up, then standby', async () => {
    now += 10_000;
    // The ramp starts at 0%: the first request of the recovery still gets the fallback.
    expect((await get(w.web, '/', 'a.test')).status).toBe(418);
    now += 5_000;
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await get(w.web, '/', 'a.test')).status);
    expect(statuses).toContain(200);
    expect(statuses).toContain(418);
    now += 5_001;
    for (let i = 0; i < 5; i++) expect((await get(w.web, '/', 'a.test')).status).toBe(200);
  });

  it('reports a bad expression as an error of that middleware, with the column', async () => {
    // Checked when a router uses it (then it is built), as Traefik builds middlewares per router.
    await w.reload({
      ...config(),
      http: {
        ...config().http,
        routers: {
          ...config().http.routers,
          d: { rule: 'Host(`d.test`)', service: 'app', middlewares: ['bad'] },
        },
      },
    });
    const after = await w.getJson<{ status: string; error?: string[] }>('/api/http/middlewares/bad@file');
    expect(after.body.status).toBe('disabled');
    expect(after.body.error?.join()).toContain(
      'argument 1 of LatencyAtQuantileMS must be a decimal number such as 0.5, e.g. LatencyAtQuantileMS(50.0) > 100 at column 50',
    );
    expect((await get(w.web, '/', 'd.test')).status).toBe(404);
    expect((await get(w.web, '/', 'b.test')).status).toBe(200);
  });
});
