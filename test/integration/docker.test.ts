import { randomBytes } from 'node:crypto';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestNetwork,
  dockerForTests,
  freePort,
  runTestContainer,
  type TestContainer,
  waitFor,
} from '../docker/engine.ts';
import { startSocketProxy } from '../helpers/socket-proxy.ts';
import { makeTestPki, startTlsRelay } from '../helpers/tls-relay.ts';
import { get, startWharf, type TestWharf } from '../helpers/wharf.ts';

// End to end against a real Docker Engine (started by test/docker/global-setup.ts when none runs):
// labelled containers become routes through the Docker provider, live. Containers serve HTTP on
// 127.0.0.1 in host network mode; traffic goes nowhere else.

const engine = dockerForTests();
const skip = 'skip' in engine ? engine.skip : undefined;
if (skip) console.warn(`[docker] integration tests skipped: ${skip}`);

/** Each suite sees only its own containers (other test files run containers at the same time). */
const suite = `it-${randomBytes(4).toString('hex')}`;
const SUITE_LABEL = 'wharf-suite';

// Skipped only when no Docker Engine can be had (not root, not Debian, WHARF_DOCKER=off); the reason is printed.
describe.skipIf(skip !== undefined)('Docker provider against a real engine', () => {
  const docker = 'docker' in engine ? engine.docker : (undefined as never);
  const host = 'host' in engine ? engine.host : '';
  let w: TestWharf;
  const started: TestContainer[] = [];

  const run = async (labels: Record<string, string>, extra: Parameters<typeof runTestContainer>[1] = {}) => {
    const c = await runTestContainer(docker, { ...extra, labels: { [SUITE_LABEL]: suite, ...labels } });
    started.push(c);
    return c;
  };
  /** A container serving HTTP on 127.0.0.1:port with these routing labels. */
  const app = async (name: string, hostRule: string, more: Record<string, string> = {}, extra = {}) => {
    const port = await freePort();
    const c = await run(
      {
        [`wharf.http.routers.${name}.rule`]: `Host(\`${hostRule}\`)`,
        [`wharf.http.services.${name}.loadbalancer.server.port`]: String(port),
        ...more,
      },
      { port, ...extra },
    );
    return { ...c, port };
  };
  /** Status through Wharf; -1 when no answer within 2 s (a paused container accepts but never answers). */
  const status = async (h: string) => {
    try {
      const r = await request(`${w.web}/`, { headers: { host: h }, headersTimeout: 2000, bodyTimeout: 2000 });
      await r.body.dump();
      return r.statusCode;
    } catch {
      return -1;
    }
  };
  const body = async (h: string) => (await get(w.web, '/', h)).text;

  beforeAll(async () => {
    w = await startWharf(
      {},
      {
        providers: {
          providersThrottleDuration: '100ms',
          docker: { endpoint: host, constraints: `Label(\`${SUITE_LABEL}\`,\`${suite}\`)` },
        },
      },
    );
  });
  afterAll(async () => {
    await w?.stop();
    await Promise.all(started.map((c) => c.remove()));
  });

  it('routes a labelled container once it starts and drops it when it stops', async () => {
    const c = await app('web', 'web.docker.test');
    await waitFor(async () => (await status('web.docker.test')) === 200, 'the route to appear', 10_000);
    expect(await body('web.docker.test')).toContain(c.name);
    await c.stop();
    await waitFor(async () => (await status('web.docker.test')) === 404, 'the route to disappear', 10_000);
    await c.container.start();
    await waitFor(async () => (await status('web.docker.test')) === 200, 'the route to come back', 10_000);
  });

  it('follows pause, unpause, kill and restart', async () => {
    const c = await app('life', 'life.docker.test');
    await waitFor(async () => (await status('life.docker.test')) === 200, 'the route', 10_000);
    await c.container.pause();
    await waitFor(async () => (await status('life.docker.test')) === 404, 'paused: gone', 10_000);
    await c.container.unpause();
    await waitFor(async () => (await status('life.docker.test')) === 200, 'unpaused: back', 10_000);
    await c.container.kill();
    await waitFor(async () => (await status('life.docker.test')) === 404, 'killed: gone', 10_000);
    await c.container.restart();
    await waitFor(async () => (await status('life.docker.test')) === 200, 'restarted: back', 10_000);
  });

  it('waits for a healthcheck to pass before routing', async () => {
    const marker = `/tmp/ready-${randomBytes(3).toString('hex')}`;
    const c = await app(
      'hc',
      'hc.docker.test',
      {},
      {
        healthcheck: { test: ['CMD-SHELL', `test -f ${marker}`], intervalMs: 200, retries: 1000 },
      },
    );
    // Starting: not healthy yet, so not routed (Traefik's behaviour; allowEmptyServices would answer 503).
    // A container started after it and routed shows Wharf has processed the earlier start as well (the
    // provider follows events in order), while Docker still reported the health check as starting.
    await app('hcnext', 'hcnext.docker.test');
    await waitFor(async () => (await status('hcnext.docker.test')) === 200, 'the later container', 10_000);
    expect((await c.container.inspect()).State.Health?.Status).toBe('starting');
    expect(await status('hc.docker.test')).toBe(404);
    const exec = await c.container.exec({ Cmd: ['touch', marker] });
    await exec.start({});
    await waitFor(async () => (await status('hc.docker.test')) === 200, 'healthy: routed', 15_000);
  });

  it('merges replicas of one service and balances over them', async () => {
    const a = await app('rep', 'rep.docker.test');
    const b = await app('rep', 'rep.docker.test');
    await waitFor(
      async () =>
        Object.keys(
          (await w.getJson<{ serverStatus?: object }>('/api/http/services/rep@docker')).body.serverStatus ??
            {},
        ).length === 2,
      'both replicas in the service',
      10_000,
    );
    const answers: string[] = [];
    for (let i = 0; i < 6; i++) answers.push((await body('rep.docker.test')).trim());
    expect(answers.filter((x) => x === a.name)).toHaveLength(3);
    expect(answers.filter((x) => x === b.name)).toHaveLength(3);
  });

  it('disables a router defined differently by two containers, naming both; other routers keep routing', async () => {
    const ok = await app('fine', 'fine.docker.test');
    const x = await app('x', 'x.docker.test', {
      'wharf.http.routers.dup.rule': 'Host(`dup-a.docker.test`)',
      'wharf.http.routers.dup.service': 'x',
    });
    const y = await app('y', 'y.docker.test', {
      'wharf.http.routers.dup.rule': 'Host(`dup-b.docker.test`)',
      'wharf.http.routers.dup.service': 'y',
    });
    await waitFor(async () => (await status('y.docker.test')) === 200, 'the other routers', 10_000);
    expect(await status('fine.docker.test')).toBe(200);
    const dup = await w.getJson<{ status: string; error: string[] }>('/api/http/routers/dup@docker');
    expect(dup.body.status).toBe('disabled');
    expect(dup.body.error.join(' ')).toContain(x.name);
    expect(dup.body.error.join(' ')).toContain(y.name);
    expect(await status('dup-a.docker.test')).toBe(404);
    expect(await body('fine.docker.test')).toContain(ok.name);
  });

  it('a bad label disables only its router; the container still routes the rest', async () => {
    await app('good', 'good.docker.test', {
      'wharf.http.routers.typo.rulle': 'Host(`typo.docker.test`)',
      'wharf.http.routers.typo.service': 'good',
    });
    await waitFor(async () => (await status('good.docker.test')) === 200, 'the good router', 10_000);
    const typo = await w.getJson<{ status: string; error: string[] }>('/api/http/routers/typo@docker');
    expect(typo.body.status).toBe('disabled');
    expect(typo.body.error.join(' ')).toMatch(/rulle.*did you mean "rule"/);
  });

  it('chooses the network from the label, and reports a container on several networks without a choice', async () => {
    const [n1, n2] = [`wt-${suite}-a`, `wt-${suite}-b`];
    await createTestNetwork(docker, n1);
    await createTestNetwork(docker, n2);
    const labels = (name: string) => ({
      [`wharf.http.routers.${name}.rule`]: `Host(\`${name}.docker.test\`)`,
      [`wharf.http.services.${name}.loadbalancer.server.port`]: '8080',
    });
    const both = await run(labels('twonets'), { networks: [n1, n2], cmd: ['sleep', '3600'] });
    const chosen = await run(
      { ...labels('chosen'), 'wharf.docker.network': n2 },
      { networks: [n1, n2], cmd: ['sleep', '3600'] },
    );
    const diag = await waitFor(
      async () =>
        (
          await w.getJson<Array<{ code: string; subject: string; message: string }>>('/api/diagnostics')
        ).body.find((d) => d.code === 'DOCKER_NETWORK_AMBIGUOUS' && d.subject === both.name),
      'a diagnostic for the container on two networks',
      10_000,
    );
    expect(diag?.message).toContain(n1);
    expect(diag?.message).toContain(n2);
    const inspect = await chosen.container.inspect();
    const ip = inspect.NetworkSettings.Networks[n2]?.IPAddress;
    const svc = await waitFor(
      async () =>
        (await w.getJson<{ serverStatus?: Record<string, string> }>('/api/http/services/chosen@docker')).body
          .serverStatus,
      'the service on the chosen network',
      10_000,
    );
    // Only inspected, never contacted: no traffic goes to container networks.
    expect(Object.keys(svc ?? {})).toEqual([`http://${ip}:8080`]);
  });

  it('reads existing Traefik labels with labelPrefix=traefik', async () => {
    const port = await freePort();
    const tag = `${suite}-traefik`;
    const t = await startWharf(
      {},
      {
        providers: {
          docker: {
            endpoint: host,
            labelPrefix: 'traefik',
            constraints: `Label(\`${SUITE_LABEL}\`,\`${tag}\`)`,
          },
        },
      },
    );
    try {
      started.push(
        await runTestContainer(docker, {
          port,
          labels: {
            [SUITE_LABEL]: tag,
            'traefik.http.routers.tr.rule': 'Host(`tr.docker.test`)',
            'traefik.http.services.tr.loadbalancer.server.port': String(port),
          },
        }),
      );
      await waitFor(
        async () => (await get(t.web, '/', 'tr.docker.test')).status === 200,
        'the traefik-labelled route',
        10_000,
      );
    } finally {
      await t.stop();
    }
  });

  it('connects over tcp:// with TLS client certificates, refuses a daemon it cannot verify unless told to skip verification', async () => {
    const pki = makeTestPki();
    const relay = await startTlsRelay(host, pki);
    const tag = `${suite}-tls`;
    const tls = { ca: pki.ca, cert: pki.clientCert, key: pki.clientKey };
    const dockerCfg = (extra: object) => ({
      endpoint: relay.url,
      constraints: `Label(\`${SUITE_LABEL}\`,\`${tag}\`)`,
      ...extra,
    });
    const good = await startWharf({}, { providers: { docker: dockerCfg({ tls }) } });
    // A CA that did not sign the daemon's certificate: the provider must not connect.
    const wrongCa = await startWharf(
      {},
      { providers: { docker: dockerCfg({ tls: { ...tls, ca: pki.clientCert } }) } },
      { waitReady: false },
    );
    // The same wrong CA, told not to verify: connects (for daemons with self-signed certificates).
    const skipVerify = await startWharf(
      {},
      { providers: { docker: dockerCfg({ tls: { ...tls, ca: pki.clientCert, insecureSkipVerify: true } }) } },
    );
    try {
      const port = await freePort();
      started.push(
        await runTestContainer(docker, {
          port,
          labels: {
            [SUITE_LABEL]: tag,
            'wharf.http.routers.tls.rule': 'Host(`tls.docker.test`)',
            'wharf.http.services.tls.loadbalancer.server.port': String(port),
          },
        }),
      );
      await waitFor(
        async () => (await get(good.web, '/', 'tls.docker.test')).status === 200,
        'the route over TLS',
        10_000,
      );
      expect((await get(wrongCa.web, '/', 'tls.docker.test')).status).toBe(404);
      await waitFor(
        async () => (await get(skipVerify.web, '/', 'tls.docker.test')).status === 200,
        'the route without verification',
        10_000,
      );
    } finally {
      await good.stop();
      await skipVerify.stop();
      await wrongCa.stop();
      await relay.close();
      pki.remove();
    }
  });

  it('keeps serving while the engine is unreachable, then resyncs what changed meanwhile', async () => {
    const proxy = await startSocketProxy(host);
    const tag = `${suite}-outage`;
    const t = await startWharf(
      {},
      {
        providers: {
          providersThrottleDuration: '100ms',
          docker: { endpoint: proxy.url, constraints: `Label(\`${SUITE_LABEL}\`,\`${tag}\`)` },
        },
      },
    );
    try {
      const p1 = await freePort();
      const labels = (name: string, port: number) => ({
        [SUITE_LABEL]: tag,
        [`wharf.http.routers.${name}.rule`]: `Host(\`${name}.docker.test\`)`,
        [`wharf.http.services.${name}.loadbalancer.server.port`]: String(port),
      });
      started.push(await runTestContainer(docker, { port: p1, labels: labels('before', p1) }));
      await waitFor(
        async () => (await get(t.web, '/', 'before.docker.test')).status === 200,
        'the first route',
        10_000,
      );
      proxy.cut();
      // While Wharf cannot reach the engine, a container starts: Wharf must see it after reconnecting.
      const p2 = await freePort();
      started.push(await runTestContainer(docker, { port: p2, labels: labels('during', p2) }));
      // Wharf has found the engine gone and tried to reconnect (refused): from then on it serves what it had.
      await waitFor(() => proxy.refused > 0, 'Wharf to try the engine again during the outage', 10_000);
      expect((await get(t.web, '/', 'before.docker.test')).status).toBe(200);
      expect((await get(t.web, '/', 'during.docker.test')).status).toBe(404);
      proxy.restore();
      await waitFor(
        async () => (await get(t.web, '/', 'during.docker.test')).status === 200,
        'the resync after reconnecting',
        20_000,
      );
    } finally {
      await t.stop();
      await proxy.close();
    }
  });
});
