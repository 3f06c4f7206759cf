import type { core } from 'zod';
import { DurationSchema } from './duration.ts';

// Reads the shape of a zod 4 schema through its public definition (`_zod.def`), so decoders of flat keys
// (labels, KV, env, flags) and the case-insensitive key mapper share one source of truth: the schema.

/** Any zod 4 schema. */
export type AnySchema = core.$ZodType;

/** The type of a scalar leaf, as far as decoding text needs it. */
export type ScalarType = 'string' | 'number' | 'boolean' | 'duration' | 'enum' | 'stringOrNumber' | 'unknown';

/** What a schema node is, once wrappers (optional, default, pipe, ...) are stripped. */
export type SchemaNode =
  | { readonly kind: 'object'; readonly keys: readonly string[]; readonly strict: boolean }
  | { readonly kind: 'record'; readonly value: AnySchema }
  | { readonly kind: 'array'; readonly element: AnySchema }
  | { readonly kind: 'scalar'; readonly type: ScalarType; readonly values?: readonly string[] };

interface Def {
  type: string;
  innerType?: AnySchema;
  in?: AnySchema;
  out?: AnySchema;
  shape?: Record<string, AnySchema>;
  catchall?: AnySchema;
  valueType?: AnySchema;
  element?: AnySchema;
  options?: readonly AnySchema[];
  entries?: Record<string, string | number>;
  values?: readonly unknown[];
  getter?: () => AnySchema;
}

const defOf = (schema: AnySchema): Def => schema._zod.def as unknown as Def;

const WRAPPERS = new Set(['optional', 'nullable', 'default', 'prefault', 'readonly', 'catch', 'nonoptional']);

/** Strips wrappers that do not change the shape of the input: optional, default, prefault, pipe, lazy, ... */
export function unwrapSchema(schema: AnySchema): AnySchema {
  const known = unwrapCache.get(schema);
  if (known) return known;
  const unwrapped = unwrapUncached(schema);
  unwrapCache.set(schema, unwrapped);
  return unwrapped;
}

const unwrapCache = new WeakMap<AnySchema, AnySchema>();

function unwrapUncached(schema: AnySchema): AnySchema {
  let s = schema;
  for (;;) {
    if (s === DurationSchema) return s;
    const def = defOf(s);
    if (WRAPPERS.has(def.type) && def.innerType) s = def.innerType;
    else if (def.type === 'pipe' && def.in) s = def.in;
    else if (def.type === 'lazy' && def.getter) s = def.getter();
    else return s;
  }
}

const nodeCache = new WeakMap<AnySchema, SchemaNode>();
const keyCache = new WeakMap<AnySchema, Map<string, string>>();

/** Describes a schema node: object (with its canonical keys), record, array or scalar (with its type). */
export function schemaNode(schema: AnySchema): SchemaNode {
  const s = unwrapSchema(schema);
  let node = nodeCache.get(s);
  if (!node) {
    node = describe(s);
    nodeCache.set(s, node);
  }
  return node;
}

function describe(s: AnySchema): SchemaNode {
  if (s === DurationSchema) return { kind: 'scalar', type: 'duration' };
  const def = defOf(s);
  switch (def.type) {
    case 'object':
      return {
        kind: 'object',
        keys: Object.keys(def.shape ?? {}),
        strict: def.catchall !== undefined && defOf(def.catchall).type === 'never',
      };
    case 'record':
      return { kind: 'record', value: def.valueType as AnySchema };
    case 'array':
      return { kind: 'array', element: def.element as AnySchema };
    case 'string':
      return { kind: 'scalar', type: 'string' };
    case 'number':
    case 'int':
      return { kind: 'scalar', type: 'number' };
    case 'boolean':
      return { kind: 'scalar', type: 'boolean' };
    case 'enum':
      return { kind: 'scalar', type: 'enum', values: Object.values(def.entries ?? {}).map(String) };
    case 'literal':
      return { kind: 'scalar', type: 'enum', values: (def.values ?? []).map(String) };
    case 'union':
      return describeUnion(def.options ?? []);
    default:
      return { kind: 'scalar', type: 'unknown' };
  }
}

function describeUnion(options: readonly AnySchema[]): SchemaNode {
  const types = new Set(
    options.map((o) => schemaNode(o)).map((n) => (n.kind === 'scalar' ? n.type : n.kind)),
  );
  if (types.size === 1) return schemaNode(options[0] as AnySchema);
  if (types.size === 2 && types.has('string') && types.has('number'))
    return { kind: 'scalar', type: 'stringOrNumber' };
  return { kind: 'scalar', type: 'unknown' };
}

/** The canonical child keys of an object node (empty for anything else). */
export function childKeys(schema: AnySchema): readonly string[] {
  const node = schemaNode(schema);
  return node.kind === 'object' ? node.keys : [];
}

/** The canonical spelling of an object node's child key, matched case-insensitively; undefined if unknown. */
export function resolveKey(schema: AnySchema, key: string): string | undefined {
  const s = unwrapSchema(schema);
  let map = keyCache.get(s);
  if (!map) {
    map = new Map(childKeys(s).map((k) => [k.toLowerCase(), k]));
    keyCache.set(s, map);
  }
  return childKeys(s).includes(key) ? key : map.get(key.toLowerCase());
}

/** The schema of a child: an object's key (canonical spelling), a record's values or an array's elements. */
export function childSchema(schema: AnySchema, key: string | number): AnySchema | undefined {
  const s = unwrapSchema(schema);
  const node = schemaNode(s);
  if (node.kind === 'record') return node.value;
  if (node.kind === 'array') return node.element;
  if (node.kind === 'object' && typeof key === 'string' && node.keys.includes(key)) {
    return (defOf(s).shape as Record<string, AnySchema>)[key];
  }
  return undefined;
}

/** True when a scalar node accepts the empty string as a meaningful value (an enum listing ''). */
export function acceptsEmpty(schema: AnySchema): boolean {
  const node = schemaNode(schema);
  return node.kind === 'scalar' && node.type === 'enum' && (node.values ?? []).includes('');
}

/** The schema at a path of keys (matched case-insensitively; any record name, numeric list indexes). */
export function schemaAt(schema: AnySchema, path: readonly string[]): AnySchema | undefined {
  let s: AnySchema | undefined = schema;
  for (const seg of path) {
    if (s === undefined) return undefined;
    const node = schemaNode(s);
    if (node.kind === 'object') {
      const key = resolveKey(s, seg);
      s = key === undefined ? undefined : childSchema(s, key);
    } else if (node.kind === 'array') s = /^\d+$/.test(seg) ? node.element : undefined;
    else if (node.kind === 'record') s = node.value;
    else return undefined;
  }
  return s;
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/**
 * Converts a scalar to the schema's leaf type when it reads as one, as Traefik does for every source
 * (`"10"` for a number, `"TRUE"` for a boolean, `8080` for a text); anything else is returned unchanged
 * so that validation reports it.
 */
export function coerceScalar(schema: AnySchema, value: unknown): unknown {
  const node = schemaNode(schema);
  if (node.kind !== 'scalar') return value;
  if (typeof value === 'string') {
    const t = value.trim();
    if (node.type === 'boolean' && /^(true|false)$/i.test(t)) return t.toLowerCase() === 'true';
    if (node.type === 'number' && NUMBER.test(t)) return Number(t);
    return value;
  }
  if (
    (typeof value === 'number' || typeof value === 'boolean') &&
    (node.type === 'string' || node.type === 'enum')
  ) {
    return String(value);
  }
  return value;
}
