import { DurationSchema } from './duration.ts';
import { type AnySchema, childKeys, childSchema, schemaNode } from './schema-keys.ts';

interface Row {
  key: string;
  type: string;
  def: string;
  description: string;
}

interface WrapperDef {
  type: string;
  innerType?: AnySchema;
  in?: AnySchema;
  defaultValue?: unknown;
}

/** Walks wrappers (optional, default, pipe) collecting the description and default on the way down. */
function meta(schema: AnySchema): { description: string; def: unknown } {
  let s: AnySchema | undefined = schema;
  let description = '';
  let def: unknown;
  while (s) {
    const d = (s as unknown as { description?: string }).description;
    if (!description && d) description = d;
    if (s === DurationSchema) break;
    const w = s._zod.def as unknown as WrapperDef;
    if ((w.type === 'default' || w.type === 'prefault') && def === undefined) {
      const v = w.defaultValue;
      def = typeof v === 'function' ? (v as () => unknown)() : v;
    }
    s = w.innerType ?? (w.type === 'pipe' ? w.in : undefined);
  }
  return { description, def };
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

function walk(schema: AnySchema, path: string, rows: Row[]): void {
  const n = schemaNode(schema);
  const { description, def } = meta(schema);
  const isDuration = n.kind === 'scalar' && n.type === 'duration';
  const defText =
    def === undefined || (typeof def === 'object' && def !== null)
      ? ''
      : isDuration
        ? `${Number(def)}ms`
        : String(def);
  if (n.kind === 'object') {
    if (path && description) rows.push({ key: path, type: 'section', def: '', description });
    for (const k of childKeys(schema))
      walk(childSchema(schema, k) as AnySchema, path ? `${path}.${k}` : k, rows);
    return;
  }
  if (n.kind === 'record') {
    const value = schemaNode(n.value);
    if (value.kind === 'object') {
      if (description) rows.push({ key: `${path}.<name>`, type: 'section', def: '', description });
      walk(n.value, `${path}.<name>`, rows);
    } else rows.push({ key: `${path}.<name>`, type: typeName(n.value), def: defText, description });
    return;
  }
  if (n.kind === 'array' && schemaNode(n.element).kind === 'object') {
    rows.push({ key: `${path}[n]`, type: 'list', def: '', description });
    walk(n.element, `${path}[n]`, rows);
    return;
  }
  rows.push({ key: path, type: typeName(schema), def: defText, description });
}

/** A Markdown table of every key a schema accepts, its type, default and description (from `.describe()`). */
export function configReference(schema: AnySchema): string {
  const rows: Row[] = [];
  walk(schema, '', rows);
  const esc = (t: string) => t.replace(/\|/g, '\\|');
  const lines = ['| key | type | default | description |', '|---|---|---|---|'];
  for (const r of rows)
    lines.push(`| \`${r.key}\` | ${r.type} | ${r.def ? `\`${r.def}\`` : ''} | ${esc(r.description)} |`);
  return `${lines.join('\n')}\n`;
}
