import { afterAll, describe, expect, inject, it } from 'vitest';
import {
  createTestNetwork,
  type DockerForTests,
  dockerForTests,
  freePort,
  httpGet,
  removeAllTestContainers,
  runTestContainer,
  type TestContainer,
  waitFor,
} from './engine.ts';
import { RUN_LABEL, TEST_IMAGE, TEST_LABEL } from './image.ts';

// Self-test of the Docker test infrastructure against the real engine the global setup provisioned.
// Traffic goes only to 127.0.0.1 (host-network containers); bridge containers are only inspected.

const env = dockerForTests();
if ('skip' in env) console.warn(`Docker engine self-test skipped: ${env.skip}`);

// Skipped only when no Docker Engine can be had (not root, not Debian, WHARF_DOCKER=off); the reason is printed.
describe.skipIf('skip' in env)('Docker test engine', () => {
  const { docker } = env as DockerForTests;
  const started: TestContainer[] = [];
  const run = async (opts: Parameters<typeof runTestContainer>[1]) => {
    const c = await runTestContainer(docker, opts);
    started.push(c);
    return c;
  };

  afterAll(async () => {
    for (const c of started) await c.remove();
  });

  it('answers ping and has the test image', async () => {
    expect(String(await docker.ping())).toBe('OK');
    const image = await docker.getImage(TEST_IMAGE).inspect();
    expect(image.Config.Labels?.[TEST_LABEL]).toBe('1');
  });

  it('runs a labelled host-network container whose httpd answers on 127.0.0.1', async () => {
    const port = await freePort();
    const c = await run({ port, labels: { 'traefik.enable': 'true' }, env: { GREETING: 'say "hi"\\o/' } });
    const info = await c.container.inspect();
    expect(info.HostConfig.NetworkMode).toBe('host');
    expect(info.Config.Labels).toMatchObject({ 'traefik.enable': 'true', [TEST_LABEL]: '1' });
    expect(info.Config.Labels[RUN_LABEL]).toMatch(/^[0-9a-f]{8}-\d+$/);
    expect(await httpGet(`http://127.0.0.1:${port}/`)).toEqual({ status: 200, body: c.name });
    const envJson = await httpGet(`http://127.0.0.1:${port}/env.json`);
    expect(JSON.parse(envJson.body)).toMatchObject({ WHARF_TEST_NAME: c.name, GREETING: 'say "hi"\\o/' });
    expect((await httpGet(`http://127.0.0.1:${port}/health`)).body).toBe('ok\n');
  });

  it('creates networks and attaches a container to two of them', async () => {
    const a = await createTestNetwork(docker, `wharf-test-a-${process.pid}`);
    const b = await createTestNetwork(docker, `wharf-test-b-${process.pid}`);
    const netA = await a.inspect();
    expect(netA.Labels?.[TEST_LABEL]).toBe('1');
    const c = await run({ networks: [netA.Name, `wharf-test-b-${process.pid}`] });
    const info = await c.container.inspect();
    const networks = info.NetworkSettings.Networks;
    expect(Object.keys(networks).sort()).toEqual([netA.Name, `wharf-test-b-${process.pid}`].sort());
    for (const n of Object.values(networks)) expect(n.IPAddress).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    await c.remove();
    await a.remove();
    await b.remove();
  });

  // Traffic to the IP of a container this test started, on a network this test created (allowed by the
  // network rule); shows host→container routing works without Docker's iptables rules.
  it('reaches a container on its own network address', async () => {
    const name = `wharf-test-c-${process.pid}`;
    const net = await createTestNetwork(docker, name);
    const c = await run({ port: 8080, networks: [name] });
    const ip = (await c.container.inspect()).NetworkSettings.Networks[name]?.IPAddress;
    expect(ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    const res = await waitFor(
      () => httpGet(`http://${ip}:8080/`, 1_000).catch(() => undefined),
      `${ip}:8080`,
      10_000,
    );
    expect(res).toEqual({ status: 200, body: c.name });
    await c.remove();
    await net.remove();
  });

  // Container to container on one test network: bridged traffic that goes through the iptables FORWARD
  // chain, which a FORWARD policy of DROP (left by any Docker Engine that ran on the machine) would cut
  // without the setup's rules for this run's bridges (forwarding.ts).
  it('lets two containers of a test network reach each other', async () => {
    const name = `wharf-test-f-${process.pid}`;
    const net = await createTestNetwork(docker, name);
    const server = await run({ port: 8080, networks: [name] });
    const ip = (await server.container.inspect()).NetworkSettings.Networks[name]?.IPAddress;
    const client = await run({
      networks: [name],
      cmd: [
        'sh',
        '-c',
        `for i in 1 2 3 4 5; do wget -q -O - http://${ip}:8080/ && exit 0; sleep 1; done; exit 1`,
      ],
    });
    // The client retries while the server starts (refused at once) and exits 0 once it got an answer. Where
    // FORWARD drops the traffic a connection hangs instead (busybox wget's -T crashes in this image).
    const state = await waitFor(
      async () => {
        const st = (await client.container.inspect()).State;
        return st.Running ? undefined : st;
      },
      'the client container to get an answer from the server container (FORWARD dropping bridged traffic?)',
      20_000,
    );
    const logs = String(await client.container.logs({ stdout: true, stderr: true, follow: false }));
    expect(state?.ExitCode, logs).toBe(0);
    await client.remove();
    await server.remove();
    await net.remove();
  });

  it('reports a healthcheck as healthy', async () => {
    const port = await freePort();
    const c = await run({
      port,
      healthcheck: {
        test: ['CMD', 'wget', '-q', '-O', '/dev/null', `http://127.0.0.1:${port}/health`],
        intervalMs: 200,
        timeoutMs: 2_000,
        retries: 3,
      },
    });
    const status = await waitFor(
      async () => {
        const s = (await c.container.inspect()).State.Health?.Status;
        return s === 'healthy' || s === 'unhealthy' ? s : undefined;
      },
      `${c.name} to report its health`,
      20_000,
    );
    expect(status).toBe('healthy');
  });

  it('stops and removes containers', async () => {
    const port = await freePort();
    const c = await run({ port });
    await c.stop();
    const state = (await c.container.inspect()).State;
    expect(state.Running).toBe(false);
    // The start script exits 0 on SIGTERM; a container Docker had to SIGKILL after the stop timeout says 137.
    expect(state.ExitCode).toBe(0);
    await expect(httpGet(`http://127.0.0.1:${port}/`, 1_000)).rejects.toThrow();
    await c.stop(); // already stopped: no error
    await c.remove();
    await expect(c.container.inspect()).rejects.toMatchObject({ statusCode: 404 });
    await c.remove(); // already gone: no error
  });

  it("removes all of this worker's test containers and networks", async () => {
    await createTestNetwork(docker, `wharf-test-d-${process.pid}`);
    await run({ networks: [`wharf-test-d-${process.pid}`] });
    await run({ cmd: ['sleep', '600'] });
    const removed = await removeAllTestContainers(docker);
    expect(removed.containers).toBeGreaterThanOrEqual(2); // and those earlier tests left to afterAll
    expect(removed.networks).toBe(1);
    const label = [`${RUN_LABEL}=${inject('dockerRunId')}`, `wharf.test.worker=${process.pid}`];
    expect(await docker.listContainers({ all: true, filters: { label } })).toEqual([]);
    expect(await docker.listNetworks({ filters: { label } })).toEqual([]);
  });
});
