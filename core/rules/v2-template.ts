import { compileLinearRegexp } from '../regexp/linear-regexp.ts';

// Traefik v2 handed Host, HostRegexp, Path, PathPrefix and Query arguments to gorilla/mux, whose templates
// mix literal text with `{name}` and `{name:pattern}` placeholders. This module turns such a template into
// the RE2 source Traefik v2 matched with (literal text quoted, each placeholder its pattern, anchored), so
// a v2 rule can be rewritten as the v3 rule that matches the same requests (core/rules/rule-parser-v2.ts).

/** Where a template is used: it sets the placeholder default and whether the end is anchored. */
export type TemplateKind = 'host' | 'path' | 'prefix' | 'query';

/** The outcome: the anchored RE2 source and whether the template had placeholders, or the problem. */
export type TemplateResult = { ok: true; source: string; literal: boolean } | { ok: false; problem: string };

/** gorilla/mux's pattern for a placeholder without one: a host label, a path segment, or any query value. */
const DEFAULT_PATTERN: Record<TemplateKind, string> = {
  host: '[^.]+',
  path: '[^/]+',
  prefix: '[^/]+',
  query: '.*',
};

/** Go's regexp.QuoteMeta: escapes every character RE2 treats specially. */
export function quoteMeta(text: string): string {
  return text.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');
}

/** The [start, end) ranges of the top-level `{…}` placeholders (braces may nest inside a pattern). */
function placeholders(template: string): Array<[number, number]> | string {
  const out: Array<[number, number]> = [];
  let level = 0;
  let start = 0;
  for (let i = 0; i < template.length; i++) {
    const c = template[i];
    if (c === '{') {
      if (level++ === 0) start = i;
    } else if (c === '}') {
      if (--level === 0) out.push([start, i + 1]);
      else if (level < 0) return `unbalanced braces in "${template}"`;
    }
  }
  return level === 0 ? out : `unbalanced braces in "${template}"`;
}

/**
 * Converts a gorilla/mux template to the RE2 source Traefik v2 matched with: `^` + the template with its
 * literal text quoted and each placeholder replaced by its pattern in a non-capturing group, + `$` (except
 * for a path prefix). For a query, the template is the value part (after `key=`).
 */
export function templateRegexp(template: string, kind: TemplateKind): TemplateResult {
  const ranges = placeholders(template);
  if (typeof ranges === 'string') return { ok: false, problem: ranges };
  let source = '^';
  let end = 0;
  for (const [from, to] of ranges) {
    source += quoteMeta(template.slice(end, from));
    const inner = template.slice(from + 1, to - 1);
    const colon = inner.indexOf(':');
    const name = colon < 0 ? inner : inner.slice(0, colon);
    const pattern = colon < 0 ? DEFAULT_PATTERN[kind] : inner.slice(colon + 1);
    if (name === '' || pattern === '')
      return { ok: false, problem: `missing name or pattern in "${template.slice(from, to)}"` };
    const checked = compileLinearRegexp(`^${pattern}$`);
    if (!checked.ok) return { ok: false, problem: `invalid pattern "${pattern}": ${checked.problem}` };
    source += `(?:${pattern})`;
    end = to;
  }
  source += quoteMeta(template.slice(end));
  if (kind !== 'prefix') source += '$';
  return { ok: true, source, literal: ranges.length === 0 };
}
