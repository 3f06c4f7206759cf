import { request } from 'node:http';
import { createServer } from 'node:net';
import Docker from 'dockerode';
import { inject } from 'vitest';
import { bridgePrefix, RUN_LABEL, TEST_IMAGE, TEST_LABEL } from './image.ts';

/** Label with the PID of the test worker that created a container or network. */
const WORKER_LABEL = 'wharf.test.worker';

/**
 * Helpers for tests that need a real Docker Engine. test/docker/global-setup.ts provisions the engine
 * once per vitest run and hands its address to the workers; a test file starts with
 *
 *   const env = dockerForTests();
 *   describe.skipIf('skip' in env)('…', () => { const { docker } = env as DockerForTests; … });
 *
 * The global setup starts an engine only when a test file of the run mentions `dockerForTests` (or
 * `dockerHost`), so every file that needs Docker must call dockerForTests().
 *
 * Network rule: test containers serve on 127.0.0.1 in HOST network mode, or on their own address in a
 * container network the test created; tests send traffic only there.
 */

declare module 'vitest' {
  export interface ProvidedContext {
    /** Engine address (`unix:///…/docker.sock`, or DOCKER_HOST's value); undefined when tests must skip. */
    dockerHost: string | undefined;
    /** Why there is no engine, when Docker tests are skipped. */
    dockerSkipReason: string | undefined;
    /** Set when provisioning the engine was attempted and failed: Docker tests fail with it. */
    dockerError: string | undefined;
    /** Identifies this vitest run in the `wharf.test.run` label. */
    dockerRunId: string;
  }
}

export interface DockerForTests {
  docker: Docker;
  host: string;
}

/** A Dockerode client for one engine address: `unix://PATH`, `tcp://HOST:PORT` or `http(s)://HOST:PORT`. */
export function dockerFromHost(host: string): Docker {
  if (host.startsWith('unix://')) return new Docker({ socketPath: host.slice('unix://'.length) });
  // TLS settings (DOCKER_CERT_PATH, DOCKER_TLS_VERIFY) are read by docker-modem from the environment.
  if (host === process.env.DOCKER_HOST) return new Docker();
  const url = new URL(host.replace(/^tcp:/, 'http:'));
  return new Docker({
    host: url.hostname,
    port: url.port || (url.protocol === 'https:' ? 2376 : 2375),
    protocol: url.protocol === 'https:' ? 'https' : 'http',
  });
}

/** `GET /_ping` with a deadline: true when the engine answers OK. */
export function pingDocker(host: string, timeoutMs = 2_000): Promise<boolean> {
  return new Promise((resolve) => {
    let target: { socketPath: string } | { host: string; port: string };
    if (host.startsWith('unix://')) target = { socketPath: host.slice('unix://'.length) };
    else {
      const url = new URL(host.replace(/^tcp:/, 'http:'));
      if (url.protocol === 'https:') {
        // TLS engines: let dockerode (which knows the certificates) do the ping.
        dockerFromHost(host)
          .ping()
          .then(
            () => resolve(true),
            () => resolve(false),
          );
        return;
      }
      target = { host: url.hostname, port: url.port || '2375' };
    }
    const req = request({ ...target, path: '/_ping', method: 'GET', timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => resolve(res.statusCode === 200 && body.trim() === 'OK'));
      res.on('error', () => resolve(false));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(false));
    req.end();
  });
}

/**
 * The engine provided by the global setup. `{ skip }` when there is none (not root, not Debian, or
 * WHARF_DOCKER=off; the reason was printed by the setup too). Throws when provisioning was attempted and
 * failed, so that Docker tests fail loudly instead of skipping.
 */
export function dockerForTests(): DockerForTests | { skip: string } {
  const error = inject('dockerError');
  if (error) throw new Error(`Docker Engine provisioning failed: ${error}`);
  const host = inject('dockerHost');
  if (!host) return { skip: inject('dockerSkipReason') ?? 'no Docker Engine was provisioned for this run' };
  return { docker: dockerFromHost(host), host };
}

/**
 * Labels every test container and network carries: `wharf.test=1`, this run's id and, from a test worker,
 * the worker's PID (test files run in parallel workers; each cleans up only its own objects).
 */
export function testLabels(runId: string | undefined = safeInject('dockerRunId')): Record<string, string> {
  const labels: Record<string, string> = { [TEST_LABEL]: '1', [WORKER_LABEL]: String(process.pid) };
  if (runId) labels[RUN_LABEL] = runId;
  return labels;
}

function safeInject(key: 'dockerRunId'): string | undefined {
  try {
    return inject(key);
  } catch {
    return undefined;
  }
}

export interface TestContainerOptions {
  /** Container name; a unique `wharf-test-…` name by default. */
  name?: string;
  /** Extra labels (on top of `wharf.test=1` and the run labels). */
  labels?: Record<string, string>;
  /**
   * Serve HTTP on this port with busybox httpd: in HOST network mode (the default when `port` is set and
   * neither `networkMode` nor `networks` is) it listens on 127.0.0.1:port; in a container network it
   * listens on :port inside the container's own namespace. `/` answers the container name, `/env.json`
   * its environment as JSON, `/health` `ok`. With host networking, resolves once `/` answers.
   */
  port?: number;
  /** `host` (default with `port`), `bridge`, `none`, a network name, `container:…`. */
  networkMode?: string;
  /** Networks to attach (the first becomes the network mode unless `networkMode` is given). */
  networks?: string[];
  healthcheck?: {
    test: string[];
    intervalMs: number;
    timeoutMs?: number;
    retries?: number;
    startPeriodMs?: number;
  };
  /** Command; default: the HTTP server when `port` is set, else `sleep 3600`. */
  cmd?: string[];
  env?: Record<string, string>;
  /** Image; default `wharf-test-busybox:latest`. */
  image?: string;
  /**
   * Publish `port` on a random host port (all host addresses, as `ports: ["<port>"]` does), for tests of
   * the registrar's host address mode. Only for containers on a network, not in host mode.
   */
  publish?: boolean;
}

export interface TestContainer {
  id: string;
  name: string;
  container: Docker.Container;
  /** Stops the container (no error when it is already stopped). */
  stop(): Promise<void>;
  /** Removes the container, stopping it first (no error when it is gone). */
  remove(): Promise<void>;
}

/** Creates and starts a labelled container from the test image. */
export async function runTestContainer(
  docker: Docker,
  opts: TestContainerOptions = {},
): Promise<TestContainer> {
  const name = opts.name ?? `wharf-test-${Math.random().toString(36).slice(2, 10)}`;
  const networks = opts.networks ?? [];
  const networkMode = opts.networkMode ?? networks[0] ?? (opts.port !== undefined ? 'host' : 'bridge');
  const hostMode = networkMode === 'host';
  const env: Record<string, string> = { WHARF_TEST_NAME: name, ...opts.env };
  let cmd = opts.cmd;
  if (!cmd) {
    cmd =
      opts.port === undefined
        ? ['sleep', '3600']
        : ['/bin/wharf-serve', hostMode ? `127.0.0.1:${opts.port}` : String(opts.port)];
  }
  const hc = opts.healthcheck;
  const ms = 1_000_000; // Docker durations are in nanoseconds
  const container = await docker.createContainer({
    name,
    Image: opts.image ?? TEST_IMAGE,
    Cmd: cmd,
    Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
    Labels: { ...opts.labels, ...testLabels() },
    StopTimeout: 2,
    Healthcheck: hc
      ? {
          Test: hc.test,
          Interval: hc.intervalMs * ms,
          Timeout: (hc.timeoutMs ?? Math.max(1_000, hc.intervalMs)) * ms,
          Retries: hc.retries ?? 3,
          StartPeriod: (hc.startPeriodMs ?? 0) * ms,
        }
      : undefined,
    HostConfig: {
      NetworkMode: networkMode,
      ...(opts.publish &&
        opts.port !== undefined && {
          PortBindings: { [`${opts.port}/tcp`]: [{ HostIp: '', HostPort: '' }] },
        }),
    },
    ...(opts.publish && opts.port !== undefined && { ExposedPorts: { [`${opts.port}/tcp`]: {} } }),
  });
  const handle: TestContainer = {
    id: container.id,
    name,
    container,
    stop: async () => {
      await container.stop({ t: 2 }).catch(ignoreStatus(304, 404));
    },
    remove: async () => {
      await container.remove({ force: true, v: true }).catch(ignoreStatus(404, 409));
    },
  };
  try {
    // Docker before API 1.44 takes one network at create; the others are connected before start.
    const extra = networks.filter((n) => n !== networkMode);
    for (const net of extra) await docker.getNetwork(net).connect({ Container: container.id });
    await container.start();
    if (opts.port !== undefined && hostMode && !opts.cmd) {
      const url = `http://127.0.0.1:${opts.port}/`;
      await waitFor(
        async () => {
          const state = (await container.inspect()).State;
          if (!state.Running)
            throw new ExitedError(`container ${name} exited (${state.Status}, code ${state.ExitCode})`);
          return (await httpGet(url, 1_000)).status === 200;
        },
        `${name} to answer on ${url}`,
        20_000,
      );
    }
  } catch (err) {
    const logs = await containerLogs(container);
    await handle.remove();
    if (err instanceof Error && logs) err.message += `\n--- container logs ---\n${logs}`;
    throw err;
  }
  return handle;
}

class ExitedError extends Error {
  readonly fatal = true;
}

async function containerLogs(container: Docker.Container): Promise<string> {
  try {
    const buf = await container.logs({ stdout: true, stderr: true, tail: 50, follow: false });
    // Multiplexed stream: 8-byte frame headers before each chunk.
    const out: Buffer[] = [];
    for (let i = 0; i + 8 <= buf.length; ) {
      const len = buf.readUInt32BE(i + 4);
      out.push(buf.subarray(i + 8, i + 8 + len));
      i += 8 + len;
    }
    return Buffer.concat(out).toString().trim();
  } catch {
    return '';
  }
}

function ignoreStatus(...codes: number[]) {
  return (err: { statusCode?: number }) => {
    if (err.statusCode === undefined || !codes.includes(err.statusCode)) throw err;
  };
}

/**
 * Creates a labelled bridge network whose Linux bridge is named after the run (testBridgeName).
 */
export async function createTestNetwork(docker: Docker, name: string): Promise<Docker.Network> {
  const runId = safeInject('dockerRunId');
  return docker.createNetwork({
    Name: name,
    Driver: 'bridge',
    CheckDuplicate: true,
    Labels: testLabels(runId),
    Options: { 'com.docker.network.bridge.name': testBridgeName(runId) },
  });
}

/**
 * A Linux bridge name for a network of this run (`wt<run><random>`, 13 characters): the setup deletes those a
 * crashed run left behind, and its iptables rules let them forward (test/docker/forwarding.ts).
 */
export function testBridgeName(runId: string | undefined = safeInject('dockerRunId')): string {
  return `${bridgePrefix(runId)}${Math.random().toString(16).slice(2, 7).padEnd(5, '0')}`;
}

/**
 * Removes test containers (force), then test networks. In a test worker (no argument): those this worker
 * process created in this run, so test files running in parallel keep theirs. With `{ runId }` (the global
 * teardown): all of that run's. With `{ all: true }`: everything labelled `wharf.test=1` on the engine.
 */
export async function removeAllTestContainers(
  docker: Docker,
  scope: { runId: string } | { all: true } | undefined = undefined,
): Promise<{ containers: number; networks: number }> {
  let label = [`${TEST_LABEL}=1`];
  if (scope === undefined) {
    const runId = safeInject('dockerRunId');
    if (runId) label.push(`${RUN_LABEL}=${runId}`);
    label.push(`${WORKER_LABEL}=${process.pid}`);
  } else if ('runId' in scope) label = [...label, `${RUN_LABEL}=${scope.runId}`];
  const containers = await docker.listContainers({ all: true, filters: { label } });
  await Promise.all(
    containers.map((c) =>
      docker.getContainer(c.Id).remove({ force: true, v: true }).catch(ignoreStatus(404, 409)),
    ),
  );
  const networks = await docker.listNetworks({ filters: { label } });
  for (const n of networks) await docker.getNetwork(n.Id).remove().catch(ignoreStatus(404));
  return { containers: containers.length, networks: networks.length };
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Polls `fn` until it returns a truthy value (returned), with a short back-off, for at most `timeoutMs`.
 * A throw counts as "not yet" unless the error has `fatal: true`; the last error is in the timeout message.
 */
export async function waitFor<T>(fn: () => T | Promise<T>, what: string, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let delay = 25;
  let last: unknown;
  for (;;) {
    try {
      const value = await fn();
      if (value) return value;
      last = undefined;
    } catch (err) {
      if ((err as { fatal?: boolean }).fatal) throw err;
      last = err;
    }
    const left = deadline - Date.now();
    if (left <= 0) {
      const why = last instanceof Error ? `: ${last.message}` : last ? `: ${String(last)}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`);
    }
    await new Promise((r) => setTimeout(r, Math.min(delay, left)));
    delay = Math.min(delay * 2, 250);
  }
}

/** GET on a loopback URL with a deadline; resolves with status and body. */
export function httpGet(url: string, timeoutMs = 5_000): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
    req.end();
  });
}
