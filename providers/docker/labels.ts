import { issueMessage } from '../../config/canonicalize.ts';
import type { Diagnostic, DiagnosticItem } from '../../config/diagnostics.ts';
import { type ErrorCode, formatError } from '../../config/errors.ts';
import type { FlatEntry } from '../../config/flat-keys.ts';
import { suggest } from '../../config/suggest.ts';

// Sorts a container's labels under the prefix into what the provider reads itself (enable, docker.*,
// the Docker-only `loadbalancer.server.*` keys) and what goes through the shared flat-key codec.

/** A label as written. */
export interface Label {
  readonly key: string;
  readonly value: string;
}

/** The Docker-only per-service server keys: `<prefix>.http.services.<s>.loadbalancer.server.<field>`. */
export const SERVER_FIELDS = ['port', 'scheme', 'url', 'weight', 'preservepath'] as const;
/** One of SERVER_FIELDS. */
export type ServerField = (typeof SERVER_FIELDS)[number];

/** A container's labels under the prefix, sorted by who reads them. */
export interface SplitLabels {
  readonly enable?: Label;
  /** A label one typo away from `<prefix>.enable` (`traefik.enabled=false`): the container stays out. */
  readonly misspelledEnable?: Label;
  readonly network?: Label;
  readonly allowNonRunning?: Label;
  /** Server keys by service name (as written), then by field. */
  readonly servers: Map<string, Map<ServerField, Label>>;
  /** Labels for decodeFlatKeys: `<prefix>.http.*`, `.tls.*`, `.tcp.*`, `.udp.*` except the server keys. */
  readonly entries: FlatEntry[];
  /** Names of routers and services that any label mentions, valid or not. */
  readonly routers: Set<string>;
  readonly services: Set<string>;
  /** Some label configures HTTP (routers, services or middlewares); some configures TCP or UDP. */
  readonly http: boolean;
  readonly tcpOrUdp: boolean;
  /** Problems with the provider's own keys. */
  readonly diagnostics: Diagnostic[];
}

const PROVIDER_KEYS: Record<string, 'enable' | 'network' | 'allowNonRunning'> = {
  enable: 'enable',
  'docker.network': 'network',
  'docker.allownonrunning': 'allowNonRunning',
};
const TOP = ['enable', 'docker', 'http', 'tls', 'tcp', 'udp'];

/** A docker-source diagnostic about one label, with `; <item> is left out` for errors on an item. */
export function labelDiagnostic(
  subject: string,
  d: {
    code: ErrorCode;
    key?: string;
    value?: string;
    params?: Record<string, string>;
    item?: DiagnosticItem;
    severity?: 'error' | 'warning';
    suggestion?: string;
  },
): Diagnostic {
  const severity = d.severity ?? 'error';
  // The codec's CONFIG_* codes lead with the key; Docker's own codes say what they are about themselves.
  let message = d.code.startsWith('CONFIG_')
    ? issueMessage({ code: d.code, severity, path: [], params: d.params ?? {} }, d.key ?? '', d.suggestion)
    : formatError(d.code, d.params);
  if (d.item && severity === 'error') message += `; ${d.item.kind} "${d.item.name}" is left out`;
  return {
    source: 'docker',
    subject,
    code: d.code,
    message,
    severity,
    ...(d.item && { item: d.item }),
    ...(d.key !== undefined && { key: d.key }),
    ...(d.value !== undefined && { value: d.value }),
    ...(d.suggestion !== undefined && { suggestion: d.suggestion }),
  };
}

/** Splits labels under `prefix` (case-insensitive); keys set twice in different case are reported. */
export function splitLabels(
  labels: Readonly<Record<string, string>>,
  prefix: string,
  subject: string,
): SplitLabels {
  const lead = `${prefix.toLowerCase()}.`;
  const out: { -readonly [K in keyof SplitLabels]: SplitLabels[K] } = {
    servers: new Map(),
    entries: [],
    routers: new Set(),
    services: new Set(),
    http: false,
    tcpOrUdp: false,
    diagnostics: [],
  };
  const warned = new Set<string>();
  const twice = (first: Label, key: string, item?: DiagnosticItem) =>
    labelDiagnostic(subject, {
      code: 'CONFIG_INVALID_VALUE',
      key,
      params: {
        problem: `set twice, as "${first.key}" and as "${key}" (keys are case-insensitive); keep one`,
      },
      ...(item && { item }),
    });
  const sorted = Object.keys(labels).sort();
  for (const key of sorted) {
    const value = labels[key] as string;
    const lower = key.trim().toLowerCase();
    if (!lower.startsWith(lead)) continue;
    const segs = key.trim().slice(lead.length).split('.');
    const low = segs.map((s) => s.toLowerCase());
    const top = low[0] as string;
    const provider = PROVIDER_KEYS[low.join('.')];
    // An empty string field is unset in Traefik (`docker.network=${NET}` with NET unset): its default holds.
    if (provider === 'network' && value.trim() === '') continue;
    if (provider !== undefined) {
      const first = out[provider];
      if (first) out.diagnostics.push(twice(first, key));
      else out[provider] = { key, value };
      continue;
    }
    if (top === 'docker') {
      const suggestion = suggest(low.slice(1).join('.'), ['network', 'allownonrunning']);
      out.diagnostics.push(
        labelDiagnostic(subject, {
          code: 'CONFIG_UNKNOWN_KEY',
          key,
          value,
          severity: 'warning',
          ...(suggestion !== undefined && { suggestion }),
        }),
      );
      continue;
    }
    if (!['http', 'tls', 'tcp', 'udp'].includes(top)) {
      // Other labels under the prefix are not Traefik's; only a near miss is worth a word.
      const suggestion = suggest(top, TOP);
      if (suggestion === 'enable' && segs.length === 1) {
        out.misspelledEnable ??= { key, value };
        continue;
      }
      if (suggestion !== undefined && !warned.has(top)) {
        warned.add(top);
        const written = key.trim().slice(0, lead.length + (segs[0] as string).length);
        out.diagnostics.push(
          labelDiagnostic(subject, {
            code: 'CONFIG_UNKNOWN_KEY',
            key: written,
            severity: 'warning',
            suggestion,
          }),
        );
      }
      continue;
    }
    if (top === 'tcp' || top === 'udp') out.tcpOrUdp = true;
    if (top === 'http' && segs.length > 2) {
      if (['routers', 'services', 'middlewares'].includes(low[1] as string)) out.http = true;
      const name = segs[2] as string;
      if (low[1] === 'routers') out.routers.add(name);
      if (low[1] === 'services') {
        out.services.add(name);
        if (low[3] === 'loadbalancer' && low[4] === 'server') {
          serverKey(out, subject, name, key, value, low, twice);
          continue;
        }
      }
    }
    out.entries.push({ key, value });
  }
  return out;
}

function serverKey(
  out: SplitLabels,
  subject: string,
  service: string,
  key: string,
  value: string,
  low: string[],
  twice: (first: Label, key: string, item?: DiagnosticItem) => Diagnostic,
): void {
  const item: DiagnosticItem = { kind: 'service', name: service };
  const field = low[5] as ServerField | undefined;
  let fields = out.servers.get(service);
  if (!fields) {
    fields = new Map();
    out.servers.set(service, fields);
  }
  if (low.length !== 6 || !SERVER_FIELDS.includes(field as ServerField)) {
    const suggestion = low.length === 6 ? suggest(low[5] as string, SERVER_FIELDS) : undefined;
    out.diagnostics.push(
      labelDiagnostic(subject, {
        code: 'CONFIG_UNKNOWN_KEY',
        key,
        value,
        item,
        ...(suggestion !== undefined && { suggestion }),
      }),
    );
    return;
  }
  // Empty `port`, `scheme` or `url` is unset, as Traefik's string fields are: `port=${PORT}` with PORT
  // unset falls back to the lowest exposed port. (Empty weight and preservepath stay errors, as there.)
  if (value.trim() === '' && (field === 'port' || field === 'scheme' || field === 'url')) return;
  const first = fields.get(field as ServerField);
  if (first) out.diagnostics.push(twice(first, key, item));
  else fields.set(field as ServerField, { key, value });
}
