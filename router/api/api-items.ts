import type { Diagnostic } from '../../config/diagnostics.ts';
import { MiddlewareSchema, RouterSchema, ServiceSchema } from '../../config/dynamic.ts';
import { joinName } from '../../config/names.ts';
import type { AnySchema } from '../../config/schema-keys.ts';
import { redactSecrets } from '../../core/redact.ts';
import type { ItemStatus } from '../compile/runtime-info.ts';
import type { RoutingTable } from '../compile/table-types.ts';
import { withGoDurations } from './go-durations.ts';

// The routers, services and middlewares the API shows: the serving generation's runtime info, plus the
// items providers left out for bad input (Traefik hides those; Wharf shows them disabled with the reason).
// Items are rendered (live state, redaction, Go durations) only when shown, so that filtering and paging a
// large list costs little.

/** An item as the API lists it. */
export type Item = { name: string; provider: string; status: ItemStatus; error?: string[] } & Record<
  string,
  unknown
>;

/** The API's kinds of HTTP items. */
export type Kind = 'routers' | 'services' | 'middlewares';

/** The diagnostic item kind of each API kind. */
export const KIND_OF = { routers: 'router', services: 'service', middlewares: 'middleware' } as const;

const SCHEMA_OF: Record<Kind, AnySchema> = {
  routers: RouterSchema,
  services: ServiceSchema,
  middlewares: MiddlewareSchema,
};

/** What items are read from. */
export interface ItemSources {
  /** The serving generation's table, read per request. */
  readonly table: () => RoutingTable;
  readonly diagnostics: () => readonly Diagnostic[];
}

/**
 * The items of one kind by qualified name, unrendered: compiled ones with their status, plus items a
 * provider left out, disabled with their errors. The serving table's objects are never modified.
 */
export function collectItems(src: ItemSources, kind: Kind): Map<string, Item> {
  const info = src.table().info[kind] as unknown as Map<string, Item>;
  let out: Map<string, Item> | undefined;
  for (const d of src.diagnostics()) {
    if (d.severity !== 'error' || d.item?.kind !== KIND_OF[kind] || d.source === 'compile') continue;
    out ??= new Map(info);
    const name = joinName(d.item.name, d.source);
    const existing = out.get(name);
    const entry: Item = existing
      ? { ...existing }
      : { name, provider: d.source, status: 'disabled', error: [] };
    entry.error = [...(entry.error ?? []), d.message];
    out.set(name, entry);
  }
  return out ?? info;
}

/**
 * An item as the list and detail endpoints show it (Traefik's representations): live state added (a
 * service's serverStatus, a middleware's state), secrets redacted, durations as Go writes them, and a
 * router's `priorityStr` and default TLS options.
 */
export function renderItem(src: ItemSources, kind: Kind, item: Item): Item {
  let shown: Item = item;
  const table = src.table();
  if (kind === 'services' && item.type === 'loadbalancer') {
    const runtime = table.services.get(item.name);
    if (runtime) shown = { ...shown, serverStatus: runtime.serverStatus() };
  }
  if (kind === 'middlewares') {
    const state = middlewareState(src, item.name);
    if (state) shown = { ...shown, state };
  }
  if (kind === 'routers') {
    shown = { ...shown, priorityStr: String(shown.priority ?? 0) };
    const tls = shown.tls as Record<string, unknown> | undefined;
    if (tls && typeof tls === 'object' && !tls.options) shown.tls = { ...tls, options: 'default' };
  }
  // Passwords, password hashes, private keys and credential headers are not shown.
  return withGoDurations(redactSecrets(shown), SCHEMA_OF[kind]);
}

/** An item as /api/rawdata shows it: Traefik's runtime info, keyed by name, so without name and type. */
export function rawItem(src: ItemSources, kind: Kind, item: Item): Record<string, unknown> {
  const { name: _n, provider: _p, type: _t, ...rest } = item;
  let shown: Record<string, unknown> = rest;
  if (kind === 'services' && item.type === 'loadbalancer') {
    const runtime = src.table().services.get(item.name);
    if (runtime) shown = { ...shown, serverStatus: runtime.serverStatus() };
  }
  return withGoDurations(redactSecrets(shown), SCHEMA_OF[kind]);
}

/**
 * The live state of a middleware's instances in the serving generation (a circuit breaker's state): the
 * shared instance's, or per router for middlewares built once per router; undefined when none has any.
 */
function middlewareState(src: ItemSources, name: string): Record<string, unknown> | undefined {
  let out: Record<string, unknown> | undefined;
  for (const instance of src.table().middlewareCache?.values() ?? []) {
    if (instance.name !== name || !instance.status) continue;
    if (instance.router === undefined) return instance.status();
    out ??= {};
    out[instance.router] = instance.status();
  }
  return out;
}
