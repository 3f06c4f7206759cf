import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { parse } from 'yaml';
import { type ComposeCli, compose, composeOk } from './compose-cli.ts';
import { type LocalImages, REPO } from './local-images.ts';

type Cli = Exclude<ComposeCli, { skip: string }>;

/** A compose file of compose/ and the override that swaps its images for the local ones. */
export type StackFile = 'docker-compose.yml' | 'docker-compose.cluster.yml' | 'docker-compose.waf.yml';

/**
 * An environment variable of the waf layout's app in the test: the busybox stand-in writes its environment
 * to /env.json, which this makes larger than compress's 1024-byte minimum (so the gzip engine shows).
 */
export const WAF_APP_PAD = { WHARF_TEST_PAD: 'wharf '.repeat(400) };

/**
 * The override a test runs a compose file with: it swaps only the images (the router and registrar for the
 * local recipe's, traefik/whoami for a busybox stand-in, Consul for the Consul test server, whose command
 * differs) and labels what compose creates, so that the Docker test teardown finds it after a crash (the
 * networks keep the file's definition); the waf layout's app also gets WAF_APP_PAD. Ports, the socket and
 * its group come from the compose files' own variables (see composeEnv).
 */
export function overrideFor(
  file: StackFile,
  images: LocalImages,
  labels: Record<string, string>,
  bridgeName?: () => string,
): unknown {
  const app = { image: images.whoami, labels };
  const services: Record<string, unknown> =
    file === 'docker-compose.yml'
      ? { wharf: { image: images.router, labels }, whoami: app, api: app }
      : file === 'docker-compose.waf.yml'
        ? { wharf: { image: images.router, labels }, app: { ...app, environment: WAF_APP_PAD } }
        : {
            consul: {
              image: images.consul,
              command: ['--host', '0.0.0.0', '--port', '8500'],
              labels,
            },
            registrar: { image: images.registrar, labels },
            router: { image: images.router, labels },
            whoami: app,
            api: app,
          };
  // Compose replaces a network's whole definition from an override: keep the file's (internal: true, ...).
  // With `bridgeName`, each network's Linux bridge is named after the test run, so that the run's iptables
  // rules let it forward (test/docker/forwarding.ts) and a later run can delete it after a crash.
  const declared = (parse(readFileSync(join(REPO, 'compose', file), 'utf8')) as { networks?: object })
    .networks;
  const networks = Object.fromEntries(
    Object.entries(declared ?? {}).map(([name, def]) => {
      const d = def as { driver_opts?: Record<string, string> } | null;
      const bridge = bridgeName
        ? { driver_opts: { ...d?.driver_opts, 'com.docker.network.bridge.name': bridgeName() } }
        : {};
      return [name, { ...d, labels, ...bridge }];
    }),
  );
  return { services, networks };
}

/**
 * The compose files' variables for a test engine: its socket and the socket's group, and every published
 * port on a free port of 127.0.0.1 (the tests read which from Docker).
 */
export function composeEnv(engineHost: string, socketGid: number): Record<string, string> {
  return {
    DOCKER_HOST: engineHost,
    DOCKER_SOCKET: engineHost.slice('unix://'.length),
    DOCKER_GID: String(socketGid),
    HTTP_PUBLISH: '127.0.0.1:',
    HTTPS_PUBLISH: '127.0.0.1:',
    API_PUBLISH: '127.0.0.1:',
    COMPOSE_FILE: '',
    COMPOSE_PROJECT_NAME: '',
  };
}

/** One compose project started from a file of compose/ with the local images. */
export class ComposeStack {
  private readonly dir = mkdtempSync(join(tmpdir(), 'wharf-compose-'));
  private readonly override = join(this.dir, 'override.yml');
  readonly env: Record<string, string>;

  private readonly cli: Cli;
  private readonly docker: Docker;
  /** The compose file of compose/ this project runs. */
  readonly file: StackFile;
  /** The compose project name (unique per test run). */
  readonly project: string;

  constructor(opts: {
    cli: Cli;
    docker: Docker;
    file: StackFile;
    project: string;
    engineHost: string;
    images: LocalImages;
    labels: Record<string, string>;
    /** Names each network's Linux bridge (testBridgeName in test/docker/engine.ts). */
    bridgeName?: () => string;
  }) {
    this.cli = opts.cli;
    this.docker = opts.docker;
    this.file = opts.file;
    this.project = opts.project;
    this.env = composeEnv(opts.engineHost, statSync(opts.engineHost.slice('unix://'.length)).gid);
    // JSON is YAML: the override is written as JSON.
    writeFileSync(
      this.override,
      JSON.stringify(overrideFor(opts.file, opts.images, opts.labels, opts.bridgeName), null, 2),
    );
  }

  private args(...rest: string[]): string[] {
    return ['-p', this.project, '-f', join(REPO, 'compose', this.file), '-f', this.override, ...rest];
  }

  /** `up -d` without building (the images exist); `extra` e.g. ['--scale', 'whoami=3', 'whoami']. */
  async up(...extra: string[]): Promise<void> {
    await composeOk(this.cli, this.args('up', '-d', '--no-build', ...extra), {
      env: this.env,
      timeoutMs: 120_000,
    });
  }

  /** Runs any compose subcommand of this project (e.g. `restart registrar`). */
  async run(...args: string[]): Promise<string> {
    return composeOk(this.cli, this.args(...args), { env: this.env });
  }

  /** Running containers of a service, inspected. */
  async containers(service: string): Promise<Docker.ContainerInspectInfo[]> {
    const list = await this.docker.listContainers({
      filters: {
        label: [`com.docker.compose.project=${this.project}`, `com.docker.compose.service=${service}`],
      },
    });
    return Promise.all(list.map((c) => this.docker.getContainer(c.Id).inspect()));
  }

  /** The only running container of a service. */
  async container(service: string): Promise<Docker.ContainerInspectInfo> {
    const all = await this.containers(service);
    if (all.length !== 1) throw new Error(`expected one ${service} container, found ${all.length}`);
    return all[0] as Docker.ContainerInspectInfo;
  }

  /** `http://127.0.0.1:<port>` that Docker published for a service's container port. */
  async published(service: string, port: number): Promise<string> {
    const info = await this.container(service);
    const binding = info.NetworkSettings.Ports?.[`${port}/tcp`]?.find((b) => b.HostIp === '127.0.0.1');
    if (!binding) throw new Error(`${service}: port ${port} is not published on 127.0.0.1`);
    return `http://127.0.0.1:${binding.HostPort}`;
  }

  /** The last lines of every service's log, for failure messages. */
  async logs(): Promise<string> {
    const r = await compose(this.cli, this.args('logs', '--no-color', '--tail', '40'), { env: this.env });
    return r.stdout + r.stderr;
  }

  /** `down -v` (containers, networks, volumes), then the override's folder. */
  async down(): Promise<void> {
    try {
      await composeOk(this.cli, this.args('down', '-v', '--remove-orphans', '-t', '3'), {
        env: this.env,
        timeoutMs: 120_000,
      });
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }
}
