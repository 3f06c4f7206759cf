import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { gunzipSync } from 'node:zlib';
import bcrypt from 'bcryptjs';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DEBIAN_CRS_PATH, DEBIAN_CRS_SETUP } from '../../config/middlewares/waf.ts';
import { allocatorChoice, MALLOC_ENV, NODE_FLAGS } from '../../core/node-flags.ts';
import { FAST_GZIP_PATH } from '../../middleware/compress/fast-gzip.ts';
import { MODSECURITY_PATH } from '../../middleware/waf/engine.ts';
import { type ComposeCli, compose, composeCli } from '../compose/compose-cli.ts';
import { buildContextFiles } from '../compose/context.ts';
import {
  effective,
  importClosure,
  parseDockerfile,
  parseHealthcheck,
  stageChain,
} from '../compose/dockerfile.ts';
import { get, getRaw, hostnameOf, listeningPorts, spread } from '../compose/facts.ts';
import {
  DOCKERFILE,
  ensureLocalImages,
  type LocalImages,
  localDockerfile,
  NODE_PATH,
  REPO,
  sharedStages,
} from '../compose/local-images.ts';
import { IMAGE_ADDONS, IMAGE_JEMALLOC } from '../compose/native-rootfs.ts';
import { ComposeStack, composeEnv, overrideFor, type StackFile, WAF_APP_PAD } from '../compose/stack.ts';
import { dockerForTests, testBridgeName, testLabels, waitFor } from '../docker/engine.ts';

// Issue 6: the compose files of compose/ and the images of compose/Dockerfile.
//
// Static part (no engine needed): every compose file passes `<compose> config`; the layouts keep the
// socket where they say; compose/Dockerfile and the local recipe of test/compose/local-images.ts agree.
// End to end, on the real Docker Engine of the test run: each layout runs with an override that swaps only
// the images (local builds; Consul becomes the Consul test server). Traffic goes only to ports published
// on 127.0.0.1; the test reads /proc of the containers it started.

const COMPOSE_DIR = join(REPO, 'compose');
/** The demo password of docker-compose.waf.yml's app (user demo), as its comments give it. */
const WAF_DEMO_PASSWORD = 'change me now';
const composeFiles = readdirSync(COMPOSE_DIR)
  .filter((f) => /^docker-compose.*\.ya?ml$/.test(f))
  .sort();
const dockerfileText = readFileSync(DOCKERFILE, 'utf8');
const stages = parseDockerfile(dockerfileText);

const cli: ComposeCli = await composeCli();
const cliSkip = 'skip' in cli ? cli.skip : undefined;
if (cliSkip) console.warn(`[compose] compose tests skipped: ${cliSkip}`);
const engine = dockerForTests();
const engineSkip =
  'skip' in engine
    ? engine.skip
    : engine.host.startsWith('unix://')
      ? undefined
      : `the engine at ${engine.host} is not a local unix socket that containers can mount`;
const e2eSkip = cliSkip ?? engineSkip;
if (!cliSkip && engineSkip) console.warn(`[compose] compose end-to-end tests skipped: ${engineSkip}`);

type Cli = Exclude<ComposeCli, { skip: string }>;
/** Compose variables for `config` without an engine: a made-up socket group. */
const staticEnv = { DOCKER_GID: '999', COMPOSE_FILE: '', COMPOSE_PROJECT_NAME: '' };

interface ServiceConfig {
  volumes?: Array<string | { source?: string; target?: string }>;
  ports?: unknown[];
  group_add?: unknown[];
  networks?: Record<string, unknown> | string[];
  environment?: Record<string, string>;
  read_only?: boolean;
  labels?: Record<string, string>;
}

/** A compose file as `<compose> config` resolves it. */
async function resolved(file: string): Promise<{
  services: Record<string, ServiceConfig>;
  networks: Record<string, { internal?: boolean }>;
}> {
  const r = await compose(cli as Cli, ['-f', join(COMPOSE_DIR, file), 'config'], { env: staticEnv });
  expect(r.code, r.stderr).toBe(0);
  return parse(r.stdout);
}

const networkNames = (s: ServiceConfig) =>
  Array.isArray(s.networks) ? s.networks : Object.keys(s.networks ?? {});
const mountsSocket = (s: ServiceConfig) =>
  (s.volumes ?? []).some((v) => /docker\.sock/.test(typeof v === 'string' ? v : `${v.source}:${v.target}`));

describe.skipIf(cliSkip !== undefined)('compose files (static)', () => {
  it('every compose file passes `compose config`', async () => {
    expect(composeFiles).toEqual(
      expect.arrayContaining(['docker-compose.yml', 'docker-compose.cluster.yml', 'docker-compose.waf.yml']),
    );
    for (const file of composeFiles) {
      const r = await compose(cli as Cli, ['-f', join(COMPOSE_DIR, file), 'config', '-q'], {
        env: staticEnv,
      });
      expect({ file, code: r.code, stderr: r.stderr.trim() }).toEqual({ file, code: 0, stderr: '' });
    }
  });

  it('the test override is valid on top of each layout', async () => {
    const images = { router: 'r:1', registrar: 'g:1', consul: 'c:1', whoami: 'w:1', buildSeconds: 0 };
    for (const file of [
      'docker-compose.yml',
      'docker-compose.cluster.yml',
      'docker-compose.waf.yml',
    ] as StackFile[]) {
      const dir = join(REPO, 'compose', file);
      const override = JSON.stringify(overrideFor(file, images, { 'wharf.test': '1' }));
      const tmp = mkdtempSync(join(tmpdir(), 'wharf-compose-static-'));
      try {
        writeFileSync(join(tmp, 'o.yml'), override);
        const r = await compose(cli as Cli, ['-f', dir, '-f', join(tmp, 'o.yml'), 'config'], {
          env: staticEnv,
        });
        expect(r.code, r.stderr).toBe(0);
        const merged = parse(r.stdout) as {
          services: Record<string, { image: string }>;
          networks: Record<string, { internal?: boolean }>;
        };
        const services = merged.services;
        // The networks keep their definition (internal or not).
        const base = await resolved(file);
        expect(
          Object.fromEntries(Object.entries(merged.networks).map(([n, d]) => [n, d.internal ?? false])),
        ).toEqual(
          Object.fromEntries(Object.entries(base.networks).map(([n, d]) => [n, d.internal ?? false])),
        );
        // Only images are swapped: every service of the file is still there, with a local image.
        expect(
          Object.values(services)
            .map((s) => s.image)
            .sort(),
        ).toEqual(
          Object.values(
            (overrideFor(file, images, {}) as { services: Record<string, { image: string }> }).services,
          )
            .map((s) => s.image)
            .sort(),
        );
      } finally {
        rmSync(tmp, { recursive: true, force: true });
      }
    }
  });

  it('sidecar: the router alone holds the socket; API published on loopback only', async () => {
    const { services } = await resolved('docker-compose.yml');
    expect(mountsSocket(services.wharf as ServiceConfig)).toBe(true);
    for (const [name, s] of Object.entries(services))
      if (name !== 'wharf') expect(mountsSocket(s), name).toBe(false);
    const ports = JSON.stringify((services.wharf as ServiceConfig).ports);
    expect(ports).toMatch(
      /"127\.0\.0\.1:8080:8080|"host_ip":"127\.0\.0\.1"[^}]*"target":8080|target":8080[^}]*"host_ip":"127\.0\.0\.1"/,
    );
  });

  it('clustered: only the registrar holds the socket; it publishes nothing and shares networks only with Consul', async () => {
    const { services, networks } = await resolved('docker-compose.cluster.yml');
    const socketHolders = Object.entries(services)
      .filter(([, s]) => mountsSocket(s))
      .map(([n]) => n);
    expect(socketHolders).toEqual(['registrar']);
    const registrar = services.registrar as ServiceConfig;
    const router = services.router as ServiceConfig;
    expect(registrar.ports ?? []).toEqual([]);
    expect(router.group_add ?? []).toEqual([]);
    expect((router.ports ?? []).length).toBeGreaterThanOrEqual(2);
    const regNets = networkNames(registrar);
    for (const n of regNets) expect(networks[n]?.internal, `network ${n} of the registrar`).toBe(true);
    for (const [name, s] of Object.entries(services)) {
      if (name === 'registrar' || name === 'consul') continue;
      expect(
        networkNames(s).filter((n) => regNets.includes(n)),
        `${name} shares a network with the registrar`,
      ).toEqual([]);
    }
  });

  it('waf: the app is behind ban, waf (CRS), basicAuth and compress from labels; the read-only router has a tmpfs /tmp', async () => {
    const { services } = await resolved('docker-compose.waf.yml');
    const labels = (services.app as ServiceConfig).labels ?? {};
    expect(labels['wharf.http.routers.app.middlewares']).toBe('app-ban,app-waf,app-auth,app-compress');
    expect(labels['wharf.http.middlewares.app-waf.waf.crs']).toBe('true');
    expect(labels['wharf.http.middlewares.app-ban.ban.maxretry']).toBe('5');
    // `$$` is one `$` for Docker (`config` prints it escaped): the bcrypt hash of the documented password.
    const [user, hash] = (labels['wharf.http.middlewares.app-auth.basicauth.users'] as string)
      .replaceAll('$$', '$')
      .split(':') as [string, string];
    expect({ user, matches: bcrypt.compareSync(WAF_DEMO_PASSWORD, hash) }).toEqual({
      user: 'demo',
      matches: true,
    });
    const wharf = services.wharf as ServiceConfig & { tmpfs?: string[] };
    expect(wharf.read_only).toBe(true);
    expect(wharf.tmpfs).toEqual(['/tmp']);
  });

  it('socket-proxy variants: only the proxy mounts the socket, on an internal network with its one client', async () => {
    for (const [file, client] of [
      ['docker-compose.socket-proxy.yml', 'wharf'],
      ['docker-compose.cluster.socket-proxy.yml', 'registrar'],
    ] as const) {
      const { services, networks } = await resolved(file);
      expect(
        Object.entries(services)
          .filter(([, s]) => mountsSocket(s))
          .map(([n]) => n),
        file,
      ).toEqual(['socket-proxy']);
      const proxy = services['socket-proxy'] as ServiceConfig;
      const [net] = networkNames(proxy);
      expect(networks[net as string]?.internal, file).toBe(true);
      const members = Object.entries(services)
        .filter(([, s]) => networkNames(s).includes(net as string))
        .map(([n]) => n)
        .sort();
      expect(members, file).toEqual([client, 'socket-proxy'].sort());
      const endpoint = Object.entries((services[client] as ServiceConfig).environment ?? {}).find(([k]) =>
        /PROVIDERS_DOCKER_ENDPOINT$/.test(k),
      );
      expect(endpoint?.[1], file).toBe('tcp://socket-proxy:2375');
    }
  });
});

describe('compose/Dockerfile and the local recipe', () => {
  it('the local recipe replaces only the three registry stages and keeps the rest verbatim', () => {
    const local = parseDockerfile(localDockerfile(dockerfileText, 'runtime:local', 'native:local'));
    expect(local.map((s) => s.name)).toEqual(stages.map((s) => s.name));
    expect(stages.map((s) => s.name)).toEqual([
      'deps',
      'node-runtime',
      'native',
      'base',
      'router',
      'registrar',
    ]);
    const shared = parseDockerfile(sharedStages(dockerfileText));
    expect(local.slice(3)).toEqual(shared);
    expect(stages.slice(3)).toEqual(shared);
    // What the replaced stages hand over is what the shared part takes: /app/node_modules and /rootfs/.
    const froms = shared.flatMap((s) =>
      s.instructions.filter((i) => /--from=/.test(i.args)).map((i) => i.args),
    );
    expect(froms.sort()).toEqual([
      '--from=deps /app/node_modules /app/node_modules',
      '--from=native /rootfs/ /',
      '--from=node-runtime /rootfs/ /',
    ]);
    const deps = stages[0] as (typeof stages)[0];
    expect(deps.instructions.map((i) => i.args).join('\n')).toMatch(/npm ci --omit=dev/);
    const runtime = (stages[1] as (typeof stages)[0]).instructions.map((i) => i.args).join('\n');
    expect(runtime).toContain(`strip -o /rootfs${NODE_PATH} ${NODE_PATH}`);
    expect(runtime).toContain(`ldd ${NODE_PATH}`);
  });

  it('the native stage builds both addons where the loaders look, with their libraries and the CRS; only the router takes it', () => {
    const native = (stages.find((s) => s.name === 'native') as (typeof stages)[0]).instructions
      .map((i) => `${i.op} ${i.args}`)
      .join('\n');
    expect(native).toMatch(/apt-get install .*libdeflate-dev.*libmodsecurity-dev.*modsecurity-crs/);
    expect(native).toContain('node native/build.js --require');
    // The loaders resolve native/build/*.node from the sources (WORKDIR /app in the image).
    for (const [loader, inImage] of [
      [FAST_GZIP_PATH, IMAGE_ADDONS[0]],
      [MODSECURITY_PATH, IMAGE_ADDONS[1]],
    ] as const) {
      expect(`/app/${relative(REPO, loader)}`).toBe(inImage);
      expect(native).toContain(`/rootfs${dirname(inImage as string)}/`);
      expect(native).toContain(`native/build/${basename(inImage as string)}`);
    }
    expect(native).toMatch(/ldd "\$addon"/);
    expect(native).toContain(`${DEBIAN_CRS_PATH}/rules`);
    expect(native).toContain(dirname(DEBIAN_CRS_SETUP));
    // jemalloc at the path the router's LD_PRELOAD names, which bin/launch.js also finds (so it does not
    // re-execute the process to add it).
    expect(native).toMatch(/apt-get install .*libjemalloc2/);
    expect(native).toContain(`/rootfs${IMAGE_JEMALLOC}`);
    expect(effective(stages, 'router', 'ENV')).toContain(`LD_PRELOAD=${IMAGE_JEMALLOC}`);
    expect(allocatorChoice(undefined, (p) => p === IMAGE_JEMALLOC).preload).toBe(IMAGE_JEMALLOC);
    const registrarEnv = stageChain(stages, 'registrar')
      .flatMap((st) => st.instructions.filter((i) => i.op === 'ENV').map((i) => i.args))
      .join(' ');
    expect(registrarEnv).not.toContain('LD_PRELOAD');
    const takesNative = (target: string) =>
      stageChain(stages, target).some((st) =>
        st.instructions.some((i) => i.args.startsWith('--from=native ')),
      );
    expect({ router: takesNative('router'), registrar: takesNative('registrar') }).toEqual({
      router: true,
      registrar: false,
    });
  });

  it('router and registrar: non-root, entrypoints and health checks run the package bins with the node flags', () => {
    const passwd = readFileSync(join(REPO, 'compose/rootfs/etc/passwd'), 'utf8');
    for (const [target, bin] of [
      ['router', 'bin/wharf.js'],
      ['registrar', 'bin/wharf-registrar.js'],
    ] as const) {
      const user = effective(stages, target, 'USER') as string;
      const [uid, gid] = user.split(':');
      expect(Number(uid)).toBeGreaterThan(0);
      expect(passwd).toMatch(new RegExp(`^\\w+:x:${uid}:${gid}:`, 'm'));
      expect(effective(stages, target, 'WORKDIR')).toBe('/app');
      const entrypoint = JSON.parse(effective(stages, target, 'ENTRYPOINT') as string);
      expect(entrypoint).toEqual([NODE_PATH, ...NODE_FLAGS, `/app/${bin}`]);
      // The bins add the flags themselves (bin/launch.js): their #! line stays within the 127 bytes that
      // Linux before 5.1 reads.
      const shebang = readFileSync(join(REPO, bin), 'utf8').split('\n')[0] as string;
      expect(shebang).toBe('#!/usr/bin/env node');
      // The malloc settings in the image's environment.
      const mallocEnv = Object.entries(MALLOC_ENV).map(([k, v]) => `${k}=${v}`);
      const env = stageChain(stages, target)
        .flatMap((s) => s.instructions.filter((i) => i.op === 'ENV').map((i) => i.args))
        .join(' ')
        .split(/\s+/);
      expect(env).toEqual(expect.arrayContaining(mallocEnv));
      const hc = parseHealthcheck(effective(stages, target, 'HEALTHCHECK') as string);
      // With the entrypoint's flags: the compile cache is keyed by them (and launch.js need not re-exec).
      expect(hc.cmd).toEqual([NODE_PATH, ...NODE_FLAGS, `/app/${bin}`, 'healthcheck']);
      expect(stageChain(stages, target).map((s) => s.name)).toEqual(['base', target]);
    }
    expect(effective(stages, 'router', 'ENV')).toContain('WHARF_CONFIGFILE=/etc/wharf/wharf.yml');
    // npm start (the demo, in-process) runs with the same V8 flags; npm scripts cannot set the malloc
    // variables portably, so it goes without them.
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as {
      scripts: { start: string };
    };
    expect(pkg.scripts.start).toBe(`node ${NODE_FLAGS.join(' ')} demo/start.ts`);
  });

  it("the Dockerfile fills the compile cache with the entrypoints' V8 flags (Node keys the cache by them)", () => {
    const warm = stageChain(stages, 'router')
      .flatMap((st) => st.instructions)
      .find((i) => i.op === 'RUN' && i.args.includes('warm-cache.js'));
    expect(JSON.parse(warm?.args ?? '[]')).toEqual([NODE_PATH, ...NODE_FLAGS, '/app/bin/warm-cache.js']);
  });

  it('the build context holds every file the programs load, and their packages are production dependencies', () => {
    const context = new Set(buildContextFiles(REPO));
    const { files, packages } = importClosure(REPO, ['bin/wharf.js', 'bin/wharf-registrar.js']);
    expect(files.filter((f) => !context.has(f))).toEqual([]);
    expect([...context].filter((f) => f.endsWith('.test.ts') || f.startsWith('node_modules/'))).toEqual([]);
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    expect(packages.filter((p) => !(p in pkg.dependencies))).toEqual([]);
    // Every path the Dockerfile copies from the context is in it.
    for (const i of stages.flatMap((s) => s.instructions)) {
      if (i.op !== 'COPY' || i.args.startsWith('--from=')) continue;
      const sources = i.args
        .split(/\s+/)
        .filter((w) => !w.startsWith('--'))
        .slice(0, -1);
      for (const src of sources) {
        const path = src.replace(/\/$/, '');
        expect(
          [...context].some((f) => f === path || f.startsWith(`${path}/`)),
          `COPY ${src} from the build context`,
        ).toBe(true);
      }
    }
  });
});

/** The text of a non-TTY container's logs: frames of an 8-byte header (stream, size) and a payload. */
function demux(buf: Buffer): string {
  const parts: Buffer[] = [];
  for (let at = 0; at + 8 <= buf.length; at += 8 + buf.readUInt32BE(at + 4)) {
    parts.push(buf.subarray(at + 8, at + 8 + buf.readUInt32BE(at + 4)));
  }
  return Buffer.concat(parts).toString('utf8');
}

describe.skipIf(e2eSkip !== undefined)('compose end to end (real Docker Engine)', () => {
  const docker = 'docker' in engine ? engine.docker : (undefined as never);
  const host = 'host' in engine ? engine.host : '';
  let images: LocalImages;
  const run = randomBytes(3).toString('hex');

  beforeAll(async () => {
    images = await ensureLocalImages(docker, (m) => console.log(`[compose] ${m}`));
    const sizes: string[] = [];
    for (const tag of [images.router, images.registrar]) {
      const info = await docker.getImage(tag).inspect();
      sizes.push(`${tag.split(':')[0]} ${(info.Size / 1e6).toFixed(0)} MB`);
    }
    console.log(`[compose] images ready in ${images.buildSeconds.toFixed(1)} s: ${sizes.join(', ')}`);
  }, 300_000);

  it("the local images carry the Dockerfile's user, workdir, entrypoint, health check and environment", async () => {
    for (const [target, tag] of [
      ['router', images.router],
      ['registrar', images.registrar],
    ] as const) {
      const config = (await docker.getImage(tag).inspect()).Config;
      expect(config.User).toBe(effective(stages, target, 'USER'));
      expect(config.WorkingDir).toBe(effective(stages, target, 'WORKDIR'));
      expect(config.Entrypoint).toEqual(JSON.parse(effective(stages, target, 'ENTRYPOINT') as string));
      const hc = parseHealthcheck(effective(stages, target, 'HEALTHCHECK') as string);
      expect(config.Healthcheck?.Test).toEqual(['CMD', ...hc.cmd]);
      expect(config.Healthcheck?.Interval).toBe(Number.parseInt(hc.options.interval as string, 10) * 1e9);
      for (const s of stageChain(stages, target))
        for (const i of s.instructions)
          if (i.op === 'ENV') for (const kv of i.args.split(/\s+/)) expect(config.Env).toContain(kv);
    }
  });

  it("a container's first start and its health check find every TypeScript module in the image's compile cache", async () => {
    for (const [target, tag] of [
      ['router', images.router],
      ['registrar', images.registrar],
    ] as const) {
      // The health check's command, asked for --version instead of a probe.
      const hc = parseHealthcheck(effective(stages, target, 'HEALTHCHECK') as string).cmd;
      for (const entrypoint of [undefined, hc.slice(0, -1)]) {
        const container = await docker.createContainer({
          Image: tag,
          ...(entrypoint && { Entrypoint: entrypoint }),
          Cmd: ['--version'],
          Env: ['NODE_DEBUG_NATIVE=COMPILE_CACHE'],
          Labels: testLabels(),
        });
        try {
          await container.start();
          await container.wait();
          const out = demux(await container.logs({ stdout: true, stderr: true }));
          // Each module Node would type-strip is looked up in the cache: all found (none stripped anew).
          const lookups = out.split('\n').filter((l) => l.includes('transpile cache for StrippedTypeScript'));
          expect(lookups.length, out.slice(-2000)).toBeGreaterThan(50);
          expect(lookups.filter((l) => !l.trimEnd().endsWith('success'))).toEqual([]);
          expect(out).toMatch(/^\d+\.\d+\.\d+/m);
        } finally {
          await container.remove({ force: true });
        }
      }
    }
  }, 90_000);

  /** Runs the shared checks of both layouts against a started stack whose router is `routerService`. */
  const layout = (file: StackFile, routerService: string) => {
    let stack: ComposeStack;
    let web: string;
    const project = `wharfc${run}${{ 'docker-compose.yml': 's', 'docker-compose.cluster.yml': 'c', 'docker-compose.waf.yml': 'w' }[file]}`;
    const withLogs = async <T>(what: Promise<T>): Promise<T> => {
      try {
        return await what;
      } catch (err) {
        (err as Error).message += `\n--- compose logs ---\n${await stack.logs()}`;
        throw err;
      }
    };
    const hostnames = async (service: string) =>
      (await stack.containers(service)).map((c) => c.Config.Hostname).sort();

    beforeAll(async () => {
      stack = new ComposeStack({
        cli: cli as Cli,
        docker,
        file,
        project,
        engineHost: host,
        images,
        labels: testLabels(),
        bridgeName: () => testBridgeName(),
      });
      await withLogs(stack.up());
      web = await stack.published(routerService, 80);
    }, 180_000);
    afterAll(async () => {
      await stack?.down();
    }, 60_000);

    return {
      stack: () => stack,
      web: () => web,
      withLogs,
      hostnames,
      /** The labelled app answers through the router, from its own container. */
      async labelledAppAnswers() {
        const [whoami] = await hostnames('whoami');
        await withLogs(
          waitFor(
            async () => hostnameOf((await get(web, 'whoami.localhost')).body) === whoami,
            `whoami.localhost to answer from ${whoami} through ${web}`,
            30_000,
          ),
        );
        expect((await get(web, 'nothing.localhost')).status).toBe(404);
      },
      /** The chain of the api service's labels (stripPrefix, then headers) applies. */
      async chainApplies() {
        const labels = (await stack.container('api')).Config.Labels;
        const header = Object.entries(labels).find(([k]) => /customresponseheaders\./i.test(k)) as [
          string,
          string,
        ];
        const headerName = (header[0].split('.').at(-1) as string).toLowerCase();
        const prefix = labels['wharf.http.middlewares.api-strip.stripprefix.prefixes'] as string;
        expect(labels['wharf.http.middlewares.api-chain.chain.middlewares']).toBe('api-strip,api-headers');
        await withLogs(
          waitFor(
            async () => (await get(web, 'api.localhost', `${prefix}/health`)).status === 200,
            'api route',
            30_000,
          ),
        );
        // The app serves /health; it is reached only because the chain strips the prefix.
        const ok = await get(web, 'api.localhost', `${prefix}/health`);
        expect({ status: ok.status, body: ok.body.trim(), header: ok.headers[headerName] }).toEqual({
          status: 200,
          body: 'ok',
          header: header[1],
        });
        const upstream404 = await get(web, 'api.localhost', `${prefix}/no-such-page`);
        expect(upstream404.status).toBe(404);
        expect(upstream404.headers[headerName]).toBe(header[1]); // answered by the app, through the chain
        const noRoute = await get(web, 'api.localhost', '/health'); // the rule needs the prefix
        expect(noRoute.status).toBe(404);
        expect(noRoute.headers[headerName]).toBeUndefined();
      },
      /** `--scale whoami=3` spreads requests over the 3; stopping one removes it from the rotation. */
      async scaleAndStop() {
        await withLogs(stack.up('--scale', 'whoami=3', 'whoami'));
        const three = await hostnames('whoami');
        expect(three).toHaveLength(3);
        await withLogs(
          waitFor(
            async () => (await spread(web, 'whoami.localhost', 12)).counts.size === 3,
            'requests to reach all 3 replicas',
            30_000,
          ),
        );
        const { counts, failures } = await spread(web, 'whoami.localhost', 30);
        expect(failures).toEqual([]);
        expect([...counts.keys()].sort()).toEqual(three);
        for (const [name, n] of counts) expect(n, `requests answered by ${name}`).toBeGreaterThanOrEqual(5);

        const victim = (await stack.containers('whoami'))[0] as Docker.ContainerInspectInfo;
        await docker.getContainer(victim.Id).stop({ t: 2 });
        const rest = three.filter((h) => h !== victim.Config.Hostname);
        await withLogs(
          waitFor(
            async () => {
              const s = await spread(web, 'whoami.localhost', 12);
              return s.failures.length === 0 && !s.counts.has(victim.Config.Hostname);
            },
            `the stopped replica ${victim.Config.Hostname} to leave the rotation`,
            30_000,
          ),
        );
        const after = await spread(web, 'whoami.localhost', 20);
        expect(after.failures).toEqual([]);
        expect([...after.counts.keys()].sort()).toEqual(rest);
      },
      /** The router container: healthy by its image's HEALTHCHECK, non-root, read-only root filesystem. */
      async routerHealthy() {
        const info = (await withLogs(
          waitFor(
            async (): Promise<Docker.ContainerInspectInfo | undefined> => {
              const c = await stack.container(routerService);
              return c.State.Health?.Status === 'healthy' ? c : undefined;
            },
            `${routerService} to be healthy`,
            60_000,
          ),
        )) as Docker.ContainerInspectInfo;
        expect(info.Config.User).toBe('10001:10001');
        expect(info.HostConfig.ReadonlyRootfs).toBe(true);
        // The API and /ping: published on loopback only.
        const api = info.NetworkSettings.Ports['8080/tcp'] ?? [];
        expect(api.map((b) => b.HostIp)).toEqual(['127.0.0.1']);
        const ping = await get(await stack.published(routerService, 8080), 'localhost', '/ping');
        expect(ping.status).toBe(200);
      },
    };
  };

  describe('sidecar: docker-compose.yml', () => {
    const s = layout('docker-compose.yml', 'wharf');
    it('the labelled app answers through the router', () => s.labelledAppAnswers(), 60_000);
    it('a middleware chain from labels applies', () => s.chainApplies(), 60_000);
    it('scale whoami=3 spreads requests over 3; stopping one removes it', () => s.scaleAndStop(), 120_000);
    it('the router reads the mounted socket, runs non-root on a read-only root and is healthy', async () => {
      const info = await s.stack().container('wharf');
      expect(info.Mounts.some((m) => m.Destination === '/var/run/docker.sock')).toBe(true);
      await s.routerHealthy();
    }, 90_000);
  });

  describe('clustered: docker-compose.cluster.yml', () => {
    const s = layout('docker-compose.cluster.yml', 'router');
    const project = () => s.stack().project;
    const nets = (c: Docker.ContainerInspectInfo) =>
      Object.keys(c.NetworkSettings.Networks)
        .map((n) => n.replace(`${project()}_`, ''))
        .sort();

    it('the labelled app answers through registrar → Consul → router', () => s.labelledAppAnswers(), 60_000);
    it('a middleware chain from labels applies', () => s.chainApplies(), 60_000);

    it('the router holds no Docker socket and has no way to Docker', async () => {
      const router = await s.stack().container('router');
      const registrar = await s.stack().container('registrar');
      const consul = await s.stack().container('consul');
      expect(router.Mounts.map((m) => m.Destination)).toEqual(['/etc/wharf/wharf.yml']);
      expect(router.HostConfig.GroupAdd ?? []).toEqual([]);
      expect(router.Config.Env.filter((e) => /^DOCKER_|_DOCKER_ENDPOINT=/.test(e))).toEqual([]);
      expect(registrar.Mounts.filter((m) => m.Destination === '/var/run/docker.sock')).toHaveLength(1);
      // Networks: the router never shares one with the registrar, the only container with the socket.
      expect(nets(router)).toEqual(['front', 'kv', 'services']);
      expect(nets(registrar)).toEqual(['control']);
      expect(nets(consul)).toEqual(['control', 'kv']);
      for (const n of ['kv', 'control']) {
        expect((await docker.getNetwork(`${project()}_${n}`).inspect()).Internal, n).toBe(true);
      }
      for (const app of [...(await s.stack().containers('whoami')), await s.stack().container('api')])
        expect(nets(app)).toEqual(['services']);
      // Inside the router there is no socket to open.
      const exec = await docker.getContainer(router.Id).exec({
        Cmd: [
          '/usr/local/bin/node',
          '-e',
          "try { require('fs').statSync('/var/run/docker.sock'); console.log('present') } catch (e) { console.log(e.code) }",
        ],
        AttachStdout: true,
        AttachStderr: true,
      });
      const out = await new Promise<string>((resolve, reject) => {
        exec.start({ hijack: true, stdin: false }, (err, stream) => {
          if (err || !stream) return reject(err ?? new Error('no exec stream'));
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('end', () => resolve(Buffer.concat(chunks).toString()));
          stream.on('error', reject);
        });
      });
      expect(out).toContain('ENOENT');
    }, 60_000);

    it('the registrar publishes no ports and listens on none', async () => {
      const registrar = await s.stack().container('registrar');
      expect(Object.keys(registrar.HostConfig.PortBindings ?? {})).toEqual([]);
      expect(Object.keys(registrar.NetworkSettings.Ports ?? {})).toEqual([]);
      expect(registrar.Config.ExposedPorts ?? {}).toEqual({});
      expect(listeningPorts(registrar.State.Pid)).toEqual({ tcp: [], udp: [] });
      // The same reading of /proc finds the router's listeners, so the empty answer above means something.
      const router = await s.stack().container('router');
      expect(listeningPorts(router.State.Pid).tcp).toEqual([80, 443, 8080]);
      expect(registrar.HostConfig.ReadonlyRootfs).toBe(true);
    }, 60_000);

    it('restarting the registrar does not interrupt routing', async () => {
      const before = await s.stack().container('registrar');
      let stop = false;
      const seen: number[] = [];
      const poller = (async () => {
        while (!stop) {
          seen.push((await get(s.web(), 'whoami.localhost')).status);
          await new Promise((r) => setTimeout(r, 20));
        }
      })();
      try {
        await s.withLogs(s.stack().run('restart', '-t', '5', 'registrar'));
        // Until the new registrar has taken over and reports Docker and Consul up (its health check).
        await s.withLogs(
          waitFor(
            async () => {
              const c = await s.stack().container('registrar');
              return c.State.StartedAt !== before.State.StartedAt && c.State.Health?.Status === 'healthy';
            },
            'the restarted registrar to be healthy',
            60_000,
          ),
        );
      } finally {
        stop = true;
        await poller;
      }
      expect(seen.length).toBeGreaterThan(50);
      expect(seen.filter((status) => status !== 200)).toEqual([]);
    }, 120_000);

    it(
      'after the restart: scale whoami=3 spreads requests over 3; stopping one removes it',
      () => s.scaleAndStop(),
      120_000,
    );
    it('the router is non-root on a read-only root and healthy', () => s.routerHealthy(), 90_000);
  });
});

// Issue 17: the router image carries both native addons, their libraries and the CRS. The example of
// docker-compose.waf.yml runs on it: the CRS blocks attacks, gzip comes from libdeflate, the ban bans.
describe.skipIf(e2eSkip !== undefined)('waf and ban: docker-compose.waf.yml (real Docker Engine)', () => {
  const docker = 'docker' in engine ? engine.docker : (undefined as never);
  const host = 'host' in engine ? engine.host : '';
  let images: LocalImages;
  let stack: ComposeStack;
  let web: string;
  const project = `wharfw${randomBytes(3).toString('hex')}`;
  const auth = (password: string) => ({
    authorization: `Basic ${Buffer.from(`demo:${password}`).toString('base64')}`,
  });
  const withLogs = async <T>(what: Promise<T>): Promise<T> => {
    try {
      return await what;
    } catch (err) {
      (err as Error).message += `\n--- compose logs ---\n${await stack.logs()}`;
      throw err;
    }
  };
  /** Requests the CRS blocked so far: each is a failure for the ban middleware too (onWafBlock). */
  let wafBlocks = 0;

  beforeAll(async () => {
    // The images of the suite above (the same content hash: built once per engine).
    images = await ensureLocalImages(docker, (m) => console.log(`[compose] ${m}`));
    stack = new ComposeStack({
      cli: cli as Cli,
      docker,
      file: 'docker-compose.waf.yml',
      project,
      engineHost: host,
      images,
      labels: testLabels(),
      bridgeName: () => testBridgeName(),
    });
    await withLogs(stack.up());
    web = await stack.published('wharf', 80);
    await withLogs(
      waitFor(
        async () => (await getRaw(web, 'app.localhost', '/', auth(WAF_DEMO_PASSWORD))).status === 200,
        'app.localhost to answer 200 with the demo credentials',
        30_000,
      ),
    );
  }, 300_000);
  afterAll(async () => {
    await stack?.down();
  }, 60_000);

  it('the router loads both addons (no WAF_UNAVAILABLE, gzip by libdeflate) and runs on jemalloc', async () => {
    // A body that is whole within one turn of the event loop is gzipped in one call (libdeflate, with a
    // Content-Length); one still arriving is streamed through Node's zlib (chunked). On a busy machine the
    // app's body can arrive in two reads, so ask until one response came whole (at most 10 requests).
    const fetchEnv = () =>
      getRaw(web, 'app.localhost', '/env.json', { ...auth(WAF_DEMO_PASSWORD), 'accept-encoding': 'gzip' });
    let r = await fetchEnv();
    for (let i = 1; i < 10 && r.headers['content-length'] === undefined; i++) r = await fetchEnv();
    expect({
      status: r.status,
      encoding: r.headers['content-encoding'],
      whole: r.headers['content-length'] !== undefined,
    }).toEqual({ status: 200, encoding: 'gzip', whole: true });
    // The gzip header's OS byte: 255 (unknown) from libdeflate, 3 (Unix) from Node's zlib.
    expect(r.body[9]).toBe(0xff);
    expect(JSON.parse(gunzipSync(r.body).toString()).WHARF_TEST_PAD).toBe(WAF_APP_PAD.WHARF_TEST_PAD);
    const wharf = await stack.container('wharf');
    const log = demux(await docker.getContainer(wharf.Id).logs({ stdout: true, stderr: true }));
    expect(log).toContain('compress: gzip of whole bodies by libdeflate');
    expect(log).not.toMatch(/WAF_UNAVAILABLE|WAF_RULES_INVALID|gzip by Node's zlib/);
    // The image's LD_PRELOAD puts the router on jemalloc (the start line says which allocator runs).
    const started = log.split('\n').find((l) => l.includes('Wharf started')) ?? '';
    expect(stripVTControlCharacters(started)).toMatch(/allocator=jemalloc|"allocator":"jemalloc"/);
  });

  it('the CRS blocks attacks with 403 before the password is asked, and passes benign requests', async () => {
    const benign = await getRaw(web, 'app.localhost', '/?q=hello+world&page=2', auth(WAF_DEMO_PASSWORD));
    expect(benign.status).toBe(200);
    expect(hostnameOf(benign.body.toString())).toBe((await stack.container('app')).Config.Hostname);
    for (const attack of ["/?id=1'%20OR%20'1'='1", '/?x=%3Cscript%3Ealert(1)%3C/script%3E']) {
      const blocked = await getRaw(web, 'app.localhost', attack, {});
      expect({ attack, status: blocked.status }).toEqual({ attack, status: 403 });
      wafBlocks++;
    }
    // Without credentials a benign request reaches basicAuth: 401, not a waf block.
    expect((await getRaw(web, 'app.localhost', '/', {})).status).toBe(401);
  });

  it('five failures (WAF blocks and refused logins) ban the client, even with the right password', async () => {
    let refused = 0;
    for (let i = 0; i < 10; i++) {
      const r = await getRaw(web, 'app.localhost', '/', auth('wrong'));
      if (r.status !== 401) break;
      refused++;
    }
    expect(wafBlocks + refused).toBe(5);
    expect((await getRaw(web, 'app.localhost', '/', auth(WAF_DEMO_PASSWORD))).status).toBe(403);
    const bans = await getRaw(await stack.published('wharf', 8080), 'localhost', '/api/wharf/bans', {});
    expect(bans.status).toBe(200);
    expect(bans.body.toString()).toContain('app-ban');
  });
});

// composeEnv is part of the harness's contract with the compose files: every variable it sets is used.
describe('compose variables', () => {
  it('every variable the tests set is one the compose files read', () => {
    const text = composeFiles.map((f) => readFileSync(join(COMPOSE_DIR, f), 'utf8')).join('\n');
    for (const name of Object.keys(composeEnv('unix:///var/run/docker.sock', 0))) {
      if (name.startsWith('COMPOSE_') || name === 'DOCKER_HOST') continue;
      expect(text, name).toContain(`\${${name}`);
    }
  });
});
