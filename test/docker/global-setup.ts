import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { allowForwarding, type Forwarding, removeStaleForwarding } from './forwarding.ts';
import {
  aptInstall,
  bridgePrefix,
  ensureTestImage,
  newRunId,
  RUN_LABEL,
  run,
  runOwnerPid,
  TEST_IMAGE,
  TEST_LABEL,
  tail,
} from './image.ts';

// engine.ts (dockerode, vitest) is imported only when the run needs Docker, so other runs pay nothing.
type Engine = typeof import('./engine.ts');
let lib: Engine;

/**
 * vitest globalSetup: a real Docker Engine for the Docker tests of this run.
 *
 * 1. An engine that answers `GET /_ping` at DOCKER_HOST or at /var/run/docker.sock is used as it is.
 * 2. Otherwise, as root on Debian: `apt-get install docker.io` when dockerd is missing, then our OWN dockerd
 *    with --data-root, --exec-root, -H unix://…/docker.sock, --pidfile and an empty --config-file, all in a
 *    fresh temp folder. It keeps the default bridge networking but leaves the host's firewall and sysctls
 *    alone (--iptables=false, --ip-forward=false): containers need no NAT here, host→container traffic is
 *    plain routing, and Docker's FORWARD DROP policy would break other tests' network namespaces. Where
 *    another engine already set that policy, iptables rules accept forwarding for this run's own bridges
 *    only, until teardown (forwarding.ts); without them containers could not reach each other.
 * 3. Otherwise (not root, not Debian, WHARF_DOCKER=off): Docker tests skip, with the reason printed.
 *
 * The test image (image.ts) is built when missing. Workers get the engine by `inject('dockerHost')`
 * (see dockerForTests() in engine.ts). Teardown removes this run's labelled containers and networks, stops
 * our dockerd by its PID (SIGTERM, then wait; SIGKILL only after 8 s) and deletes the temp folder.
 *
 * The engine is provisioned only when a test file of the run uses it (mentions `dockerForTests` or
 * `dockerHost`), so runs of other files pay nothing.
 */

const DEFAULT_HOST = 'unix:///var/run/docker.sock';
const DIR_PREFIX = 'wharf-dockerd-';
const START_DEADLINE_MS = 60_000;
// vitest gives the global teardown 10 s (teardownTimeout) before it exits the process.
const STOP_DEADLINE_MS = 8_000;

function log(message: string): void {
  process.stderr.write(`[docker] ${message}\n`);
}

function seconds(since: number): string {
  return `${((performance.now() - since) / 1000).toFixed(1)} s`;
}

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const started = performance.now();
  const runId = newRunId();
  project.provide('dockerRunId', runId);
  project.provide('dockerHost', undefined);
  project.provide('dockerSkipReason', undefined);
  project.provide('dockerError', undefined);

  const skip = (reason: string, quiet = false): undefined => {
    project.provide('dockerSkipReason', reason);
    if (!quiet) log(`Docker tests will be SKIPPED: ${reason}`);
    return undefined;
  };
  if (process.env.WHARF_DOCKER === 'off') return skip('disabled by WHARF_DOCKER=off');
  if (!(await runNeedsDocker(project))) {
    return skip('no Docker Engine was provisioned: no test file of this run uses dockerForTests()', true);
  }

  let own: OwnDaemon | undefined;
  try {
    lib = await import('./engine.ts');
    const { dockerFromHost, removeAllTestContainers } = lib;
    const engine = await provisionEngine(runId);
    if ('skip' in engine) return skip(engine.skip);
    own = engine.own;
    const docker = dockerFromHost(engine.host);
    if (!own && engine.host.startsWith('unix://')) await removeStaleTestObjects(docker);
    const imageStart = performance.now();
    const built = await ensureTestImage(docker);
    project.provide('dockerHost', engine.host);
    log(
      (own
        ? `own dockerd (pid ${own.pid}) at ${engine.host}`
        : `using the running engine at ${engine.host}`) +
        (built ? `; built ${TEST_IMAGE} in ${seconds(imageStart)}` : `; ${TEST_IMAGE} present`) +
        `; setup took ${seconds(started)}`,
    );
    const ownDaemon = own;
    return async () => {
      const t = performance.now();
      let removed = { containers: 0, networks: 0 };
      try {
        removed = await removeAllTestContainers(docker, { runId });
      } catch (err) {
        log(`teardown: removing test containers failed: ${(err as Error).message}`);
      }
      if (ownDaemon) await ownDaemon.stop();
      log(
        `teardown: removed ${removed.containers} container(s), ${removed.networks} network(s)` +
          (ownDaemon ? `, stopped dockerd (pid ${ownDaemon.pid})` : '') +
          ` in ${seconds(t)}`,
      );
    };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    project.provide('dockerError', message);
    log(`Docker Engine provisioning FAILED (Docker tests will fail): ${message}`);
    if (own) await own.stop();
    return undefined;
  }
}

/** Whether any test file of this run uses the engine (watch mode: always, files may be added later). */
async function runNeedsDocker(project: TestProject): Promise<boolean> {
  if (project.vitest.config.watch) return true;
  // The CLI's file filters (not public API; without them all files count, which errs on provisioning).
  const filters = (project.vitest as unknown as { filenamePattern?: string[] }).filenamePattern;
  const { testFiles } = await project.globTestFiles(filters);
  for (const file of testFiles) {
    const source = await readFile(file, 'utf8').catch(() => '');
    if (/dockerForTests|['"]dockerHost['"]/.test(source)) return true;
  }
  return false;
}

async function provisionEngine(runId: string): Promise<{ host: string; own?: OwnDaemon } | { skip: string }> {
  const tried: string[] = [];
  const envHost = process.env.DOCKER_HOST;
  if (envHost) {
    if (await lib.pingDocker(envHost)) return { host: envHost };
    tried.push(`DOCKER_HOST=${envHost} does not answer`);
  }
  if (await lib.pingDocker(DEFAULT_HOST)) return { host: DEFAULT_HOST };
  tried.push('nothing answers at /var/run/docker.sock');
  const uid = process.getuid?.();
  if (uid !== 0) return { skip: `${tried.join(', ')}, and starting a dockerd needs root (uid is ${uid})` };
  if (!existsSync('/etc/debian_version') || !findExecutable('apt-get')) {
    return { skip: `${tried.join(', ')}, and installing Docker is only automated on Debian` };
  }
  let dockerd = findExecutable('dockerd');
  if (!dockerd) {
    const t = performance.now();
    log('dockerd is missing: apt-get install docker.io …');
    await aptInstall(['docker.io']);
    dockerd = findExecutable('dockerd');
    if (!dockerd) throw new Error('dockerd is still missing after apt-get install docker.io');
    log(`installed docker.io in ${seconds(t)}`);
  }
  await removeStaleOwnDaemons();
  const own = await startOwnDaemon(dockerd, runId);
  return { host: own.host, own };
}

function findExecutable(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/local/sbin', '/usr/sbin', '/sbin', '/usr/bin'];
  for (const dir of dirs) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

interface OwnDaemon {
  host: string;
  pid: number;
  /** Stops the daemon (SIGTERM, wait, SIGKILL after 8 s) and deletes its folder. Idempotent. */
  stop(): Promise<void>;
}

/** What a run writes into its folder, so a later run can clean up after a crash. */
interface RunRecord {
  runId: string;
  dockerdPid?: number;
}

async function startOwnDaemon(dockerd: string, runId: string): Promise<OwnDaemon> {
  const dir = await mkdtemp(join(tmpdir(), DIR_PREFIX));
  const record: RunRecord = { runId };
  await writeFile(join(dir, 'run.json'), JSON.stringify(record));
  await writeFile(join(dir, 'daemon.json'), '{}\n');
  const socket = join(dir, 'docker.sock');
  const host = `unix://${socket}`;
  const logFile = join(dir, 'dockerd.log');
  const args = [
    '--config-file',
    join(dir, 'daemon.json'),
    '--data-root',
    join(dir, 'data'),
    '--exec-root',
    join(dir, 'exec'),
    '--pidfile',
    join(dir, 'dockerd.pid'),
    '-H',
    host,
    '--iptables=false',
    '--ip-forward=false',
    // Only matters when a system containerd is running and dockerd shares it.
    '--containerd-namespace',
    `wharf-test-${runId}`,
    '--containerd-plugins-namespace',
    `wharf-test-${runId}-plugins`,
    '--shutdown-timeout',
    '2',
    '--log-level',
    'warn',
  ];
  // Before the daemon: if the rules cannot be had where they are needed, fail now, saying why.
  let forwarding: Forwarding;
  try {
    forwarding = await allowForwarding(runId, log);
  } catch (err) {
    await removeFolder(dir);
    throw err;
  }
  const fd = openSync(logFile, 'a');
  const env = { ...process.env };
  delete env.DOCKER_HOST;
  let child: ChildProcess;
  try {
    child = spawn(dockerd, args, { stdio: ['ignore', fd, fd], env });
  } finally {
    closeSync(fd);
  }
  const pid = child.pid;
  if (pid === undefined) {
    const error = await new Promise<Error>((resolve) => child.once('error', resolve));
    await removeFolder(dir);
    await forwarding.remove();
    throw new Error(`cannot start ${dockerd}: ${error.message}`);
  }
  record.dockerdPid = pid;
  await writeFile(join(dir, 'run.json'), JSON.stringify(record));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // Last resort if vitest exits without teardown: signal our daemon (the next run cleans up the rest).
  const onExit = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  };
  process.once('exit', onExit);

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      const t = performance.now();
      if (child.exitCode === null && child.signalCode === null) {
        process.kill(pid, 'SIGTERM');
        const done = await Promise.race([exited.then(() => true), delay(STOP_DEADLINE_MS).then(() => false)]);
        if (!done) {
          log(`dockerd (pid ${pid}) still running ${STOP_DEADLINE_MS / 1000} s after SIGTERM: SIGKILL`);
          process.kill(pid, 'SIGKILL');
          await Promise.race([exited, delay(10_000)]);
        }
      }
      process.removeListener('exit', onExit);
      await stopContainerd(dir);
      await removeFolder(dir);
      await removeDocker0();
      await forwarding.remove();
      if (performance.now() - t > 10_000) log(`stopping dockerd took ${seconds(t)}`);
    })();
    return stopping;
  };

  try {
    await lib.waitFor(
      async () => {
        if (child.exitCode !== null || child.signalCode !== null) {
          throw Object.assign(new Error(`dockerd exited (${child.exitCode ?? child.signalCode})`), {
            fatal: true,
          });
        }
        return lib.pingDocker(host, 1_000);
      },
      `dockerd (pid ${pid}) to answer ${host}/_ping`,
      START_DEADLINE_MS,
    );
  } catch (err) {
    const logText = await readFile(logFile, 'utf8').catch(() => '');
    await stop();
    throw new Error(`${(err as Error).message}\n--- dockerd log ---\n${tail(logText, 30)}`);
  }
  return { host, pid, stop };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** True when the process exists and is not a zombie. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** True when `pid` is alive and its command line mentions `dir` (our process, not a reused PID). */
function ours(pid: number, dir: string): boolean {
  if (!alive(pid)) return false;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dir);
  } catch {
    return false;
  }
}

/** Terminates a process of ours: SIGTERM, up to `graceMs` for it to go, then SIGKILL. */
async function terminate(pid: number, graceMs: number): Promise<void> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  try {
    await lib.waitFor(() => !alive(pid), `pid ${pid} to exit`, graceMs);
  } catch {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
    await lib.waitFor(() => !alive(pid), `pid ${pid} to exit after SIGKILL`, 5_000).catch(() => undefined);
  }
}

/** The containerd that dockerd supervises normally exits with it; one left behind (dockerd killed) goes too. */
async function stopContainerd(dir: string): Promise<void> {
  const pid = Number(
    (await readFile(join(dir, 'exec/containerd/containerd.pid'), 'utf8').catch(() => '')).trim(),
  );
  if (pid > 0 && ours(pid, dir)) await terminate(pid, 10_000);
}

/** Unmounts what is still mounted under `dir` (a killed dockerd leaves overlay and netns mounts), then deletes it. */
async function removeFolder(dir: string): Promise<void> {
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4] ?? '')
    .filter((mountPoint) => mountPoint === dir || mountPoint.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
  for (const mountPoint of mounts) await run('umount', ['-l', mountPoint], 10_000);
  await rm(dir, { recursive: true, force: true, maxRetries: 3 });
}

/**
 * Deletes docker0, the default bridge our dockerd creates and leaves behind, once no dockerd runs on this
 * machine (concurrent runs share it: the last one out deletes it; a dockerd started later recreates it).
 */
async function removeDocker0(): Promise<void> {
  if (!existsSync('/sys/class/net/docker0')) return;
  if (otherDockerdRunning()) return;
  await run('ip', ['link', 'delete', 'docker0'], 10_000);
}

function otherDockerdRunning(): boolean {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === 'dockerd' && alive(Number(entry)))
        return true;
    } catch {}
  }
  return false;
}

/**
 * Cleans up after runs of ours that ended without teardown (vitest killed): their dockerd and containerd
 * (only when /proc shows they are ours: the command line names the run's folder), leftover mounts, the
 * folder, the Linux bridges of their test networks, their iptables FORWARD rules, and docker0 when no
 * dockerd is left to use it.
 * Folders of runs whose vitest still runs are kept.
 */
async function removeStaleOwnDaemons(): Promise<void> {
  const base = tmpdir();
  const rules = await removeStaleForwarding(alive);
  if (rules > 0) log(`removed ${rules} iptables FORWARD rule(s) of interrupted runs`);
  let cleaned = 0;
  for (const name of await readdir(base).catch(() => [] as string[])) {
    if (!name.startsWith(DIR_PREFIX)) continue;
    const dir = join(base, name);
    let record: RunRecord;
    try {
      record = JSON.parse(await readFile(join(dir, 'run.json'), 'utf8')) as RunRecord;
    } catch {
      continue; // being created by a run right now, or not ours
    }
    const owner = runOwnerPid(record.runId);
    if (owner !== undefined && alive(owner)) continue;
    log(`cleaning up after an interrupted run: ${dir}`);
    if (record.dockerdPid && ours(record.dockerdPid, dir))
      await terminate(record.dockerdPid, STOP_DEADLINE_MS);
    await stopContainerd(dir);
    await removeFolder(dir);
    const prefix = bridgePrefix(record.runId);
    for (const link of readdirSync('/sys/class/net')) {
      if (link.startsWith(prefix)) await run('ip', ['link', 'delete', link], 10_000);
    }
    cleaned++;
  }
  if (cleaned > 0) await removeDocker0();
}

/** On a shared local engine: removes test containers and networks of runs whose vitest is gone. */
async function removeStaleTestObjects(docker: ReturnType<Engine['dockerFromHost']>): Promise<void> {
  const filters = { label: [`${TEST_LABEL}=1`] };
  const stale = (labels: Record<string, string> | undefined) => {
    const runId = labels?.[RUN_LABEL];
    const owner = runId ? runOwnerPid(runId) : undefined;
    return owner !== undefined && !alive(owner);
  };
  for (const c of await docker.listContainers({ all: true, filters })) {
    if (stale(c.Labels))
      await docker
        .getContainer(c.Id)
        .remove({ force: true, v: true })
        .catch(() => undefined);
  }
  for (const n of await docker.listNetworks({ filters })) {
    if (stale(n.Labels))
      await docker
        .getNetwork(n.Id)
        .remove()
        .catch(() => undefined);
  }
}
