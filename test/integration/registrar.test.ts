import { randomBytes } from 'node:crypto';
import { request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DockerProviderSchema } from '../../config/static.ts';
import { silentLogger } from '../../core/log.ts';
import { hostKeys } from '../../core/registrar-document.ts';
import { ConsulKvClient, type KvEntry } from '../../providers/consul/kv-client.ts';
import { Registrar, type RegistrarOptions } from '../../registrar/registrar.ts';
import { RegistrarMetrics } from '../../registrar/registrar-metrics.ts';
import { type ConsulTestServer, startConsulTestServer } from '../consul/server.ts';
import { dockerForTests, freePort, runTestContainer, type TestContainer, waitFor } from '../docker/engine.ts';
import { parseExposition, sampleValue } from '../helpers/exposition.ts';
import { startSocketProxy } from '../helpers/socket-proxy.ts';
import { startWharf, type TestWharf } from '../helpers/wharf.ts';

// End to end: wharf-registrar on the real Docker Engine (in-process here; registrar-crash.test.ts runs it
// as a process), the Consul test server, and a Wharf router that reads only Consul (no Docker access).
// Containers serve HTTP on 127.0.0.1 in host network mode, or on a bridge with a published port; traffic
// goes nowhere else.

const engine = dockerForTests();
const skip = 'skip' in engine ? engine.skip : undefined;
if (skip) console.warn(`[docker] registrar tests skipped: ${skip}`);

const SUITE_LABEL = 'wharf-suite';
const ROOT = 'wharf';
const b64 = (text: string) => Buffer.from(text).toString('base64');

describe.skipIf(skip !== undefined)('registrar → Consul → router', () => {
  const docker = 'docker' in engine ? engine.docker : (undefined as never);
  const dockerHost = 'host' in engine ? engine.host : '';
  const suite = `reg-${randomBytes(4).toString('hex')}`;
  let consul: ConsulTestServer;
  let kv: ConsulKvClient;
  let w: TestWharf;
  const started: TestContainer[] = [];
  const running: Array<{ stop: () => Promise<void> }> = [];

  /** A registrar for `hostId`, following only this suite's containers (plus `constraint`). */
  const startRegistrar = (hostId: string, more: Partial<RegistrarOptions> & { constraint?: string } = {}) => {
    const { constraint, ...rest } = more;
    const base = `Label(\`${SUITE_LABEL}\`,\`${suite}\`)`;
    const registrar = new Registrar({
      docker: DockerProviderSchema.parse({
        endpoint: dockerHost,
        constraints: constraint ? `${base} && ${constraint}` : base,
      }),
      consul: { endpoints: [consul.url], rootKey: ROOT },
      hostId,
      address: { mode: 'container' },
      ttlMs: 10_000,
      logger: silentLogger(),
      waitMs: 5_000,
      ...rest,
    });
    const ac = new AbortController();
    const done = registrar.run(ac.signal);
    const handle = {
      registrar,
      stop: async () => {
        ac.abort();
        await done;
      },
    };
    running.push(handle);
    return handle;
  };

  /** A container answering its name on 127.0.0.1:<port>, routed by Host(`<host>`). */
  const app = async (router: string, host: string, labels: Record<string, string> = {}) => {
    const port = await freePort();
    const c = await runTestContainer(docker, {
      port,
      labels: {
        [SUITE_LABEL]: suite,
        [`wharf.http.routers.${router}.rule`]: `Host(\`${host}\`)`,
        [`wharf.http.services.${router}.loadbalancer.server.port`]: String(port),
        ...labels,
      },
    });
    started.push(c);
    return c;
  };

  /** Status and body through the router; -1 when it does not answer. */
  const fetch = async (host: string): Promise<{ status: number; body: string }> => {
    try {
      const r = await request(`${w.web}/`, { headers: { host }, headersTimeout: 2000, bodyTimeout: 2000 });
      return { status: r.statusCode, body: await r.body.text() };
    } catch {
      return { status: -1, body: '' };
    }
  };
  const routed = (host: string, name?: string) =>
    waitFor(
      async () => {
        const r = await fetch(host);
        return r.status === 200 && (name === undefined || r.body.includes(name));
      },
      `${host} to route${name ? ` to ${name}` : ''}`,
      15_000,
    );
  const gone = (host: string) =>
    waitFor(async () => (await fetch(host)).status === 404, `${host} to be gone`, 15_000);

  /** The entries Consul holds under a host's prefix. */
  const held = async (hostId: string): Promise<KvEntry[]> =>
    (await kv.list(hostKeys(ROOT, hostId).prefix)).entries;
  const documents = async (hostId: string) =>
    (await held(hostId)).filter((e) => e.key.startsWith(hostKeys(ROOT, hostId).containers));

  /** The Consul test server's clock for session TTLs: real time, pushed forward by a test. */
  let clockOffset = 0;
  /**
   * Writes a router of our own into KV (its server refuses connections: 502) and waits until the router
   * serves it: then the router has read everything written to Consul before it.
   */
  let syncs = 0;
  const routerCaughtUp = async () => {
    const name = `sync${++syncs}`;
    const set = (key: string, value: string) => ({
      KV: { Verb: 'set', Key: `${ROOT}/http/${key}`, Value: b64(value) },
    });
    const written = await kv.txn([
      set(`routers/${name}/rule`, `Host(\`${name}.reg.test\`)`),
      set(`routers/${name}/service`, name),
      set(`services/${name}/loadbalancer/servers/0/url`, 'http://127.0.0.1:9'),
    ]);
    expect(written.ok).toBe(true);
    await waitFor(
      async () => (await fetch(`${name}.reg.test`)).status === 502,
      `the router to serve ${name} from KV`,
      15_000,
    );
  };

  beforeAll(async () => {
    consul = await startConsulTestServer({ sessionTtlMinMs: 1_000, now: () => Date.now() + clockOffset });
    kv = new ConsulKvClient({ endpoints: [consul.url] });
    // The router: only the Consul provider, no Docker access at all.
    w = await startWharf(
      {},
      { providers: { providersThrottleDuration: '0s', consul: { endpoints: [consul.url], rootKey: ROOT } } },
    );
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((r) => r.stop()));
    await Promise.all(started.splice(0).map((c) => c.remove()));
  });
  afterAll(async () => {
    await w?.stop();
    await kv?.close();
    await consul?.close();
  });

  it('publishes labelled containers; the router routes them; stop and kill remove them', async () => {
    const metrics = new RegistrarMetrics();
    startRegistrar('host-a', { metrics });
    const a = await app('alpha', 'alpha.reg.test');
    const b = await app('beta', 'beta.reg.test');
    await routed('alpha.reg.test', a.name);
    await routed('beta.reg.test', b.name);
    // Its metrics: publishes with their latency, no conflict (it is the only writer), in sync.
    await waitFor(
      async () =>
        sampleValue(parseExposition(await metrics.registry.metrics()), 'wharf_registrar_in_sync') === 1,
      'the registrar in sync',
      10_000,
    );
    const samples = parseExposition(await metrics.registry.metrics());
    const published = sampleValue(samples, 'wharf_registrar_publishes_total') ?? 0;
    expect(published).toBeGreaterThanOrEqual(1);
    expect(sampleValue(samples, 'wharf_registrar_publish_duration_seconds_count')).toBe(published);
    expect(sampleValue(samples, 'wharf_registrar_conflicts_total')).toBe(0);
    expect(sampleValue(samples, 'wharf_registrar_documents')).toBe(2);
    const docs = await documents('host-a');
    expect(docs.map((d) => d.key).sort()).toEqual(
      [a.id, b.id].map((id) => `${hostKeys(ROOT, 'host-a').containers}${id}`).sort(),
    );
    // Every document is locked by the host session named in the lease.
    const lease = (await held('host-a')).find((e) => e.key === hostKeys(ROOT, 'host-a').lease);
    expect(lease?.session).toBeDefined();
    for (const d of docs) expect(d.session).toBe(lease?.session);

    await a.stop();
    await gone('alpha.reg.test');
    await b.container.kill();
    await gone('beta.reg.test');
    await waitFor(async () => (await documents('host-a')).length === 0, 'no documents left', 10_000);
  });

  it('registrar.address=host: servers are the host IP and the port Docker published', async () => {
    startRegistrar('host-published', { address: { mode: 'host', hostIP: '127.0.0.1' } });
    const port = await freePort();
    const c = await runTestContainer(docker, {
      port,
      networkMode: 'bridge',
      publish: true,
      labels: { [SUITE_LABEL]: suite, 'wharf.http.routers.pub.rule': 'Host(`pub.reg.test`)' },
    });
    started.push(c);
    const published = (await c.container.inspect()).NetworkSettings.Ports[`${port}/tcp`]?.[0]?.HostPort;
    expect(published).toMatch(/^\d+$/);
    await routed('pub.reg.test', c.name);
    const [doc] = await documents('host-published');
    expect(doc?.value).toContain(`http://127.0.0.1:${published}`);
  });

  it('reconciles on start: documents of containers removed while no registrar ran are deleted', async () => {
    const first = startRegistrar('host-reconcile');
    const keep = await app('rkeep', 'rkeep.reg.test');
    const drop = await app('rdrop', 'rdrop.reg.test');
    await routed('rdrop.reg.test', drop.name);
    await first.stop();
    await drop.remove();
    expect((await documents('host-reconcile')).length).toBe(2);
    startRegistrar('host-reconcile');
    await gone('rdrop.reg.test');
    await routed('rkeep.reg.test', keep.name);
    expect((await documents('host-reconcile')).map((d) => d.key)).toEqual([
      `${hostKeys(ROOT, 'host-reconcile').containers}${keep.id}`,
    ]);
  });

  it('writes nothing when nothing that routes changed (a container it ignores starts and stops)', async () => {
    startRegistrar('host-idle');
    await app('idle', 'idle.reg.test');
    await routed('idle.reg.test');
    const prefix = hostKeys(ROOT, 'host-idle').prefix;
    const before = await kv.list(prefix);
    const other = await runTestContainer(docker, {
      labels: { [SUITE_LABEL]: suite, 'wharf.enable': 'false' },
    });
    started.push(other);
    await other.stop();
    // A routed container started after those events: once its document is in Consul, the registrar has
    // seen the earlier events too (it follows them in order). That document is the only write since.
    const next = await app('idlenext', 'idlenext.reg.test');
    await routed('idlenext.reg.test', next.name);
    const after = await kv.list(prefix);
    const nextKey = `${hostKeys(ROOT, 'host-idle').containers}${next.id}`;
    expect(after.entries.filter((e) => e.key !== nextKey)).toEqual(before.entries);
    expect(after.index).toBe(after.entries.find((e) => e.key === nextKey)?.modifyIndex);
  });

  it('bad labels: a diagnostic in the document, the bad router left out, the rest published', async () => {
    startRegistrar('host-bad');
    const c = await app('good', 'good.reg.test', {
      'wharf.http.routers.broken.rule': 'Host(`broken.reg.test`',
      'wharf.http.routers.broken.service': 'good',
    });
    await routed('good.reg.test', c.name);
    const [doc] = await documents('host-bad');
    const parsed = JSON.parse(doc?.value ?? '{}') as {
      labels: Record<string, string>;
      diagnostics: unknown[];
    };
    expect(Object.keys(parsed.labels).some((k) => k.includes('broken'))).toBe(false);
    expect(parsed.diagnostics).toEqual([
      expect.objectContaining({ key: 'wharf.http.routers.broken.rule', severity: 'error' }),
    ]);
    const diag = await w.getJson<Array<{ subject: string; key?: string }>>('/api/diagnostics');
    expect(JSON.stringify(diag.body)).toContain('wharf.http.routers.broken.rule');
  });

  it('two registrars racing on one host id converge on one session and lose no update', async () => {
    startRegistrar('host-race');
    startRegistrar('host-race');
    const apps = await Promise.all([1, 2, 3, 4].map((i) => app(`race${i}`, `race${i}.reg.test`)));
    for (const [i, a] of apps.entries()) await routed(`race${i + 1}.reg.test`, a.name);
    await (apps[0] as TestContainer).stop();
    await gone('race1.reg.test');
    const entries = await held('host-race');
    const sessions = new Set(entries.map((e) => e.session));
    expect(sessions.size).toBe(1);
    expect((await documents('host-race')).length).toBe(3);
  });

  it('replicas on two hosts: one service with both servers; one host stopping removes only its server', async () => {
    startRegistrar('host-1', { constraint: 'Label(`group`,`one`)' });
    startRegistrar('host-2', { constraint: 'Label(`group`,`two`)' });
    // The same router and service on both containers, each with its own server.
    const one = await app('rep', 'rep.reg.test', { group: 'one' });
    const two = await app('rep', 'rep.reg.test', { group: 'two' });
    const seen = new Set<string>();
    await waitFor(
      async () => {
        const r = await fetch('rep.reg.test');
        if (r.status === 200)
          seen.add(r.body.includes(one.name) ? 'one' : r.body.includes(two.name) ? 'two' : r.body);
        return seen.has('one') && seen.has('two');
      },
      'requests to reach both hosts',
      15_000,
    );
    expect((await documents('host-1')).length).toBe(1);
    expect((await documents('host-2')).length).toBe(1);
    await one.stop();
    await waitFor(
      async () => (await documents('host-1')).length === 0,
      'host-1 to withdraw its server',
      10_000,
    );
    // The router applies the change once its Consul watch reads it: then every request goes to host 2.
    await waitFor(
      async () => {
        for (let i = 0; i < 10; i++) {
          const r = await fetch('rep.reg.test');
          if (r.status !== 200 || !r.body.includes(two.name)) return false;
        }
        return true;
      },
      'every request to reach the remaining replica',
      15_000,
    );
    expect((await documents('host-2')).length).toBe(1);
  });

  it('a registrar restarting within the TTL takes over its host session: no route gap', async () => {
    const first = startRegistrar('host-restart');
    const c = await app('keep', 'keep.reg.test');
    await routed('keep.reg.test', c.name);
    const lease = async () =>
      (await held('host-restart')).find((e) => e.key === hostKeys(ROOT, 'host-restart').lease)?.session;
    const session = await lease();
    let failures = 0;
    let probes = 0;
    let polling = true;
    const poller = (async () => {
      while (polling) {
        probes++;
        if ((await fetch('keep.reg.test')).status !== 200) failures++;
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    /** Waits until the poller has sent `n` more requests. */
    const moreProbes = async (n: number) => {
      const target = probes + n;
      await waitFor(() => probes >= target, `${n} more requests`, 15_000);
    };
    await first.stop();
    await moreProbes(10); // requests while no registrar runs
    const second = startRegistrar('host-restart');
    await waitFor(
      () => second.registrar.state.consul === 'up' && second.registrar.state.inSync,
      'the new registrar to take over and find Consul in sync',
      10_000,
    );
    expect((await documents('host-restart'))[0]?.session).toBe(session);
    // Whatever the takeover wrote, the router has read it once it serves a router written after it.
    await routerCaughtUp();
    await moreProbes(10);
    polling = false;
    await poller;
    expect(probes).toBeGreaterThan(10);
    expect(failures).toBe(0);
    expect(await lease()).toBe(session);
  });

  it("a host whose registrar stops for good: Consul deletes its documents when the session's TTL runs out", async () => {
    const r = startRegistrar('host-dead', { ttlMs: 2_000 });
    const c = await app('dead', 'dead.reg.test');
    await routed('dead.reg.test', c.name);
    await r.stop();
    // Stopping leaves the session: the documents stay until Consul expires it.
    expect((await documents('host-dead')).length).toBe(1);
    // Consul expires a session 2 x TTL after its last renewal: on the server's clock, that is now passed.
    clockOffset += 2 * 2_000;
    consul.expireSessions();
    await gone('dead.reg.test');
    expect(await held('host-dead')).toEqual([]);
  });

  it('Consul outage: keeps the latest desired state and publishes it on recovery', async () => {
    const reg = startRegistrar('host-outage');
    const a = await app('out1', 'out1.reg.test');
    await routed('out1.reg.test', a.name);
    consul.pause();
    try {
      const b = await app('out2', 'out2.reg.test');
      await a.stop();
      // During the outage the registrar has seen both changes (its desired documents) and found Consul down.
      const want = [`${hostKeys(ROOT, 'host-outage').containers}${b.id}`];
      await waitFor(
        () =>
          JSON.stringify(reg.registrar.desiredKeys) === JSON.stringify(want) &&
          reg.registrar.state.consul === 'down',
        'the registrar to hold the new desired state with Consul down',
        15_000,
      );
    } finally {
      await consul.resume();
    }
    await routed('out2.reg.test');
    await gone('out1.reg.test');
    expect((await documents('host-outage')).length).toBe(1);
  });

  it('Docker unreachable: nothing published or deleted; resync on reconnect removes what stopped meanwhile', async () => {
    const proxy = await startSocketProxy(dockerHost);
    try {
      const reg = startRegistrar('host-docker', {
        docker: DockerProviderSchema.parse({
          endpoint: proxy.url,
          constraints: `Label(\`${SUITE_LABEL}\`,\`${suite}\`)`,
        }),
      });
      const a = await app('dk1', 'dk1.reg.test');
      const b = await app('dk2', 'dk2.reg.test');
      await routed('dk1.reg.test', a.name);
      await routed('dk2.reg.test', b.name);
      proxy.cut();
      await a.stop();
      // The registrar has found Docker gone and tried it again (refused): it deleted nothing.
      await waitFor(
        () => reg.registrar.state.docker === 'down' && proxy.refused > 0,
        'the registrar to find Docker unreachable and retry',
        15_000,
      );
      expect(reg.registrar.desiredKeys).toHaveLength(2);
      expect((await documents('host-docker')).length).toBe(2);
      expect((await fetch('dk1.reg.test')).status).not.toBe(404);
      proxy.restore();
      await gone('dk1.reg.test');
      await routed('dk2.reg.test', b.name);
    } finally {
      await proxy.close();
    }
  });
});
