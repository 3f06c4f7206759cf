import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerProviderSchema } from '../../config/static.ts';
import { hostKeys } from '../../core/registrar-document.ts';
import { ConsulKvClient, type KvEntry } from '../../providers/consul/kv-client.ts';
import { ContainerInfoSchema } from '../../providers/docker/container.ts';
import { desiredDocuments } from '../../registrar/desired.ts';
import { type ConsulTestServer, startConsulTestServer } from '../consul/server.ts';
import { dockerForTests, freePort, runTestContainer, type TestContainer, waitFor } from '../docker/engine.ts';
import { isAbortError, seededRandom } from '../helpers/seeded-random.ts';

// Crash safety: wharf-registrar, as a process, is killed with SIGKILL at random moments while containers
// are paused and unpaused at least 200 times (each a publish: a document deleted or created). A reader
// follows the host's KV tree with blocking queries and checks every state it observes: each document is
// byte for byte the one the registrar's decoder gives for that container (never half of one, never one
// from a different state), every document is locked by the session the lease names, and nothing but the
// lease and documents exists. After the last restart the tree converges to the running containers.
// The moments and containers are random from a printed seed: WHARF_CRASH_SEED=<seed> replays a run's choices
// (the timing of the processes still varies).

const engine = dockerForTests();
const skip = 'skip' in engine ? engine.skip : undefined;
if (skip) console.warn(`[docker] registrar crash-safety test skipped: ${skip}`);

const ROOT = 'wharf';
const HOST = 'crash';
const CONTAINERS = 8;
const TOGGLES = 200;
const REPO = join(import.meta.dirname, '..', '..');

describe.skipIf(skip !== undefined)('registrar crash safety (kill -9 during publishes)', () => {
  const docker = 'docker' in engine ? engine.docker : (undefined as never);
  const dockerHost = 'host' in engine ? engine.host : '';
  const suite = `crash-${randomBytes(4).toString('hex')}`;
  const constraints = `Label(\`wharf-suite\`,\`${suite}\`)`;
  const keys = hostKeys(ROOT, HOST);
  let consul: ConsulTestServer;
  let kv: ConsulKvClient;
  let dir: string;
  const containers: TestContainer[] = [];
  const children = new Set<ChildProcess>();

  const spawnRegistrar = (): ChildProcess => {
    const child = spawn(
      process.execPath,
      [
        join(REPO, 'bin', 'wharf-registrar.js'),
        `--registrar.hostId=${HOST}`,
        `--registrar.ttl=10s`,
        `--registrar.healthFile=${join(dir, 'health.json')}`,
        `--consul.endpoints=${consul.url}`,
        `--consul.rootKey=${ROOT}`,
        `--providers.docker.endpoint=${dockerHost}`,
        `--providers.docker.constraints=${constraints}`,
        '--log.level=ERROR',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    children.add(child);
    child.once('exit', () => children.delete(child));
    return child;
  };
  const kill = async (child: ChildProcess) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wharf-crash-'));
    consul = await startConsulTestServer({ sessionTtlMinMs: 1_000 });
    kv = new ConsulKvClient({ endpoints: [consul.url] });
    for (let i = 0; i < CONTAINERS; i++) {
      const port = await freePort();
      containers.push(
        await runTestContainer(docker, {
          port,
          labels: {
            'wharf-suite': suite,
            [`wharf.http.routers.c${i}.rule`]: `Host(\`c${i}.crash.test\`)`,
            [`wharf.http.services.c${i}.loadbalancer.server.port`]: String(port),
            [`wharf.http.middlewares.m${i}.headers.customrequestheaders.X-Crash`]: 'x'.repeat(200 + i),
          },
        }),
      );
    }
  });
  afterAll(async () => {
    await Promise.all([...children].map(kill));
    await Promise.all(containers.map((c) => c.remove()));
    await kv?.close();
    await consul?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('never shows a state that is not complete, and converges after restarts', async () => {
    const random = seededRandom('WHARF_CRASH_SEED');
    console.info(`[crash] seed ${random.seed} (replay with WHARF_CRASH_SEED=${random.seed})`);
    // The one complete document of each container (running), from the registrar's own decoder.
    const opts = { ...DockerProviderSchema.parse({ constraints }), address: { mode: 'container' as const } };
    const expected = new Map<string, string>();
    for (const c of containers) {
      const info = ContainerInfoSchema.parse(await c.container.inspect());
      for (const [key, text] of desiredDocuments([info], opts, ROOT, HOST).documents) expected.set(key, text);
    }
    expect(expected.size).toBe(CONTAINERS);

    // The reader: every state it observes must be complete. Only the abort that ends it is expected; any
    // other error ends it and fails the test.
    const violations: string[] = [];
    let readerError: unknown;
    let states = 0;
    const check = (entries: readonly KvEntry[]) => {
      states++;
      const lease = entries.find((e) => e.key === keys.lease);
      for (const e of entries) {
        if (e.key === keys.lease) continue;
        if (!e.key.startsWith(keys.containers)) violations.push(`unexpected key ${e.key}`);
        else if (expected.get(e.key) !== e.value)
          violations.push(`incomplete or foreign document ${e.key}: ${e.value.slice(0, 80)}`);
        else if (e.session === undefined || e.session !== lease?.session)
          violations.push(`document ${e.key} locked by ${e.session}, lease names ${lease?.session}`);
      }
    };
    const reading = new AbortController();
    const reader = (async () => {
      let index = 0;
      while (!reading.signal.aborted) {
        try {
          const r = await kv.list(keys.prefix, { index, waitMs: 2_000, signal: reading.signal });
          if (r.index !== index) check(r.entries);
          index = r.index < index ? 0 : r.index;
        } catch (err) {
          if (reading.signal.aborted && isAbortError(err)) return;
          readerError = err;
          return;
        }
      }
    })();

    // The killer: SIGKILL at random moments, restarted at once.
    let registrar = spawnRegistrar();
    let kills = 0;
    let driving = true;
    const killer = (async () => {
      while (driving) {
        // Pacing of the fault injector (kill at seeded random moments), not a wait before an assertion: what
        // is asserted is every state the reader observes, and convergence, both polled.
        await new Promise((r) => setTimeout(r, 800 + random.next() * 1_700));
        if (!driving) break;
        await kill(registrar);
        kills++;
        registrar = spawnRegistrar();
      }
    })();

    // The driver: pause/unpause random containers, each a publish.
    const paused = new Set<number>();
    const deadline = Date.now() + 150_000;
    let toggles = 0;
    try {
      // Until at least TOGGLES changes were made and at least as many published states were seen.
      for (; (toggles < TOGGLES || states < TOGGLES) && Date.now() < deadline && !readerError; toggles++) {
        const i = Math.floor(random.next() * CONTAINERS);
        const c = (containers[i] as TestContainer).container;
        if (paused.has(i)) {
          await c.unpause();
          paused.delete(i);
        } else {
          await c.pause();
          paused.add(i);
        }
        await new Promise((r) => setTimeout(r, 20 + random.next() * 60));
      }
    } finally {
      driving = false;
      await killer;
    }
    if (readerError) throw new Error(`the reader failed (seed ${random.seed})`, { cause: readerError });
    expect(toggles).toBeGreaterThanOrEqual(TOGGLES);
    expect(states).toBeGreaterThanOrEqual(TOGGLES);
    expect(kills).toBeGreaterThan(5);

    // After the last restart: exactly the running containers' documents.
    const want = new Set(containers.filter((_, i) => !paused.has(i)).map((c) => `${keys.containers}${c.id}`));
    await waitFor(
      async () => {
        const docs = (await kv.list(keys.containers)).entries.map((e) => e.key);
        return docs.length === want.size && docs.every((k) => want.has(k));
      },
      'the tree to converge to the running containers',
      30_000,
    );
    // The process's own health check (no port: it reads the state file the running registrar keeps).
    const health = await waitFor(
      () => {
        const r = spawnSync(process.execPath, [
          join(REPO, 'bin', 'wharf-registrar.js'),
          'healthcheck',
          `--registrar.healthFile=${join(dir, 'health.json')}`,
        ]);
        return r.status === 0 ? r.stdout.toString() : undefined;
      },
      'wharf-registrar healthcheck to pass',
      15_000,
    );
    expect(health).toContain(`healthy: host ${HOST}:`);
    reading.abort();
    await reader;
    await kill(registrar);
    if (readerError) throw new Error(`the reader failed (seed ${random.seed})`, { cause: readerError });
    expect(violations, `seed ${random.seed}`).toEqual([]);
    console.info(
      `[crash] seed ${random.seed}: ${toggles} pause/unpause, ${kills} SIGKILLs, ${states} states observed, all complete`,
    );
  }, 240_000);
});
