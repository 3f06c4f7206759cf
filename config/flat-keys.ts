import { type ConfigIssue, type ConfigPath, isPlainObject } from './canonicalize.ts';
import type { Diagnostic } from './diagnostics.ts';
import { formatDuration } from './duration.ts';
import { type DynamicConfig, type DynamicConfigInput, DynamicConfigSchema } from './dynamic.ts';
import { buildFlatTree, type FlatItem } from './flat-tree.ts';
import { type AnySchema, childSchema, schemaNode } from './schema-keys.ts';
import { suggest } from './suggest.ts';
import { validateDynamic } from './validate-dynamic.ts';

// The flat-key codec shared by Docker labels (`wharf.http.routers.web.rule`) and Consul KV
// (`wharf/http/routers/web/rule`). Decoding goes through the same item-level validation as files, so one
// bad key disables only the router, service or middleware it belongs to.

/** One label or KV pair. */
export interface FlatEntry {
  key: string;
  value: string;
}

/** How flat keys are written and where they come from. */
export interface FlatDecodeOptions {
  /** `label`: `root.http.routers.web.tls.domains[0].main`; `kv`: `root/http/routers/web/entrypoints/0`. */
  style: 'label' | 'kv';
  /** The prefix: `wharf` (labelPrefix / rootKey), or e.g. `traefik` to read Traefik's keys unchanged. */
  root: string;
  /** The provider: 'docker', 'consul'. */
  source: string;
  /** The container name or KV root the entries belong to. */
  subject: string;
}

const SECTIONS = ['http', 'tls', 'tcp', 'udp'];

/** `tls.stores.default.*`, the only TLS keys labels may set (Traefik's rule). */
function isDefaultStoreLabel(segments: readonly string[]): boolean {
  return segments[1]?.toLowerCase() === 'stores' && segments[2]?.toLowerCase() === 'default';
}

interface Split {
  rootText: string;
  segments: string[];
  prefixes: string[];
}

function splitLabel(key: string, root: string): Split | undefined {
  const k = key.trim();
  if (!k.toLowerCase().startsWith(`${root.toLowerCase()}.`)) return undefined;
  const rootText = k.slice(0, root.length);
  const segments: string[] = [];
  const prefixes: string[] = [];
  let written = rootText;
  for (const part of k.slice(root.length + 1).split('.')) {
    const m = /^([^[\]]*)((?:\[[^\]]*\])*)$/.exec(part);
    segments.push(m ? (m[1] as string) : part);
    written += `.${m ? m[1] : part}`;
    prefixes.push(written);
    for (const idx of m ? (m[2] as string).matchAll(/\[([^\]]*)\]/g) : []) {
      segments.push(idx[1] as string);
      written += `[${idx[1]}]`;
      prefixes.push(written);
    }
  }
  return { rootText, segments, prefixes };
}

function splitKv(key: string, root: string): Split | undefined {
  const parts = key.replace(/^\/+/, '').split('/');
  const rootParts = root.split('/').filter((p) => p !== '');
  if (parts.length <= rootParts.length) return undefined;
  if (rootParts.some((r, i) => r.toLowerCase() !== parts[i]?.toLowerCase())) return undefined;
  const rootText = parts.slice(0, rootParts.length).join('/');
  const segments = parts.slice(rootParts.length);
  const prefixes: string[] = [];
  let written = rootText;
  for (const seg of segments) {
    written = `${written}/${seg}`;
    prefixes.push(written);
  }
  return { rootText, segments, prefixes };
}

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function restText(rest: ConfigPath, style: 'label' | 'kv'): string {
  if (style === 'kv') return rest.map((p) => `/${p}`).join('');
  return rest.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('');
}

/**
 * Decodes flat keys into a validated dynamic configuration. Keys outside `<root>.http.*` and
 * `<root>.tls.*` are ignored in label style (Docker labels carry other settings) and reported in KV style.
 */
export function decodeFlatKeys(
  entries: readonly FlatEntry[],
  opts: FlatDecodeOptions,
): { config: DynamicConfig; diagnostics: Diagnostic[] } {
  const items: FlatItem[] = [];
  const issues: ConfigIssue[] = [];
  const typos = new Set<string>();
  let rootText = opts.root;
  // Sorted, so a key always comes before its sub-keys (`a/b` before `a/b/c`): conflicts read the same
  // whatever order the source lists them in.
  const sorted = entries
    .map((e) => ({ key: e.key, value: e.value, lower: e.key.toLowerCase() }))
    .sort((a, b) => compare(a.lower, b.lower));
  for (const { key, value } of sorted) {
    if (opts.style === 'kv' && key.endsWith('/')) continue; // a Consul folder, not a value
    const split = opts.style === 'label' ? splitLabel(key, opts.root) : splitKv(key, opts.root);
    if (!split) continue;
    rootText = split.rootText;
    const top = (split.segments[0] as string).toLowerCase();
    if (opts.style === 'label' && !SECTIONS.includes(top)) {
      // Other labels (enable, docker.network) belong to the provider; only warn about near misses.
      const suggestion = suggest(top, ['http', 'tls']);
      if (suggestion !== undefined && !typos.has(top)) {
        typos.add(top);
        const written = split.prefixes[0] as string;
        issues.push({
          code: 'CONFIG_UNKNOWN_KEY',
          severity: 'warning',
          path: [top],
          key: written,
          suggestion,
        });
      }
      continue;
    }
    if (opts.style === 'label' && top === 'tls' && !isDefaultStoreLabel(split.segments)) {
      // As in Traefik, a container may only set the default TLS store: TLS options and certificate files
      // apply to every router and must not come from any one container's labels.
      issues.push({
        code: 'CONFIG_UNSUPPORTED',
        severity: 'warning',
        path: split.segments,
        key,
        params: {
          what: 'TLS options and certificates from labels (only tls.stores.default.* is read; use the file provider)',
        },
      });
      continue;
    }
    items.push({ segments: split.segments, prefixes: split.prefixes, value });
  }
  const built = buildFlatTree(items, DynamicConfigSchema, rootText);
  return validateDynamic(built.tree, {
    source: opts.source,
    subject: opts.subject,
    issues: [...issues, ...built.issues],
    keyName: (path) => {
      const { key, depth } = built.written(path);
      return key + restText(path.slice(depth), opts.style);
    },
  });
}

/**
 * Encodes a configuration as flat entries, the inverse of decodeFlatKeys (for the registrar and golden
 * tests). Numeric durations are read as milliseconds (the decoded model) and written as `10s`, `100ms`.
 */
export function encodeFlatKeys(
  config: DynamicConfigInput | DynamicConfig,
  opts: { style: 'label' | 'kv'; root: string },
): FlatEntry[] {
  const out: FlatEntry[] = [];
  encode(config, DynamicConfigSchema, [], out, opts);
  return out;
}

function encode(
  value: unknown,
  schema: AnySchema | undefined,
  path: (string | number)[],
  out: FlatEntry[],
  opts: { style: 'label' | 'kv'; root: string },
): void {
  if (value === undefined || value === null) return;
  const key = () =>
    opts.style === 'kv' ? `${opts.root}${restText(path, 'kv')}` : opts.root + restText(path, 'label');
  const node = schema && schemaNode(schema);
  if (Array.isArray(value)) {
    const element = node?.kind === 'array' ? node.element : undefined;
    const texts = value.map((v) => (typeof v === 'object' ? undefined : text(v, element)));
    if (
      opts.style === 'label' &&
      value.length > 0 &&
      texts.every((t) => t !== undefined && !t.includes(','))
    ) {
      out.push({ key: key(), value: texts.join(',') });
      return;
    }
    value.forEach((v, i) => {
      encode(v, element, [...path, i], out, opts);
    });
    return;
  }
  if (isPlainObject(value)) {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    // An empty section (`tls: {}`) is written as `tls=true`, which decodes back to `{}`.
    if (entries.length === 0 && node?.kind === 'object' && path.length > 0)
      out.push({ key: key(), value: 'true' });
    for (const [k, v] of entries) {
      const child =
        schema && (node?.kind === 'object' || node?.kind === 'record') ? childSchema(schema, k) : undefined;
      encode(v, child, [...path, k], out, opts);
    }
    return;
  }
  out.push({ key: key(), value: text(value, schema) });
}

function text(value: unknown, schema: AnySchema | undefined): string {
  const node = schema && schemaNode(schema);
  if (typeof value === 'number' && node?.kind === 'scalar' && node.type === 'duration')
    return formatDuration(value);
  return String(value);
}
