import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hrwScore } from '../../router/services/hrw.ts';
import { type Backend, startServer, until } from '../helpers/backends.ts';
import { type ManualClock, manualClock } from '../helpers/manual-clock.ts';
import { get, startWharf, type TestWharf } from '../helpers/wharf.ts';

interface Named extends Backend {
  name: string;
  /** Status answered to requests other than /health (200 by default). */
  status: number;
  healthy: boolean;
  hits: number;
  bodies: string[];
  /** Requests held open while `hold` is set, released by `release()`. */
  hold: boolean;
  held: Array<() => void>;
  /** Milliseconds the server waits before answering (leasttime's slow server). */
  delayMs: number;
  release(): void;
}

async function named(name: string): Promise<Named> {
  const state = {
    name,
    status: 200,
    healthy: true,
    hits: 0,
    bodies: [] as string[],
    hold: false,
    held: [] as Array<() => void>,
    delayMs: 0,
    release() {
      for (const r of state.held.splice(0)) r();
    },
  };
  const b = await startServer((req, res) => {
    if (req.url === '/health') {
      res.writeHead(state.healthy ? 200 : 500).end();
      return;
    }
    state.hits++;
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      state.bodies.push(body);
      const answer = () => res.writeHead(state.status, { 'content-type': 'text/plain' }).end(name);
      if (state.hold) state.held.push(answer);
      else if (state.delayMs > 0) setTimeout(answer, state.delayMs);
      else answer();
    });
  });
  return Object.assign(state, b);
}

let a: Named;
let b: Named;
let c: Named;
let w: TestWharf;
let clock: ManualClock;
const hc = { path: '/health', interval: '50ms', timeout: '500ms' };
const REFUSED = 'http://127.0.0.1:1';

function dynamic(passive: Record<string, unknown> = { failureWindow: '10s', maxFailedAttempts: 2 }) {
  return {
    http: {
      routers: Object.fromEntries(
        [
          'p2c',
          'p2cbusy',
          'hrw',
          'hrwsticky',
          'leasttime',
          'passive',
          'refused',
          'passiveactive',
          'hrwservice',
          'failover',
          'failoverlimit',
          'stickyp2c',
          'stickylt',
          'sse',
          'chunks',
          'immediate',
        ].map((r) => [r, { rule: `Host(\`${r}.test\`)`, service: r }]),
      ),
      services: {
        p2c: { loadBalancer: { strategy: 'p2c', servers: [{ url: a.url }, { url: b.url }, { url: c.url }] } },
        p2cbusy: { loadBalancer: { strategy: 'p2c', servers: [{ url: a.url }, { url: b.url }] } },
        hrw: { loadBalancer: { strategy: 'hrw', servers: [{ url: a.url }, { url: b.url }, { url: c.url }] } },
        hrwsticky: {
          loadBalancer: {
            strategy: 'hrw',
            servers: [{ url: a.url }, { url: b.url }],
            sticky: { cookie: { name: 'pin' } },
          },
        },
        leasttime: { loadBalancer: { strategy: 'leasttime', servers: [{ url: a.url }, { url: b.url }] } },
        passive: {
          loadBalancer: { servers: [{ url: a.url }, { url: b.url }], passiveHealthCheck: passive },
        },
        refused: { loadBalancer: { servers: [{ url: REFUSED }, { url: b.url }], passiveHealthCheck: {} } },
        passiveactive: {
          loadBalancer: {
            servers: [{ url: c.url }, { url: b.url }],
            healthCheck: hc,
            passiveHealthCheck: {},
          },
        },
        onlyA: { loadBalancer: { servers: [{ url: a.url }], healthCheck: hc } },
        onlyB: { loadBalancer: { servers: [{ url: b.url }] } },
        onlyC: { loadBalancer: { servers: [{ url: c.url }], healthCheck: hc } },
        hrwservice: {
          highestRandomWeight: {
            services: [
              { name: 'onlyA', weight: 1 },
              { name: 'onlyC', weight: 1 },
            ],
          },
        },
        failover: { failover: { service: 'onlyC', fallback: 'onlyB', errors: { status: ['500-503'] } } },
        failoverlimit: {
          failover: {
            service: 'onlyC',
            fallback: 'onlyB',
            errors: { status: ['500'], maxRequestBodyBytes: 4 },
          },
        },
        stickyp2c: {
          loadBalancer: {
            strategy: 'p2c',
            servers: [{ url: a.url }, { url: b.url }],
            sticky: { cookie: { name: 'pin' } },
          },
        },
        stickylt: {
          loadBalancer: {
            strategy: 'leasttime',
            servers: [{ url: a.url }, { url: b.url }],
            sticky: { cookie: { name: 'pin' } },
          },
        },
        sse: {
          loadBalancer: { servers: [{ url: stream.url }], responseForwarding: { flushInterval: '1h' } },
        },
        chunks: {
          loadBalancer: { servers: [{ url: stream.url }], responseForwarding: { flushInterval: '10ms' } },
        },
        immediate: {
          loadBalancer: { servers: [{ url: stream.url }], responseForwarding: { flushInterval: -1 } },
        },
      },
    },
  };
}

/** A server that sends a first chunk, then the rest only once the test says so. */
let stream: Backend & { finish: Array<() => void> };

beforeAll(async () => {
  [a, b, c] = await Promise.all([named('a'), named('b'), named('c')]);
  const finish: Array<() => void> = [];
  const s = await startServer((req, res) => {
    const sse = req.headers.host === 'sse.test';
    // Both with a Content-Length, so only the content type (or the interval) lets the first part out.
    res.writeHead(
      200,
      sse ? { 'content-type': 'text/event-stream', 'content-length': '18' } : { 'content-length': '11' },
    );
    res.write(sse ? 'data: 1\n\n' : 'first');
    finish.push(() => res.end(sse ? 'data: 2\n\n' : '-last'));
  });
  stream = Object.assign(s, { finish });
  clock = manualClock(Date.now());
  w = await startWharf(dynamic(), {}, { clock });
});

afterAll(async () => {
  await w?.stop();
  await Promise.all([a, b, c, stream].map((x) => x?.close()));
});

async function names(host: string, n: number, headers: Record<string, string> = {}): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push((await get(w.web, '/', host, headers)).text);
  return out;
}

function tally(list: string[]): Record<string, number> {
  const t: Record<string, number> = {};
  for (const x of list) t[x] = (t[x] ?? 0) + 1;
  return t;
}

async function serverStatus(service: string): Promise<Record<string, string>> {
  const r = await w.getJson<{ serverStatus: Record<string, string> }>(`/api/http/services/${service}`);
  return r.body.serverStatus;
}

describe('strategies', () => {
  it('p2c reaches every server', async () => {
    const t = tally(await names('p2c.test', 60));
    expect(Object.keys(t).sort()).toEqual(['a', 'b', 'c']);
  });

  it('p2c sends nothing to a server with requests in flight while another has none', async () => {
    a.hold = true;
    const pending: Array<Promise<unknown>> = [];
    try {
      // Until one request is stuck on a (each goes to a or b at random while both are idle).
      while (a.held.length === 0) {
        let answered = false;
        pending.push(get(w.web, '/', 'p2cbusy.test').then(() => (answered = true)));
        await until(() => a.held.length > 0 || answered, 'the request answered or held');
      }
      expect(tally(await names('p2cbusy.test', 20))).toEqual({ b: 20 });
    } finally {
      a.hold = false;
      a.release();
      await Promise.all(pending);
    }
  });

  it('hrw sends a client IP to the server with the highest score, every time', async () => {
    const urls = { a: a.url, b: b.url, c: c.url };
    const best = Object.entries(urls).reduce((x, y) =>
      hrwScore('127.0.0.1', y[1], 1) > hrwScore('127.0.0.1', x[1], 1) ? y : x,
    )[0];
    expect(tally(await names('hrw.test', 10))).toEqual({ [best]: 10 });
  });

  it('hrw sets no sticky cookie (Traefik gives hrw none)', async () => {
    const r = await get(w.web, '/', 'hrwsticky.test');
    expect(r.status).toBe(200);
    expect(r.headers['set-cookie']).toBeUndefined();
  });

  it('leasttime moves off a slow server once it has measured it', async () => {
    a.delayMs = 30;
    try {
      const before = a.hits;
      const t = tally(await names('leasttime.test', 20));
      // The first request tries a (no sample yet, first deadline); then b answers faster.
      expect(a.hits - before).toBe(1);
      expect(t).toEqual({ a: 1, b: 19 });
    } finally {
      a.delayMs = 0;
    }
  });

  it.each(['stickyp2c', 'stickylt'])('%s: the sticky cookie still pins a client', async (svc) => {
    const first = await get(w.web, '/', `${svc}.test`);
    const cookie = String(first.headers['set-cookie']).split(';')[0] as string;
    expect(cookie).toMatch(/^pin=[0-9a-f]{16}$/);
    expect(new Set(await names(`${svc}.test`, 8, { cookie }))).toEqual(new Set([first.text]));
  });
});

describe('passive health checks', () => {
  it('takes a server that fails out, and puts it back after failureWindow', async () => {
    a.status = 500;
    try {
      // Two failures within the window (maxFailedAttempts 2); wrr alternates, so 4 requests hit a twice.
      const first = await names('passive.test', 4);
      expect(tally(first)).toEqual({ a: 2, b: 2 });
      expect((await serverStatus('passive@file'))[a.url]).toBe('DOWN');
      expect(tally(await names('passive.test', 6))).toEqual({ b: 6 });
    } finally {
      a.status = 200;
    }
    clock.advance(10_000);
    expect((await serverStatus('passive@file'))[a.url]).toBe('UP');
    expect(tally(await names('passive.test', 4))).toEqual({ a: 2, b: 2 });
  });

  it('keeps its state across a reload that does not change the service', async () => {
    a.status = 500;
    try {
      await names('passive.test', 4);
    } finally {
      a.status = 200;
    }
    expect((await serverStatus('passive@file'))[a.url]).toBe('DOWN');
    const unchanged = dynamic();
    (unchanged.http.routers as Record<string, unknown>).extra = { rule: 'Host(`x.test`)', service: 'onlyB' };
    await w.reload(unchanged);
    expect((await serverStatus('passive@file'))[a.url]).toBe('DOWN');
    // New options: a new balancer, with fresh state.
    await w.reload(dynamic({ failureWindow: '10s', maxFailedAttempts: 3 }));
    expect((await serverStatus('passive@file'))[a.url]).toBe('UP');
    await w.reload(dynamic());
  });

  it('a refused connection takes the server out at once (defaults: 1 attempt)', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await get(w.web, '/', 'refused.test')).status);
    expect(statuses.filter((s) => s === 502)).toHaveLength(1);
    expect((await serverStatus('refused@file'))[REFUSED]).toBe('DOWN');
  });

  it('with an active check too, the server comes back at its next healthy probe', async () => {
    c.status = 503;
    try {
      let sawDown = false;
      for (let i = 0; i < 4 && !sawDown; i++) {
        await get(w.web, '/', 'passiveactive.test');
        sawDown = (await serverStatus('passiveactive@file'))[c.url] === 'DOWN';
      }
      expect(sawDown).toBe(true);
    } finally {
      c.status = 200;
    }
    // The probe (/health) is healthy all along: it ends the hold without the clock moving.
    await expect
      .poll(async () => (await serverStatus('passiveactive@file'))[c.url], { timeout: 5000 })
      .toBe('UP');
  });
});

describe('services', () => {
  it('highestRandomWeight keeps a client on one child, and moves it when that child is down', async () => {
    const first = await names('hrwservice.test', 5);
    expect(new Set(first).size).toBe(1);
    const pinned = first[0] === 'a' ? a : c;
    const other = pinned === a ? 'c' : 'a';
    pinned.healthy = false;
    try {
      await expect
        .poll(async () => (await get(w.web, '/', 'hrwservice.test')).text, { timeout: 5000 })
        .toBe(other);
    } finally {
      pinned.healthy = true;
    }
    await expect
      .poll(async () => (await get(w.web, '/', 'hrwservice.test')).text, { timeout: 5000 })
      .toBe(pinned.name);
  });

  it('failover errors: a listed status sends the request, body and all, to the fallback', async () => {
    c.status = 503;
    try {
      const r = await request(`${w.web}/x`, {
        method: 'POST',
        headers: { host: 'failover.test' },
        body: 'hello',
      });
      expect(r.statusCode).toBe(200);
      expect(await r.body.text()).toBe('b');
      expect(c.bodies.at(-1)).toBe('hello');
      expect(b.bodies.at(-1)).toBe('hello');
    } finally {
      c.status = 200;
    }
    c.status = 404;
    try {
      const r = await get(w.web, '/', 'failover.test');
      expect([r.status, r.text]).toEqual([404, 'c']);
    } finally {
      c.status = 200;
    }
  });

  it('failover errors: a body over maxRequestBodyBytes is refused with 413', async () => {
    const r = await request(`${w.web}/x`, {
      method: 'POST',
      headers: { host: 'failoverlimit.test' },
      body: 'hello',
    });
    expect(r.statusCode).toBe(413);
    await r.body.dump();
    const ok = await request(`${w.web}/x`, {
      method: 'POST',
      headers: { host: 'failoverlimit.test' },
      body: 'hey',
    });
    expect(ok.statusCode).toBe(200);
    expect(await ok.body.text()).toBe('c');
  });
});

describe('responseForwarding.flushInterval', () => {
  /** Reads until `text` has arrived, while the server still holds the rest. */
  async function firstPart(host: string, text: string): Promise<void> {
    const before = stream.finish.length;
    const r = await request(`${w.web}/`, { headers: { host } });
    let seen = '';
    for await (const chunk of r.body) {
      seen += chunk.toString();
      if (seen.includes(text)) break;
    }
    expect(seen).toContain(text);
    // The server has not sent the rest yet: what arrived was flushed on its own.
    expect(stream.finish.length).toBe(before + 1);
    for (const f of stream.finish.splice(0)) f();
  }

  it('server-sent events go out at every write whatever the interval', () =>
    firstPart('sse.test', 'data: 1'));
  it('a positive interval flushes what waits', () => firstPart('chunks.test', 'first'));
  it('-1 flushes at every write', () => firstPart('immediate.test', 'first'));
});
