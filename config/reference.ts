import { globalRegistry } from 'zod';
import { DurationSchema } from './duration.ts';
import { type AnySchema, childKeys, childSchema, schemaNode } from './schema-keys.ts';

interface Row {
  key: string;
  type: string;
  def: string;
  description: string;
  /** A value, not a section: it has a flag and an environment variable of its own. */
  leaf: boolean;
}

/** How a reference is rendered; without options, the table of static.md and dynamic.md. */
export interface ReferenceOptions {
  /**
   * Adds the flag and environment-variable form of every key (variables start with this prefix, e.g.
   * `WHARF_REGISTRAR_`) and a paragraph on how the sources combine.
   */
  readonly envPrefix?: string;
  /** Shows the default of lists of values, comma-separated as a flag takes it (e.g. `127.0.0.1:8500`). */
  readonly listDefaults?: boolean;
}

interface WrapperDef {
  type: string;
  innerType?: AnySchema;
  in?: AnySchema;
  defaultValue?: unknown;
}

/**
 * Walks wrappers (optional, default, pipe) collecting the description and default on the way down. A
 * `docDefault` in a schema's metadata documents a default that depends on the machine (a temp directory).
 */
function meta(schema: AnySchema): { description: string; def: unknown; docDefault?: string } {
  let s: AnySchema | undefined = schema;
  let description = '';
  let def: unknown;
  let docDefault: string | undefined;
  while (s) {
    const d = (s as unknown as { description?: string }).description;
    if (!description && d) description = d;
    const doc = globalRegistry.get(s)?.docDefault;
    if (docDefault === undefined && typeof doc === 'string') docDefault = doc;
    if (s === DurationSchema) break;
    const w = s._zod.def as unknown as WrapperDef;
    if ((w.type === 'default' || w.type === 'prefault') && def === undefined) {
      const v = w.defaultValue;
      def = typeof v === 'function' ? (v as () => unknown)() : v;
    }
    s = w.innerType ?? (w.type === 'pipe' ? w.in : undefined);
  }
  return { description, def, ...(docDefault !== undefined && { docDefault }) };
}

function typeName(schema: AnySchema): string {
  const n = schemaNode(schema);
  if (n.kind === 'scalar') {
    if (n.type === 'enum') return (n.values ?? []).map((v) => (v === '' ? '""' : v)).join(' \\| ');
    if (n.type === 'stringOrNumber') return 'string or number';
    return n.type;
  }
  if (n.kind === 'array') {
    const e = schemaNode(n.element);
    return e.kind === 'scalar' ? `list of ${typeName(n.element)}` : 'list';
  }
  return n.kind === 'record' ? 'map' : 'section';
}

function defaultText(schema: AnySchema, opts: ReferenceOptions): string {
  const { def, docDefault } = meta(schema);
  if (docDefault !== undefined) return docDefault;
  const n = schemaNode(schema);
  if (
    opts.listDefaults &&
    Array.isArray(def) &&
    n.kind === 'array' &&
    schemaNode(n.element).kind === 'scalar'
  )
    return def.map(String).join(',');
  if (def === undefined || (typeof def === 'object' && def !== null)) return '';
  return n.kind === 'scalar' && n.type === 'duration' ? `${Number(def)}ms` : String(def);
}

function walk(schema: AnySchema, path: string, rows: Row[], opts: ReferenceOptions): void {
  const n = schemaNode(schema);
  const { description } = meta(schema);
  const defText = defaultText(schema, opts);
  const section = (key: string, type: string) => rows.push({ key, type, def: '', description, leaf: false });
  if (n.kind === 'object') {
    if (path && description) section(path, 'section');
    for (const k of childKeys(schema))
      walk(childSchema(schema, k) as AnySchema, path ? `${path}.${k}` : k, rows, opts);
    return;
  }
  if (n.kind === 'record') {
    const value = schemaNode(n.value);
    if (value.kind === 'object') {
      if (description) section(`${path}.<name>`, 'section');
      walk(n.value, `${path}.<name>`, rows, opts);
    } else
      rows.push({ key: `${path}.<name>`, type: typeName(n.value), def: defText, description, leaf: true });
    return;
  }
  if (n.kind === 'array' && schemaNode(n.element).kind === 'object') {
    section(`${path}[n]`, 'list');
    walk(n.element, `${path}[n]`, rows, opts);
    return;
  }
  rows.push({ key: path, type: typeName(schema), def: defText, description, leaf: true });
}

/** `entryPoints.<name>.address` → `WHARF_ENTRYPOINTS_<NAME>_ADDRESS`; `a[n].b` → `..._A_<N>_B`. */
function envName(prefix: string, key: string): string {
  return prefix + key.replace(/\[n\]/g, '.<n>').split('.').join('_').toUpperCase();
}

function formsIntro(prefix: string): string {
  return [
    `Every key below can be set in a configuration file (YAML, TOML or JSON, named by \`--configFile=FILE\` or`,
    `\`${prefix}CONFIGFILE=FILE\`), as a flag \`--key=value\` or as an environment variable: the key in upper`,
    `case with \`_\` for \`.\`, after \`${prefix}\`. Flags beat environment variables, which beat the file, key by`,
    'key. Key names are case-insensitive. A list takes comma-separated values in a flag or variable. Durations',
    'are written `10s`, `1m30s`, `100ms` or as a number of seconds; defaults are shown in milliseconds.',
  ].join('\n');
}

/**
 * A Markdown table of every key a schema accepts, its type, default and description (from `.describe()`);
 * with `envPrefix`, also its flag and environment variable.
 */
export function configReference(schema: AnySchema, opts: ReferenceOptions = {}): string {
  const rows: Row[] = [];
  walk(schema, '', rows, opts);
  const esc = (t: string) => t.replace(/\|/g, '\\|');
  const code = (t: string) => (t ? `\`${t}\`` : '');
  const prefix = opts.envPrefix;
  if (prefix === undefined) {
    const lines = ['| key | type | default | description |', '|---|---|---|---|'];
    for (const r of rows) lines.push(`| \`${r.key}\` | ${r.type} | ${code(r.def)} | ${esc(r.description)} |`);
    return `${lines.join('\n')}\n`;
  }
  const lines = ['| key | type | default | flag | environment | description |', '|---|---|---|---|---|---|'];
  for (const r of rows) {
    const flag = r.leaf ? code(`--${r.key}`) : '';
    const env = r.leaf ? code(envName(prefix, r.key)) : '';
    lines.push(`| \`${r.key}\` | ${r.type} | ${code(r.def)} | ${flag} | ${env} | ${esc(r.description)} |`);
  }
  return `${formsIntro(prefix)}\n\n${lines.join('\n')}\n`;
}
