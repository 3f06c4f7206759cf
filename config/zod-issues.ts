import type { core } from 'zod';
import { type ConfigIssue, type ConfigPath, isPlainObject, scalarText } from './canonicalize.ts';

// zod's issue messages are precise but written for developers ("expected number, received string"); these
// helpers restate the common ones in the user's terms and anchor every issue at the full key path.

/** The value at a path inside a plain tree, or undefined. */
export function valueAt(tree: unknown, path: ConfigPath): unknown {
  let cur = tree;
  for (const seg of path) {
    if (Array.isArray(cur) && typeof seg === 'number') cur = cur[seg];
    else if (isPlainObject(cur)) cur = cur[String(seg)];
    else return undefined;
  }
  return cur;
}

function describeValue(value: unknown): string {
  if (value === null) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a section';
  return typeof value === 'string' ? `"${value}"` : String(value);
}

const EXPECTED: Record<string, string> = {
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  string: 'a text value',
  array: 'a list',
  object: 'a section of keys',
  record: 'a map of names',
};

function problemText(issue: core.$ZodIssue, value: unknown): string {
  if (issue.code === 'invalid_type') {
    const expected = EXPECTED[issue.expected] ?? issue.expected;
    if (value === undefined) return `missing; set it to ${expected}`;
    return `${describeValue(value)} is not ${expected}`;
  }
  if (issue.code === 'invalid_union') {
    const kinds = issue.errors.flatMap((branch) =>
      branch.flatMap((i) =>
        i.code === 'invalid_type' && i.path.length === 0 ? [EXPECTED[i.expected] ?? i.expected] : [],
      ),
    );
    if (kinds.length === issue.errors.length && kinds.length > 0) {
      return `${describeValue(value)} is not ${kinds.join(' or ')}`;
    }
  }
  if (issue.code === 'custom') return issue.message;
  // A map key (e.g. a header name) refused by its own schema: say why, not "Invalid key in record".
  if (issue.code === 'invalid_key') return issue.issues.map((i) => i.message).join('; ');
  const note = 'note' in issue && typeof issue.note === 'string' ? ` (${issue.note.toLowerCase()})` : '';
  const shown = scalarText(value) === undefined ? '' : `${describeValue(value)} is invalid: `;
  return `${shown}${issue.message}${note}`;
}

/** Converts zod issues of a value that sits at `basePath` into ConfigIssues with full paths and user wording. */
export function zodToConfigIssues(
  issues: readonly core.$ZodIssue[],
  basePath: ConfigPath,
  input: unknown,
): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const issue of issues) {
    const rel = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
    const path = [...basePath, ...rel];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys)
        out.push({ code: 'CONFIG_UNKNOWN_KEY', severity: 'error', path: [...path, key] });
      continue;
    }
    const value = valueAt(input, rel);
    // For a refused map key, the value under it is not what is wrong: leave it out.
    const text = issue.code === 'invalid_key' ? undefined : scalarText(value);
    out.push({
      code: 'CONFIG_INVALID_VALUE',
      severity: 'error',
      path,
      params: { problem: problemText(issue, value) },
      ...(text !== undefined && { value: text }),
    });
  }
  return out;
}

/**
 * Drops "missing key" issues that only restate an earlier problem: the key was misspelled (an unknown
 * sibling was reported) or given an empty or unusable value (an issue at the same path).
 */
export function withoutRestatedMissing(
  issues: readonly ConfigIssue[],
  earlier: readonly ConfigIssue[],
  tree: unknown,
): ConfigIssue[] {
  const key = (path: ConfigPath) => path.map(String).join('\u0000');
  const seen = new Set(earlier.map((i) => key(i.path)));
  const parents = new Set(
    earlier.filter((i) => i.code === 'CONFIG_UNKNOWN_KEY').map((i) => key(i.path.slice(0, -1))),
  );
  return issues.filter(
    (i) =>
      valueAt(tree, i.path) !== undefined ||
      (!seen.has(key(i.path)) && !parents.has(key(i.path.slice(0, -1)))),
  );
}
