import { RE2JS, RE2JSException } from 're2js';

// Every regular expression an operator or a container label can write (HostRegexp, PathRegexp, HeaderRegexp,
// QueryRegexp, Docker constraints, and the regexp options of middlewares) is compiled here, and only here.
// JavaScript's RegExp backtracks: `^/(a+)+$` against thirty `a` and a `!` takes seconds, and the event loop
// serves nothing meanwhile. RE2JS is a port of RE2 (by way of RE2/J, itself a port of Go's regexp package):
// the syntax and semantics of Go's regexp, which Traefik uses, and matching in time linear in the input.

/** A match: where it starts and ends (UTF-16 offsets) and its groups (undefined for a group that took no part). */
export interface LinearMatch {
  readonly index: number;
  readonly end: number;
  /** Group 0 is the whole match, then the capturing groups in order. */
  readonly groups: readonly (string | undefined)[];
  /** The named groups, `(?P<name>…)` or `(?<name>…)`, by name. */
  readonly named: Readonly<Record<string, string | undefined>>;
}

/** The outcome of compiling: the regexp, or why RE2 refuses it (a sentence to put in a diagnostic). */
export type LinearRegexpResult = { ok: true; regexp: LinearRegexp } | { ok: false; problem: string };

/** An operator-supplied regular expression with Go's (RE2) syntax and semantics, matched in linear time. */
export class LinearRegexp {
  /** The pattern as written. */
  readonly source: string;
  /** The compiled RE2 program: the property tests check (an RE2JS instance, never a backtracking RegExp). */
  readonly program: RE2JS;
  readonly #named: readonly (readonly [string, number])[];

  /** Wraps a compiled program; use compileLinearRegexp, which reports bad patterns instead of throwing. */
  constructor(source: string, program: RE2JS) {
    this.source = source;
    this.program = program;
    this.#named = Object.entries(program.namedGroups());
  }

  /** The number of capturing groups, as `$1`…`$n` of a replacement can use them. */
  get groupCount(): number {
    return this.program.groupCount();
  }

  /** Whether the pattern matches anywhere in the input (Go's MatchString: unanchored unless written so). */
  test(input: string): boolean {
    return this.program.test(input);
  }

  /** The leftmost match with its groups (Go's FindStringSubmatchIndex), or null. */
  exec(input: string): LinearMatch | null {
    return this.#find(input, 0);
  }

  /**
   * Replaces every match (Go's ReplaceAllString): `$1`, `${1}`, `$name`, `${name}` in the template stand for
   * groups (empty when absent; `$1x` means the group named `1x`, write `${1}x`), `$$` for a dollar sign.
   */
  replaceAll(input: string, template: string): string {
    let out = '';
    let lastEnd = 0;
    let pos = 0;
    while (pos <= input.length) {
      const m = this.#find(input, pos);
      if (m === null) break;
      out += input.slice(lastEnd, m.index);
      // An empty match right after the previous match is not replaced (Go), so `a*` on `baaac` gives one
      // replacement for `aaa`, not a second one for the empty string after it.
      if (m.end > lastEnd || m.index === 0) out += expand(template, m);
      lastEnd = m.end;
      // Always advance, by at least one character (a whole surrogate pair) when the match is empty.
      const width = pos < input.length ? codePointWidth(input, pos) : 1;
      pos = Math.max(m.end, pos + width);
    }
    return out + input.slice(lastEnd);
  }

  #find(input: string, from: number): LinearMatch | null {
    const m = this.program.matcher(input);
    if (!m.find(from)) return null;
    const groups: (string | undefined)[] = [];
    for (let i = 0; i <= m.groupCount(); i++) groups.push(m.group(i) ?? undefined);
    // No prototype: a group may be called `__proto__`, and `$constructor` must not find Object's.
    const named: Record<string, string | undefined> = Object.create(null);
    for (const [name, i] of this.#named) named[name] = groups[i];
    return { index: m.start(), end: m.end(), groups, named };
  }
}

/** Compiles an operator-supplied pattern with RE2's syntax; a pattern RE2 refuses is a problem, never a throw. */
export function compileLinearRegexp(source: string): LinearRegexpResult {
  try {
    return { ok: true, regexp: new LinearRegexp(source, RE2JS.compile(source)) };
  } catch (e) {
    if (!(e instanceof RE2JSException)) throw e;
    return { ok: false, problem: explain(e.message.replace(/^error parsing regexp: /, '')) };
  }
}

/** RE2's message, plus why, for what other dialects (JavaScript, PCRE) accept and RE2 does not. */
function explain(problem: string): string {
  const why = 'Wharf uses RE2 syntax, as Traefik does, so matching takes linear time';
  if (/`\(\?(=|!|<=|<!)/.test(problem)) return `${problem}: lookaround assertions are not supported (${why})`;
  if (/escape sequence: `\\[1-9]`/.test(problem))
    return `${problem}: backreferences are not supported (${why})`;
  if (/invalid repeat count/.test(problem)) return `${problem}: RE2 allows at most 1000 repetitions`;
  return problem;
}

/** Go's Regexp.Expand of one replacement template for one match. */
function expand(template: string, m: LinearMatch): string {
  let out = '';
  let i = 0;
  while (i < template.length) {
    const dollar = template.indexOf('$', i);
    if (dollar < 0) return out + template.slice(i);
    out += template.slice(i, dollar);
    i = dollar + 1;
    if (template[i] === '$') {
      out += '$';
      i++;
      continue;
    }
    const braced = template[i] === '{';
    // A name is letters, digits and underscores (Unicode ones, as Go's unicode.IsLetter and IsDigit).
    const name = /^[\p{L}\p{Nd}_]+/u.exec(template.slice(braced ? i + 1 : i))?.[0];
    const close = braced && name !== undefined ? i + 1 + name.length : -1;
    if (name === undefined || (braced && template[close] !== '}')) {
      out += '$'; // not a reference: the dollar sign is kept as text, as Go does
      continue;
    }
    i = braced ? close + 1 : i + name.length;
    // A number without a leading zero is a group index; anything else (even `01`) is a group name.
    const index = /^(0|[1-9][0-9]{0,7})$/.test(name) ? Number(name) : -1;
    out += (index >= 0 ? m.groups[index] : m.named[name]) ?? '';
  }
  return out;
}

/** 2 at the start of a surrogate pair, else 1. */
function codePointWidth(s: string, i: number): number {
  const c = s.charCodeAt(i);
  return c >= 0xd800 && c <= 0xdbff && i + 1 < s.length ? 2 : 1;
}
