import { globalRegistry } from 'zod';
import {
  DynamicConfigSchema,
  MIDDLEWARE_KINDS,
  MiddlewareSchema,
  ServersTransportSchema,
  TlsOptionsSchema,
  UNSUPPORTED_MIDDLEWARE_TYPES,
} from './dynamic.ts';
import { ERRORS, type ErrorCode, formatError } from './errors.ts';
import {
  type AnySchema,
  childKeys,
  childSchema,
  coerceScalar,
  resolveKey,
  schemaNode,
  unwrapSchema,
} from './schema-keys.ts';
import { suggest } from './suggest.ts';

// Traefik keys are case-insensitive (`entrypoints`, `loadbalancer`); the model is not. This rebuilds an
// input tree with every key spelled as the schema spells it, and reports keys the schema does not know.

/** A path into a configuration tree: object keys and list indexes. */
export type ConfigPath = readonly (string | number)[];

/** A problem found while decoding input, located by path; turned into a Diagnostic or an error line later. */
export interface ConfigIssue {
  readonly code: ErrorCode;
  readonly severity: 'error' | 'warning';
  /** Canonical path of the key at fault (an unknown key appears as written). */
  readonly path: ConfigPath;
  /** Template parameters besides `key` (see errors.ts). */
  readonly params?: Readonly<Record<string, string>>;
  /** For typos: the nearest valid key at that level. */
  readonly suggestion?: string;
  /** The key as the user wrote it, when the decoder knows it better than the path does. */
  readonly key?: string;
  /** The value at fault, when it is a single scalar. */
  readonly value?: string;
}

/** Known Traefik sections Wharf ignores with a warning, per object schema: canonical key → what it is. */
export type UnsupportedKeys = ReadonlyMap<AnySchema, Readonly<Record<string, string>>>;

/** Options of canonicalize. */
export interface CanonicalizeOptions {
  /** Extra known-but-unsupported keys (the dynamic ones, e.g. tcp, udp and TLS keys of serversTransports, are built in). */
  readonly unsupported?: UnsupportedKeys;
}

const DYNAMIC_UNSUPPORTED: UnsupportedKeys = new Map<AnySchema, Record<string, string>>([
  [DynamicConfigSchema, { tcp: 'TCP routing', udp: 'UDP routing' }],
  // Go has ignored it since 1.18, and so does Traefik.
  [TlsOptionsSchema, { preferServerCipherSuites: 'preferServerCipherSuites (Traefik ignores it too)' }],
]);

/**
 * Known Traefik keys whose absence would weaken security or change which server is reached if they were
 * ignored (DESIGN §1): the item holding one is left out as not supported, so services naming it are
 * disabled rather than served with weaker checks.
 */
const DYNAMIC_UNSUPPORTED_UNSAFE: UnsupportedKeys = new Map<AnySchema, Record<string, string>>([
  [
    ServersTransportSchema,
    {
      cipherSuites: 'TLS cipher suites for servers (cipherSuites)',
      peerCertSANs: 'peerCertSANs verification',
      spiffe: 'SPIFFE verification of servers',
    },
  ],
]);

/** Renders an issue's message for a key as the user sees it (dotted path, label, KV key, flag, ...). */
export function issueMessage(issue: ConfigIssue, keyText: string, suggestionText = issue.suggestion): string {
  const hint = suggestionText === undefined ? '' : `; did you mean "${suggestionText}"?`;
  const params = { ...issue.params, key: keyText, hint };
  const text = formatError(issue.code, params);
  return keyText !== '' && !ERRORS[issue.code].template.includes('{key}') ? `${keyText}: ${text}` : text;
}

/** True for a plain object (a map), not an array or null. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A scalar as text (for `value` in diagnostics); undefined for objects and lists. */
export function scalarText(value: unknown): string | undefined {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
    ? String(value)
    : undefined;
}

/**
 * Rebuilds `input` with every object key in its canonical spelling (case-insensitive match against
 * `schema`, which sits at `path` of the whole tree). Record keys (names, header names) are kept as
 * written; unknown keys are left out and reported with a suggestion; `null` sections become `{}`.
 */
export function canonicalize(
  input: unknown,
  schema: AnySchema,
  path: ConfigPath = [],
  options: CanonicalizeOptions = {},
): { value: unknown; issues: ConfigIssue[] } {
  const issues: ConfigIssue[] = [];
  const value = walk(input, schema, path, false, issues, options);
  return { value, issues };
}

function walk(
  input: unknown,
  schema: AnySchema,
  path: ConfigPath,
  inRecord: boolean,
  issues: ConfigIssue[],
  opts: CanonicalizeOptions,
): unknown {
  const node = schemaNode(schema);
  if (input === null) {
    if (node.kind === 'object' || node.kind === 'record') return {};
    // A header map entry written `X-Foo:` (no value) means "remove the header", as Traefik reads it.
    if (inRecord && node.kind === 'scalar' && node.type === 'string') return '';
    issues.push({ code: 'CONFIG_EMPTY_VALUE', severity: 'error', path });
    return undefined;
  }
  if (node.kind === 'object' && isPlainObject(input)) {
    const out: Record<string, unknown> = {};
    const seen = new Map<string, string>();
    for (const [key, value] of Object.entries(input)) {
      if (value === undefined) continue;
      const canonical = resolveKey(schema, key);
      if (canonical === undefined) {
        issues.push(unknownKey(key, value, schema, path, opts));
        continue;
      }
      const earlier = seen.get(canonical);
      if (earlier !== undefined) {
        const problem = `set twice, as "${earlier}" and as "${key}" (keys are case-insensitive); keep one`;
        issues.push({
          code: 'CONFIG_INVALID_VALUE',
          severity: 'error',
          path: [...path, key],
          params: { problem },
        });
        continue;
      }
      seen.set(canonical, key);
      const replacement = deprecation(childSchema(schema, canonical) as AnySchema);
      if (replacement !== undefined)
        issues.push({
          code: 'CONFIG_DEPRECATED',
          severity: 'warning',
          path: [...path, canonical],
          params: { replacement },
        });
      const child = walk(
        value,
        childSchema(schema, canonical) as AnySchema,
        [...path, canonical],
        false,
        issues,
        opts,
      );
      if (child !== undefined) out[canonical] = child;
    }
    return out;
  }
  if (node.kind === 'record' && isPlainObject(input)) {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(input)) {
      if (value === undefined) continue;
      const child = walk(value, node.value, [...path, key], true, issues, opts);
      if (child !== undefined) out[key] = child;
    }
    return out;
  }
  if (node.kind === 'array' && Array.isArray(input)) {
    // null elements stay: the schema then reports them with their index.
    return input.map((v, i) => (v === null ? v : walk(v, node.element, [...path, i], false, issues, opts)));
  }
  return coerceScalar(schema, input);
}

/**
 * What to use instead of a key Traefik still accepts but deprecates, from its schema's metadata
 * (`.meta({deprecated: true, replacement})`, on the key or a wrapper of it); undefined for other keys.
 */
function deprecation(schema: AnySchema): string | undefined {
  let s: AnySchema | undefined = schema;
  while (s) {
    const meta = globalRegistry.get(s);
    if (meta?.deprecated === true)
      return typeof meta.replacement === 'string' ? meta.replacement : 'remove it';
    const def = s._zod.def as unknown as { innerType?: AnySchema };
    s = def.innerType;
  }
  return undefined;
}

function unknownKey(
  key: string,
  value: unknown,
  schema: AnySchema,
  path: ConfigPath,
  opts: CanonicalizeOptions,
): ConfigIssue {
  const lower = key.toLowerCase();
  const at = [...path, key];
  const s = unwrapSchema(schema);
  if (s === unwrapSchema(MiddlewareSchema)) {
    const type = UNSUPPORTED_MIDDLEWARE_TYPES.find((t) => t.toLowerCase() === lower);
    if (type !== undefined) {
      const params = {
        name: String(path[path.length - 1] ?? ''),
        type,
        supported: MIDDLEWARE_KINDS.join(', '),
      };
      return { code: 'MIDDLEWARE_TYPE_UNSUPPORTED', severity: 'error', path: at, params };
    }
  }
  const unsafe = DYNAMIC_UNSUPPORTED_UNSAFE.get(s) ?? DYNAMIC_UNSUPPORTED_UNSAFE.get(schema);
  const refused = unsafe && Object.entries(unsafe).find(([k]) => k.toLowerCase() === lower);
  if (refused)
    return { code: 'CONFIG_UNSUPPORTED_UNSAFE', severity: 'error', path: at, params: { what: refused[1] } };
  for (const table of [opts.unsupported, DYNAMIC_UNSUPPORTED]) {
    const entries = table?.get(s) ?? table?.get(schema);
    const found = entries && Object.entries(entries).find(([k]) => k.toLowerCase() === lower);
    if (found)
      return { code: 'CONFIG_UNSUPPORTED', severity: 'warning', path: at, params: { what: found[1] } };
  }
  const suggestion = suggest(key, childKeys(schema));
  const text = scalarText(value);
  return {
    code: 'CONFIG_UNKNOWN_KEY',
    severity: 'error',
    path: at,
    ...(suggestion !== undefined && { suggestion }),
    ...(text !== undefined && { value: text }),
  };
}
