import type { ConfigIssue, ConfigPath } from './canonicalize.ts';
import {
  type AnySchema,
  acceptsEmpty,
  childSchema,
  coerceScalar,
  resolveKey,
  schemaNode,
} from './schema-keys.ts';

// Builds a nested tree from flat keys (labels, KV paths, env variables, flags), walking the schema to
// spell known keys canonically, to tell list indexes from names and to turn text into booleans and numbers.
// Unknown keys are kept as written, so canonicalize reports them with one voice for every source.

/** One flat key, already split into segments. */
export interface FlatItem {
  readonly segments: readonly string[];
  /** The key as written up to and including each segment (same length as segments). */
  readonly prefixes: readonly string[];
  readonly value: string;
}

/** How a source writes flat keys; a list of scalars may always be given as one comma-separated value. */
export interface FlatTreeOptions {
  /** Record names are lower-cased (environment variables, as Traefik does). */
  readonly lowerCaseNames?: boolean;
  /** Record names may span several segments joined by this (environment variables: `_`). */
  readonly joinNames?: string;
}

/** The tree and, for every path in it, the key as the user wrote it. */
export interface FlatTree {
  readonly tree: Record<string, unknown>;
  readonly issues: ConfigIssue[];
  /** Written key of the longest known prefix of a path, and the number of path segments it covers. */
  readonly written: (path: ConfigPath) => { key: string; depth: number };
}

type BNode =
  | { t: 'o'; disp: string; children: Map<string, BNode>; names?: Map<string, string> }
  | { t: 'a'; disp: string; items: Map<number, BNode>; order?: BNode[] }
  | { t: 'l'; disp: string; value: unknown }
  /** A section switched off (`tls=false`): left out of the tree, with whatever keys are under it. */
  | { t: 'x'; disp: string; value: string };

const INDEX = /^\d+$/;

/** Builds the nested input tree of `items` against `schema` (the root of the tree). */
export function buildFlatTree(
  items: readonly FlatItem[],
  schema: AnySchema,
  rootKey: string,
  opts: FlatTreeOptions = {},
): FlatTree {
  const root: BNode = { t: 'o', disp: rootKey, children: new Map() };
  const issues: ConfigIssue[] = [];
  for (const item of items) insert(root, schema, item, opts, issues);
  const tree = finish(root) as Record<string, unknown>;
  return {
    tree,
    issues,
    // Walks the built tree on demand: only error messages need it, so nothing is precomputed per key.
    written: (path) => {
      let node: BNode = root;
      let found = { key: rootKey, depth: 0 };
      for (let d = 0; d < path.length; d++) {
        const seg = path[d] as string | number;
        const child: BNode | undefined =
          node.t === 'o'
            ? node.children.get(String(seg))
            : node.t === 'a'
              ? node.order?.[Number(seg)]
              : undefined;
        if (!child) break;
        node = child;
        found = { key: node.disp, depth: d + 1 };
      }
      return found;
    },
  };
}

function insert(
  root: BNode,
  rootSchema: AnySchema,
  item: FlatItem,
  opts: FlatTreeOptions,
  issues: ConfigIssue[],
): void {
  let parent = root;
  let schema: AnySchema | undefined = rootSchema;
  const path: (string | number)[] = [];
  const { segments, prefixes } = item;
  const fail = (
    code: ConfigIssue['code'],
    at: number,
    params: Record<string, string>,
    extra: ConfigPath = [],
    value?: unknown,
  ) => {
    const shown = value ?? (at === segments.length - 1 ? item.value : undefined);
    const key = prefixes[at] as string;
    issues.push({
      code,
      severity: 'error',
      path: [...path, ...extra],
      key,
      params,
      ...(shown !== undefined && { value: String(shown) }),
    });
  };
  for (let i = 0; i < segments.length; i++) {
    let seg = segments[i] as string;
    let key: string | number = seg;
    let next: AnySchema | undefined;
    const node = schema && schemaNode(schema);
    if (schema && node?.kind === 'object') {
      const canonical = resolveKey(schema, seg);
      if (canonical !== undefined) {
        key = canonical;
        next = childSchema(schema, canonical);
      }
    } else if (schema && node?.kind === 'record') {
      if (opts.joinNames !== undefined) {
        const take = nameLength(node.value, segments.slice(i));
        seg = segments.slice(i, i + take).join(opts.joinNames);
        i += take - 1;
      }
      // Names are case-insensitive, as in Traefik: `routers/App` and `routers/app` are one router, under
      // the first spelling seen.
      key = opts.lowerCaseNames
        ? seg.toLowerCase()
        : parent.t === 'o'
          ? (parent.names?.get(seg.toLowerCase()) ?? seg)
          : seg;
      next = node.value;
    } else if (schema && node?.kind === 'array') {
      if (!INDEX.test(seg)) return void fail('CONFIG_BAD_INDEX', i, { index: seg }, [seg]);
      key = Number(seg);
      next = node.element;
    }
    const disp = prefixes[i] as string;
    const last = i === segments.length - 1;
    const existing =
      parent.t === 'a'
        ? parent.items.get(key as number)
        : parent.t === 'o'
          ? parent.children.get(String(key))
          : undefined;
    // Traefik (paerser's allowEmpty): a section set to anything but true is off, and its sub-keys with it.
    const off = (section: { disp: string; value: string }, ignored: string) =>
      issues.push({
        code: 'CONFIG_SECTION_OFF',
        severity: 'warning',
        path: [...path, key],
        key: ignored,
        params: { section: section.disp, value: section.value },
      });
    if (existing?.t === 'x') return void off(existing, prefixes[segments.length - 1] as string);
    if (last) {
      const leaf = leafNode(next, item.value, disp, parent.t === 'o' && node?.kind === 'record', key);
      if ('issue' in leaf) return void fail(leaf.issue, i, leaf.params ?? {}, [key]);
      if (leaf.node === undefined) return;
      if (leaf.node.t === 'x' && existing?.t === 'o') {
        // Sub-keys came first (unsorted sources): the switch still wins.
        if (existing.children.size > 0) off(leaf.node, firstLeaf(existing));
        return void put(parent, key, leaf.node);
      }
      if (existing === undefined) return void put(parent, key, leaf.node);
      if (existing.t === 'o' && leaf.node.t === 'o' && leaf.node.children.size === 0) return; // `tls=true` beside `tls.options`
      if (existing.t === leaf.node.t && existing.t !== 'o') {
        const problem = `set twice, as "${existing.disp}" and as "${disp}" (keys are case-insensitive); keep one`;
        return void fail('CONFIG_INVALID_VALUE', i, { problem }, [key]);
      }
      return void fail('CONFIG_KEY_CONFLICT', i, { other: firstLeaf(existing) }, [key]);
    }
    if (existing?.t === 'l') {
      return void fail(
        'CONFIG_KEY_CONFLICT',
        i,
        { other: prefixes[segments.length - 1] as string },
        [key],
        existing.value,
      );
    }
    if (next && existing === undefined && schemaNode(next).kind === 'scalar') {
      const problem = `takes a value, not sub-keys like "${segments[i + 1]}"`;
      return void fail('CONFIG_INVALID_VALUE', i, { problem }, [key]);
    }
    let child = existing;
    if (child === undefined) {
      const kind = next && schemaNode(next).kind;
      child = kind === 'array' ? { t: 'a', disp, items: new Map() } : { t: 'o', disp, children: new Map() };
      put(parent, key, child);
    }
    parent = child;
    schema = next;
    path.push(key);
  }
}

function firstLeaf(node: BNode): string {
  if (node.t === 'l' || node.t === 'x') return node.disp;
  const first = node.t === 'a' ? node.items.values().next().value : node.children.values().next().value;
  return first === undefined ? node.disp : firstLeaf(first);
}

function put(parent: BNode, key: string | number, child: BNode): void {
  if (parent.t === 'a') parent.items.set(key as number, child);
  else if (parent.t === 'o') {
    parent.children.set(String(key), child);
    if (!parent.names) parent.names = new Map();
    const lower = String(key).toLowerCase();
    if (!parent.names.has(lower)) parent.names.set(lower, String(key));
  }
}

type Leaf = { node: BNode | undefined } | { issue: ConfigIssue['code']; params?: Record<string, string> };

/**
 * The sections Traefik tags `label:"allowEmpty"` (pkg/config/dynamic): `tls=true` turns one on with its
 * defaults, and any other value turns it off with whatever sub-keys it has.
 */
const SWITCHES = new Set([
  'tls',
  'sticky',
  'cookie',
  'healthCheck',
  'compress',
  'contentType',
  'ipStrategy',
  'proxyProtocol',
  'spiffe',
]);

function leafNode(
  schema: AnySchema | undefined,
  value: string,
  disp: string,
  inRecord: boolean,
  name: string | number,
): Leaf {
  const empty = value.trim() === '';
  if (schema === undefined) return { node: { t: 'l', disp, value } };
  const node = schemaNode(schema);
  if (node.kind === 'object') {
    // `tls=true` (or an empty KV value) creates an empty section, as Traefik's allowEmpty does.
    if (empty || /^true$/i.test(value.trim())) return { node: { t: 'o', disp, children: new Map() } };
    // Traefik's allowEmpty sections are off for any other value (`no`, `0`, ...); the others for false.
    if (SWITCHES.has(String(name)) || /^false$/i.test(value.trim()))
      return { node: { t: 'x', disp, value: value.trim() } };
    const problem = `is a section, not a value; set its keys instead (${node.keys.slice(0, 3).join(', ')}, ...)`;
    return { issue: 'CONFIG_INVALID_VALUE', params: { problem } };
  }
  if (node.kind === 'record') {
    if (empty) return { node: { t: 'o', disp, children: new Map() } };
    return {
      issue: 'CONFIG_INVALID_VALUE',
      params: { problem: 'is a map of names, not a value; set its entries instead' },
    };
  }
  if (node.kind === 'array') {
    const element = schemaNode(node.element);
    if (element.kind !== 'scalar') {
      return {
        issue: 'CONFIG_INVALID_VALUE',
        params: { problem: 'is a list of sections; set its items by index' },
      };
    }
    if (empty) return { issue: 'CONFIG_EMPTY_VALUE' };
    const parts = value.split(',').map((p) => p.trim());
    const items = new Map<number, BNode>(
      parts.map((p, n) => [n, { t: 'l', disp, value: coerceScalar(node.element, p) }]),
    );
    return { node: { t: 'a', disp, items } };
  }
  if (empty && !acceptsEmpty(schema) && !(inRecord && node.type === 'string'))
    return { issue: 'CONFIG_EMPTY_VALUE' };
  return { node: { t: 'l', disp, value: coerceScalar(schema, value) } };
}

/** How many segments a record name takes: the fewest after which the rest still fits the schema. */
function nameLength(valueSchema: AnySchema, segments: readonly string[]): number {
  if (schemaNode(valueSchema).kind === 'scalar') return Math.max(1, segments.length);
  for (let take = 1; take < segments.length; take++) if (fits(valueSchema, segments.slice(take))) return take;
  // Nothing fits: assume the last key is the typo, so it is reported with a suggestion.
  for (let take = 1; take < segments.length; take++)
    if (fits(valueSchema, segments.slice(take, -1))) return take;
  return 1;
}

function fits(schema: AnySchema, segments: readonly string[]): boolean {
  if (segments.length === 0) return true;
  const node = schemaNode(schema);
  const [seg, ...rest] = segments as [string, ...string[]];
  if (node.kind === 'object') {
    const key = resolveKey(schema, seg);
    return key !== undefined && fits(childSchema(schema, key) as AnySchema, rest);
  }
  if (node.kind === 'array') return INDEX.test(seg) && fits(node.element, rest);
  if (node.kind === 'record')
    return [...Array(rest.length + 1).keys()].some((n) => fits(node.value, rest.slice(n)));
  return false;
}

function finish(node: BNode): unknown {
  if (node.t === 'l' || node.t === 'x') return node.value;
  if (node.t === 'a') {
    // Numeric order: KV `servers/10` comes after `servers/2` (Traefik sorts these as strings).
    node.order = [...node.items.entries()].sort(([a], [b]) => a - b).map(([, child]) => child);
    return node.order.map((child) => finish(child));
  }
  const out: Record<string, unknown> = {};
  for (const [key, child] of node.children) if (child.t !== 'x') out[key] = finish(child);
  return out;
}
