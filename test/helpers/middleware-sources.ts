import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { isPlainObject } from '../../config/canonicalize.ts';
import type { Diagnostic } from '../../config/diagnostics.ts';
import type { DynamicConfig } from '../../config/dynamic.ts';
import { encodeFlatKeys, type FlatEntry } from '../../config/flat-keys.ts';
import { loadFile } from '../../providers/file/load-file.ts';

// The cross-source fixtures (test/fixtures/middleware-sources/*.yml): one dynamic-config fragment per
// middleware kind, read by the file provider's loader and re-encoded as Docker labels and Consul KV pairs,
// so that a test can check that the three sources give the same middlewares.

/** The folder of the fixtures; each `*.yml` in it is one case. */
export const FIXTURE_DIR = join(import.meta.dirname, '..', 'fixtures', 'middleware-sources');

/** The label prefix and KV root the fixtures are encoded under (Wharf's defaults). */
export const ROOT = 'wharf';

/** The fixture files, sorted by name. */
export function fixtureFiles(): string[] {
  return readdirSync(FIXTURE_DIR)
    .filter((f) => f.endsWith('.yml') || f.endsWith('.yaml'))
    .sort();
}

/** A fixture as the file provider reads it. */
export interface LoadedFixture {
  readonly file: string;
  readonly config: DynamicConfig;
  readonly diagnostics: Diagnostic[];
}

/** Reads one fixture through the file provider's loader; throws with the loader's reason when it cannot. */
export async function loadFixture(file: string): Promise<LoadedFixture> {
  const outcome = await loadFile(join(FIXTURE_DIR, file), 'file');
  if (outcome.kind === 'ok') return { file, config: outcome.config, diagnostics: outcome.diagnostics };
  const why =
    outcome.kind === 'empty'
      ? 'it is empty'
      : outcome.kind === 'unreadable'
        ? outcome.problem
        : `${outcome.message}${outcome.where}`;
  throw new Error(`fixture ${file} does not load through the file provider: ${why}`);
}

/** Docker labels for a configuration (`wharf.http.middlewares.<name>.<kind>.<option>`), as encodeFlatKeys writes them. */
export function toLabels(config: DynamicConfig): Record<string, string> {
  return Object.fromEntries(
    encodeFlatKeys(config, { style: 'label', root: ROOT }).map((e) => [e.key, e.value]),
  );
}

/** Consul KV pairs for a configuration (`wharf/http/middlewares/<name>/<kind>/<option>`). */
export function toKv(config: DynamicConfig): FlatEntry[] {
  return encodeFlatKeys(config, { style: 'kv', root: ROOT });
}

/** One place where two configurations differ: the path and each side's value (undefined: absent). */
export interface Difference {
  readonly path: ReadonlyArray<string | number>;
  readonly expected: unknown;
  readonly actual: unknown;
}

/** Every leaf-level difference between two plain-data values, in key order. */
export function differences(
  expected: unknown,
  actual: unknown,
  path: Array<string | number> = [],
): Difference[] {
  if (Array.isArray(expected) && Array.isArray(actual)) {
    const out: Difference[] = [];
    for (let i = 0; i < Math.max(expected.length, actual.length); i++)
      out.push(...differences(expected[i], actual[i], [...path, i]));
    return out;
  }
  if (isPlainObject(expected) && isPlainObject(actual)) {
    const keys = [...new Set([...Object.keys(expected), ...Object.keys(actual)])].sort();
    return keys.flatMap((k) => differences(expected[k], actual[k], [...path, k]));
  }
  return Object.is(expected, actual) ? [] : [{ path, expected, actual }];
}

/** A path as dotted text, with list indexes in brackets and keys holding a dot quoted. */
export function pathText(path: ReadonlyArray<string | number>): string {
  return path
    .map((p, i) =>
      typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${/^[\w-]+$/.test(p) ? p : JSON.stringify(p)}`,
    )
    .join('');
}

/**
 * Why flat keys lost a value, when the difference is one of the codec's known limits: a label or KV key
 * holds one text, so an empty list or map has no key to be written under, and a map key holding the
 * separator (`.` for labels, `/` for KV) reads back as two levels.
 */
export function flatKeyLimit(d: Difference, style: 'label' | 'kv'): string | undefined {
  const { expected, actual } = d;
  if (actual === undefined && leafless(expected)) {
    const empty = Array.isArray(expected) ? 'an empty list' : 'an empty map';
    const what =
      isPlainObject(expected) && Object.keys(expected).length > 0 ? 'only empty lists or maps' : empty;
    return `${what}: flat keys cannot express it (nothing in it to write a key for), so encodeFlatKeys drops it`;
  }
  const sep = style === 'label' ? '.' : '/';
  const key = d.path.find((p) => typeof p === 'string' && p.includes(sep));
  if (key !== undefined)
    return `the name ${JSON.stringify(key)} holds "${sep}", which ${style === 'label' ? 'labels' : 'KV paths'} read as a level separator`;
  if (typeof expected === 'string' && expected.includes(','))
    return 'the value holds a comma, and label lists are comma-separated';
  return undefined;
}

/** Whether a value is a list or map with no scalar anywhere inside (so flat keys have nothing to write). */
function leafless(v: unknown): boolean {
  if (Array.isArray(v)) return v.every(leafless);
  if (isPlainObject(v)) return Object.values(v).every(leafless);
  return false;
}

/** A readable report of differences for a failure message. */
export function describeDifferences(
  fixture: string,
  source: string,
  style: 'label' | 'kv',
  diffs: readonly Difference[],
): string {
  const show = (v: unknown) => (v === undefined ? '(absent)' : JSON.stringify(v));
  const lines = diffs.map((d) => {
    const hint = flatKeyLimit(d, style);
    return `  ${pathText(d.path)}: file ${show(d.expected)}, ${source} ${show(d.actual)}${hint ? ` (${hint})` : ''}`;
  });
  return `fixture ${fixture}: the middlewares decoded from ${source} differ from the file's at ${diffs.length} key(s):\n${lines.join('\n')}`;
}
