import type { ErrorCode } from '../../config/errors.ts';
import type { ContainerInfo } from './container.ts';
import type { Label } from './labels.ts';

// Where Wharf reaches a container: which network's address, and which port when no label names one.

/** A problem that leaves the container's services out (or, as a warning, is only worth a word). */
export interface AddressProblem {
  readonly code: ErrorCode;
  readonly params: Record<string, string>;
  readonly severity: 'error' | 'warning';
  /** The label at fault or the label to set. */
  readonly key: string;
  readonly value?: string;
  readonly suggestion?: string;
}

/** The host part of a server URL (IPv6 in brackets), and a warning worth reporting, if any. */
export type AddressResult =
  | { ok: true; host: string; warning?: AddressProblem }
  | { ok: false; problem: AddressProblem };

/** Network choice: the `<prefix>.docker.network` label beats `providers.docker.network`. */
export interface NetworkChoice {
  readonly label?: Label;
  readonly option?: string;
  /** `<prefix>.docker.network`, for messages telling what to set. */
  readonly labelKey: string;
}

/** Where servers point: the container's own address, or the Docker host's address and a published port. */
export type AddressMode = { readonly mode: 'container' } | { readonly mode: 'host'; readonly hostIP: string };

const hostOf = (ip: string): string => (ip.includes(':') ? `[${ip}]` : ip);

/** The network's address, IPv4 first, then the global IPv6 one. */
function ipOf(net: { IPAddress: string; GlobalIPv6Address: string }): string {
  return net.IPAddress !== '' ? net.IPAddress : net.GlobalIPv6Address;
}

/** Picks the address a container is reached on, or says why there is none. Never picks at random. */
export function containerAddress(c: ContainerInfo, container: string, choice: NetworkChoice): AddressResult {
  const mode = c.HostConfig.NetworkMode;
  const fail = (code: ErrorCode, params: Record<string, string>, extra: Partial<AddressProblem> = {}) => ({
    ok: false as const,
    problem: {
      code,
      params: { container, ...params },
      severity: 'error' as const,
      key: choice.labelKey,
      ...extra,
    },
  });
  if (mode === 'host') return { ok: true, host: '127.0.0.1' };
  if (mode.startsWith('container:')) {
    return fail('DOCKER_NETWORK_MODE_UNSUPPORTED', {
      mode,
      hint: '; set loadbalancer.server.url to reach it through the container whose network it shares',
    });
  }
  const networks = c.NetworkSettings.Networks;
  const names = Object.keys(networks).sort();
  const list = names.length > 0 ? names.join(', ') : 'none';
  const wanted = choice.label?.value ?? choice.option;
  let warning: AddressProblem | undefined;
  if (wanted !== undefined && wanted !== '') {
    const net = networks[wanted];
    if (net) {
      const ip = ipOf(net);
      if (ip === '') return fail('DOCKER_NO_ADDRESS', { where: ` on network "${wanted}"` });
      return { ok: true, host: hostOf(ip) };
    }
    const from = choice.label ? choice.label.key : 'providers.docker.network';
    const guess = prefixGuess(wanted, names, c.Config.Labels['com.docker.compose.project']);
    const hint =
      guess !== undefined
        ? `; did you mean "${guess}"? (compose prefixes network names with the project name)`
        : '; a network from a compose file is named <project>_<network>';
    const params = { network: wanted, from, networks: list, hint };
    const extra = {
      ...(choice.label && { key: choice.label.key, value: choice.label.value }),
      ...(guess !== undefined && { suggestion: guess }),
    };
    // A wrong label is the user's explicit intent: no guessing. The provider-wide option is a default,
    // so a container on a single network still gets that network, with a warning.
    if (choice.label || names.length !== 1) return fail('DOCKER_NETWORK_NOT_FOUND', params, extra);
    warning = {
      code: 'DOCKER_NETWORK_NOT_FOUND',
      params: { container, ...params, hint: `${hint}; using "${names[0]}"` },
      severity: 'warning',
      key: choice.labelKey,
      ...extra,
    };
  }
  if (names.length === 0) return fail('DOCKER_NO_ADDRESS', { where: ` (network mode "${mode}")` });
  if (names.length > 1) return fail('DOCKER_NETWORK_AMBIGUOUS', { networks: list, label: choice.labelKey });
  const only = names[0] as string;
  const ip = ipOf(networks[only] as { IPAddress: string; GlobalIPv6Address: string });
  if (ip === '') return fail('DOCKER_NO_ADDRESS', { where: ` on network "${only}"` });
  return { ok: true, host: hostOf(ip), ...(warning && { warning }) };
}

/** A container network that is the wanted one with a compose project prefix. */
function prefixGuess(
  wanted: string,
  names: readonly string[],
  project: string | undefined,
): string | undefined {
  if (project !== undefined && names.includes(`${project}_${wanted}`)) return `${project}_${wanted}`;
  const matches = names.filter((n) => n.endsWith(`_${wanted}`));
  return matches.length === 1 ? matches[0] : undefined;
}

/** The lowest TCP port the container exposes (image EXPOSE, `expose:`, published ports), if any. */
export function lowestPort(c: ContainerInfo): number | undefined {
  const keys = [...Object.keys(c.Config.ExposedPorts), ...Object.keys(c.NetworkSettings.Ports ?? {})];
  let lowest: number | undefined;
  for (const key of keys) {
    const m = /^(\d+)(?:\/(\w+))?$/.exec(key.trim());
    if (!m || (m[2] !== undefined && m[2].toLowerCase() !== 'tcp')) continue;
    const port = Number(m[1]);
    if (port > 0 && port < 65536 && (lowest === undefined || port < lowest)) lowest = port;
  }
  return lowest;
}

const LOOPBACK = /^(127\.|::1$|localhost$)/;
const ANY = new Set(['', '0.0.0.0', '::']);

/**
 * `host` mode: the host and port routers on other hosts reach `port` of the container on. A container in
 * host network mode is `hostIP:port`; otherwise the port must be published: a binding on every address
 * gives `hostIP:<published>`, one on a specific non-loopback address gives that address. A port published
 * only on loopback, or not at all, is a problem naming what to change.
 */
export function publishedAddress(
  c: ContainerInfo,
  container: string,
  port: number,
  hostIP: string,
  labelKey: string,
): { ok: true; host: string; port: number } | { ok: false; problem: AddressProblem } {
  if (c.HostConfig.NetworkMode === 'host') return { ok: true, host: hostOf(hostIP), port };
  const bindings = c.NetworkSettings.Ports?.[`${port}/tcp`] ?? [];
  const usable = (b: { HostIp: string; HostPort: string }) =>
    /^\d+$/.test(b.HostPort) && Number(b.HostPort) > 0;
  const any = bindings.find((b) => usable(b) && ANY.has(b.HostIp));
  if (any) return { ok: true, host: hostOf(hostIP), port: Number(any.HostPort) };
  const specific = bindings.find((b) => usable(b) && !LOOPBACK.test(b.HostIp));
  if (specific) return { ok: true, host: hostOf(specific.HostIp), port: Number(specific.HostPort) };
  const loopback = bindings.find(usable);
  const detail = loopback ? ` (only on ${loopback.HostIp})` : '';
  return {
    ok: false,
    problem: {
      code: 'REGISTRAR_PORT_NOT_PUBLISHED',
      params: { container, port: String(port), detail },
      severity: 'error',
      key: labelKey,
    },
  };
}

/**
 * `providers.docker.useBindPortIP`, as Traefik's getIPPort: the first host binding of `port` (TCP, then
 * UDP) when it names a specific IP; undefined (the container's own address is used) for none, or for a
 * binding on every address (`0.0.0.0`, `::`, empty), whose IP says nothing about where to connect.
 */
export function bindPortAddress(c: ContainerInfo, port: number): { host: string; port: number } | undefined {
  const bindings = c.NetworkSettings.Ports?.[`${port}/tcp`] ?? c.NetworkSettings.Ports?.[`${port}/udp`];
  const first = bindings?.[0];
  if (!first || ANY.has(first.HostIp) || !/^\d+$/.test(first.HostPort)) return undefined;
  return { host: hostOf(first.HostIp), port: Number(first.HostPort) };
}
