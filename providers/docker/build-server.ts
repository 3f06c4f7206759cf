import type { Diagnostic, DiagnosticItem } from '../../config/diagnostics.ts';
import type { Server, ServiceConfig } from '../../config/dynamic.ts';
import { ServerSchema } from '../../config/dynamic.ts';
import type { ErrorCode } from '../../config/errors.ts';
import { type AddressMode, type AddressResult, type NetworkChoice, publishedAddress } from './address.ts';
import type { ContainerInfo } from './container.ts';
import { type Label, labelDiagnostic, type ServerField } from './labels.ts';

// Turns the Docker-only `loadbalancer.server.{port,scheme,url,weight,preservepath}` labels and the
// container's address into the one server this container adds to each of its services.

/** What building a container's servers needs; the address is looked up once, when first needed. */
export interface ServerContext {
  readonly container: ContainerInfo;
  /** The container name (diagnostics' subject). */
  readonly name: string;
  readonly prefix: string;
  /** Services get no server (unhealthy with allowEmptyServices, or stopped with allownonrunning). */
  readonly empty: boolean;
  readonly network: NetworkChoice;
  address: AddressResult | undefined;
  readonly addressOf: () => AddressResult;
  /** Container address (default) or host address and published port (the registrar's host mode). */
  readonly mode: AddressMode;
  readonly lowestPort: number | undefined;
  readonly diagnostics: Diagnostic[];
  /** Set once the address warning has been reported. */
  warned?: boolean;
}

type Problem = {
  code: ErrorCode;
  key?: string;
  value?: string;
  params: Record<string, string>;
  suggestion?: string;
};

function check(fields: ReadonlyMap<ServerField, Label>): Problem | Partial<Server> {
  const f = (k: ServerField) => fields.get(k);
  const bad = (l: Label, problem: string): Problem => ({
    code: 'CONFIG_INVALID_VALUE',
    key: l.key,
    value: l.value,
    params: { problem },
  });
  const url = f('url');
  const other = f('port') ?? f('scheme');
  if (url && other)
    return bad(other, `cannot be combined with ${url.key}: give either the URL or the port and scheme`);
  const port = f('port');
  if (port && !/^\d+$/.test(port.value.trim())) return bad(port, `"${port.value}" is not a port number`);
  if (port && (Number(port.value) < 1 || Number(port.value) > 65535))
    return bad(port, `${port.value} is not a port between 1 and 65535`);
  const scheme = f('scheme');
  if (scheme && !/^(https?|h2c)$/i.test(scheme.value.trim()))
    return bad(scheme, `"${scheme.value}" is not a supported scheme (http, https or h2c)`);
  const out: Partial<Server> = {};
  if (url) {
    const parsed = ServerSchema.shape.url.safeParse(url.value.trim());
    if (!parsed.success) return bad(url, parsed.error.issues[0]?.message ?? 'is not a URL');
    out.url = parsed.data;
  }
  const weight = f('weight');
  if (weight) {
    if (!/^\d+$/.test(weight.value.trim()))
      return bad(weight, `"${weight.value}" is not a whole number of 0 or more`);
    out.weight = Number(weight.value);
  }
  const preserve = f('preservepath');
  if (preserve) {
    if (!/^(true|false)$/i.test(preserve.value.trim()))
      return bad(preserve, `"${preserve.value}" is not true or false`);
    out.preservePath = /^true$/i.test(preserve.value.trim());
  }
  return out;
}

/**
 * The service with this container's server added; undefined (and a diagnostic) when the service must be
 * left out: a bad server label, no port, or no address to reach the container on.
 */
export function buildServer(
  ctx: ServerContext,
  service: string,
  config: ServiceConfig,
  fields: ReadonlyMap<ServerField, Label>,
): ServiceConfig | undefined {
  const item: DiagnosticItem = { kind: 'service', name: service };
  const fail = (p: Problem, severity: 'error' | 'warning' = 'error'): undefined => {
    ctx.diagnostics.push(labelDiagnostic(ctx.name, { ...p, item, severity }));
    return undefined;
  };
  const first = fields.values().next().value as Label | undefined;
  const lb = config.loadBalancer;
  if (!lb) {
    if (!first) return config;
    return fail({
      code: 'CONFIG_INVALID_VALUE',
      key: first.key,
      value: first.value,
      params: { problem: 'server keys belong to a loadBalancer service' },
    });
  }
  const checked = check(fields);
  if ('code' in checked) return fail(checked);
  if (lb.servers !== undefined) {
    if (!first) return config;
    const problem = 'cannot be combined with loadbalancer.servers[n] labels; use one or the other';
    return fail({ code: 'CONFIG_INVALID_VALUE', key: first.key, value: first.value, params: { problem } });
  }
  const withServer = (server: Server | undefined): ServiceConfig => ({
    ...config,
    loadBalancer: { ...lb, servers: server ? [server] : [] },
  });
  if (ctx.empty) return withServer(undefined);
  const { url, ...extras } = checked;
  if (url !== undefined) return withServer({ url, ...extras });
  const portLabel = fields.get('port');
  const port = portLabel ? Number(portLabel.value) : ctx.lowestPort;
  if (port === undefined) {
    const label = `${ctx.prefix}.http.services.${service}.loadbalancer.server.port`;
    return fail({ code: 'DOCKER_NO_PORT', key: label, params: { container: ctx.name, service, label } });
  }
  const scheme = fields.get('scheme')?.value.trim().toLowerCase() ?? 'http';
  if (ctx.mode.mode === 'host') {
    const label = `${ctx.prefix}.http.services.${service}.loadbalancer.server.port`;
    const published = publishedAddress(ctx.container, ctx.name, port, ctx.mode.hostIP, label);
    if (!published.ok) return fail({ ...published.problem });
    return withServer({ url: `${scheme}://${published.host}:${published.port}`, ...extras });
  }
  ctx.address ??= ctx.addressOf();
  const address = ctx.address;
  if (!address.ok) {
    const { code, key, value, params, suggestion } = address.problem;
    return fail({
      code,
      key,
      params,
      ...(value !== undefined && { value }),
      ...(suggestion !== undefined && { suggestion }),
    });
  }
  if (address.warning && !ctx.warned) {
    ctx.warned = true;
    const { code, key, value, params, suggestion } = address.warning;
    ctx.diagnostics.push(
      labelDiagnostic(ctx.name, {
        code,
        key,
        params,
        severity: 'warning',
        ...(value !== undefined && { value }),
        ...(suggestion !== undefined && { suggestion }),
      }),
    );
  }
  return withServer({ url: `${scheme}://${address.host}:${port}`, ...extras });
}
