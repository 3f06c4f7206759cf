import { expect } from 'vitest';
import { isPlainObject } from '../../config/canonicalize.ts';
import type { Diagnostic } from '../../config/diagnostics.ts';
import { type ContainerInfo, ContainerInfoSchema } from '../../providers/docker/container.ts';

// Tests and golden files describe containers by what differs from a plain running one.

/** What an inspect result holds unless a test says otherwise: running, on `bridge` at 172.17.0.2. */
export const CONTAINER_DEFAULTS = {
  Id: '',
  Name: '',
  Config: { Labels: {}, ExposedPorts: {} },
  State: { Status: 'running', Running: true, Paused: false },
  HostConfig: { NetworkMode: 'bridge' },
  NetworkSettings: { Networks: { bridge: { IPAddress: '172.17.0.2', GlobalIPv6Address: '' } } },
};

/** Objects merge key by key; anything else (lists, scalars, null) replaces the default. */
function deepMerge(base: unknown, over: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(over)) return over === undefined ? base : over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = deepMerge(base[k], v);
  return out;
}

/**
 * A validated container from the parts that differ from CONTAINER_DEFAULTS. `Id` defaults to the name;
 * `NetworkSettings.Networks` given in full replaces the default network rather than adding to it.
 */
export function fakeContainer(parts: Record<string, unknown> & { Name: string }): ContainerInfo {
  const name = parts.Name.replace(/^\//, '');
  const nets = isPlainObject(parts.NetworkSettings) ? parts.NetworkSettings.Networks : undefined;
  const base = nets === undefined ? CONTAINER_DEFAULTS : { ...CONTAINER_DEFAULTS, NetworkSettings: {} };
  return ContainerInfoSchema.parse(deepMerge(base, { Id: name, ...parts, Name: `/${name}` }));
}

/** A load balancer over these server URLs, as the decoder writes it. */
export const lb = (...urls: string[]) => ({ loadBalancer: { servers: urls.map((url) => ({ url })) } });

/** An expected docker diagnostic; `message` is a fragment the message contains. */
export const diag = (
  subject: string,
  d: Omit<Diagnostic, 'source' | 'subject' | 'message' | 'severity'> & {
    message?: string;
    severity?: 'error' | 'warning';
  },
): Diagnostic => ({
  source: 'docker',
  subject,
  severity: 'error',
  ...d,
  message: expect.stringContaining(d.message ?? '') as unknown as string,
});
