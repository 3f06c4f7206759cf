import { basename, dirname, extname, resolve } from 'node:path';
import { load as loadYaml } from 'js-yaml';
import { isPlainObject } from '../config/canonicalize.ts';
import { type ContainerInfo, ContainerInfoSchema } from '../providers/docker/container.ts';
import { interpolateTree, type Lookup } from './compose-interpolation.ts';

// `wharf check --labels FILE` reads labels without Docker: `KEY=VALUE` lines (Docker's --label-file
// format) or a compose file. Each becomes a synthetic running container reachable on 127.0.0.1.

/** The containers a labels file describes, and problems reading it. */
export interface LabelsInput {
  readonly kind: 'labels' | 'compose';
  readonly containers: ContainerInfo[];
  readonly errors: string[];
  /** The compose project name (compose files only). */
  readonly project?: string;
  /**
   * Variables a compose file uses that are not set (compose gives them an empty string, with a warning),
   * in order of first use; empty for label files, which are not interpolated (nor are they by Docker).
   */
  readonly unresolved: string[];
}

/** Where a synthetic container is reached: every network it is on answers 127.0.0.1. */
const PLACEHOLDER_IP = '127.0.0.1';

/** Compose's project name rule: lower case, only letters, digits, '_' and '-'. */
export function composeProjectName(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9_-]/g, '');
}

/**
 * Reads a labels file's text: a compose file when it is YAML with a `services:` map, a YAML map of
 * labels, or else KEY=VALUE lines.
 */
export function readLabelsInput(
  text: string,
  file: string,
  opts: { labelPrefix: string; network?: string | undefined },
  variables: Lookup = () => undefined,
): LabelsInput {
  let doc: unknown;
  try {
    doc = loadYaml(text);
  } catch {
    doc = undefined; // not YAML: KEY=VALUE lines
  }
  if (isPlainObject(doc) && isPlainObject(doc.services)) {
    // As `docker compose` does, before anything reads the file: every value, never a key.
    const { tree, unresolved, errors } = interpolateTree(doc, variables);
    const input = fromCompose(tree as Record<string, unknown>, file);
    return { ...input, errors: [...errors.map((e) => `${file}: ${e}`), ...input.errors], unresolved };
  }
  const errors: string[] = [];
  const labels: Record<string, string> = {};
  const scalar = (v: unknown) => v === null || ['string', 'number', 'boolean'].includes(typeof v);
  if (isPlainObject(doc) && Object.values(doc).every(scalar)) {
    // A YAML map of labels, as under a compose service's `labels:`.
    for (const [k, v] of Object.entries(doc)) labels[k] = v === null ? '' : String(v);
  } else
    text.split('\n').forEach((raw, i) => {
      const line = raw.replace(/\r$/, '');
      if (line.trim() === '' || line.trimStart().startsWith('#')) return;
      const eq = line.indexOf('=');
      if (eq <= 0) {
        errors.push(`${file}, line ${i + 1}: expected KEY=VALUE, got "${line.trim()}"`);
        return;
      }
      labels[line.slice(0, eq).trim()] = line.slice(eq + 1);
    });
  const stem = basename(file, extname(file));
  const name = stem === '' || stem.startsWith('.') ? 'app' : stem;
  // No network information in a label file: the container is on the network the labels ask for.
  const lead = `${opts.labelPrefix.toLowerCase()}.docker.network`;
  const wanted = Object.entries(labels).find(([k]) => k.toLowerCase() === lead)?.[1] ?? opts.network;
  const container = synthetic(name, labels, [], [wanted !== undefined && wanted !== '' ? wanted : 'default']);
  return { kind: 'labels', containers: [container], errors, unresolved: [] };
}

function fromCompose(doc: Record<string, unknown>, file: string): Omit<LabelsInput, 'unresolved'> {
  const errors: string[] = [];
  const project = composeProjectName(
    typeof doc.name === 'string' ? doc.name : basename(dirname(resolve(file))),
  );
  const topNetworks = isPlainObject(doc.networks) ? doc.networks : {};
  const containers: ContainerInfo[] = [];
  for (const [service, raw] of Object.entries(doc.services as Record<string, unknown>)) {
    const def = isPlainObject(raw) ? raw : {};
    const labels: Record<string, string> = {};
    if (Array.isArray(def.labels)) {
      for (const item of def.labels) {
        const s = String(item);
        const eq = s.indexOf('=');
        labels[eq < 0 ? s : s.slice(0, eq)] = eq < 0 ? '' : s.slice(eq + 1);
      }
    } else if (isPlainObject(def.labels)) {
      for (const [k, v] of Object.entries(def.labels)) labels[k] = v === null ? '' : String(v);
    } else if (def.labels !== undefined) {
      errors.push(`${file}: services.${service}.labels must be a map or a list of KEY=VALUE`);
    }
    labels['com.docker.compose.service'] = service;
    labels['com.docker.compose.project'] = project;
    const name = typeof def.container_name === 'string' ? def.container_name : `${project}-${service}-1`;
    const ports = [...list(def.expose), ...list(def.ports)].map(containerPort).filter((p) => p !== undefined);
    const mode = typeof def.network_mode === 'string' ? def.network_mode : undefined;
    if (mode === 'host') containers.push(synthetic(name, labels, ports, [], 'host'));
    else if (mode?.startsWith('service:') || mode?.startsWith('container:'))
      containers.push(synthetic(name, labels, ports, [], `container:${mode.slice(mode.indexOf(':') + 1)}`));
    else {
      const nets = Array.isArray(def.networks)
        ? def.networks.map(String)
        : isPlainObject(def.networks)
          ? Object.keys(def.networks)
          : ['default'];
      containers.push(
        synthetic(
          name,
          labels,
          ports,
          nets.map((n) => networkName(n, project, topNetworks)),
        ),
      );
    }
  }
  return { kind: 'compose', containers, errors, project };
}

/** The Docker name of a compose network: its `name:`, itself when external, else `<project>_<network>`. */
function networkName(n: string, project: string, top: Record<string, unknown>): string {
  const def = top[n];
  if (isPlainObject(def)) {
    if (typeof def.name === 'string') return def.name;
    if (def.external === true) return n;
    if (isPlainObject(def.external) && typeof def.external.name === 'string') return def.external.name;
  }
  return `${project}_${n}`;
}

const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** The container side of a compose `expose` or `ports` entry: "80", "8080:80", "127.0.0.1:8080:80/tcp", {target: 80}. */
function containerPort(entry: unknown): string | undefined {
  if (isPlainObject(entry)) {
    const proto = typeof entry.protocol === 'string' ? entry.protocol : 'tcp';
    return entry.target === undefined ? undefined : `${String(entry.target)}/${proto}`;
  }
  const s = String(entry);
  const [spec, proto = 'tcp'] = s.split('/') as [string, string | undefined];
  const port = (spec.split(':').at(-1) ?? '').split('-')[0] ?? '';
  return /^\d+$/.test(port) ? `${port}/${proto}` : undefined;
}

function synthetic(
  name: string,
  labels: Record<string, string>,
  ports: readonly string[],
  networks: readonly string[],
  mode = 'default',
): ContainerInfo {
  return ContainerInfoSchema.parse({
    Id: `check-${name}`,
    Name: `/${name}`,
    Config: { Labels: labels, ExposedPorts: Object.fromEntries(ports.map((p) => [p, {}])) },
    State: { Status: 'running', Running: true },
    HostConfig: { NetworkMode: mode },
    NetworkSettings: {
      Networks: Object.fromEntries(networks.map((n) => [n, { IPAddress: PLACEHOLDER_IP }])),
    },
  });
}
